"""Charts of published scenarios: pathways against the 4 per mille line, with their bands.

For each scenario answer (``inventory.scenarios.run``) and country: the 4 per mille rate of the
scenario and of business as usual (mineral soils, 95 % Monte Carlo intervals) against the
target line, and the two stocks S(y). Shown on the dashboard and on the portal's scenario pages.
"""

from __future__ import annotations

import pandas as pd

from inventory.lake.zones import Lake
from inventory.reporting.charts import Series, Target, line_chart
from inventory.scenarios import run as scenario_run

MT = 1e6  # t C per Mt C
# Years of the inventory shown before the projection starts [yr].
HISTORY_SHOWN_YEARS = 10


def _series(rows: pd.DataFrame, label: str, column: str, low: str, high: str,
            scale: float = 1.0, dashed: bool = False) -> Series:  # fmt: skip
    return Series(label, rows["year"].to_numpy(), rows[column].to_numpy("float64") / scale,
                  rows[low].to_numpy("float64") / scale, rows[high].to_numpy("float64") / scale,
                  dashed=dashed)  # fmt: skip


def scenario_charts(pathways: pd.DataFrame, country: str, *, scope: str = "mineral"
                    ) -> list[dict[str, str]]:  # fmt: skip
    """``{"title", "svg"}`` of the rate (against the target) and the stock of one country."""
    rows = pathways[(pathways["country"] == country) & (pathways["scope"] == scope)]
    projected = rows.loc[rows["projected"], "year"]
    if projected.empty:
        return []
    first = int(projected.min()) - HISTORY_SHOWN_YEARS
    rows = rows[rows["year"] >= first].sort_values("year")
    scen, bau = rows[rows["pathway"] == "scenario"], rows[rows["pathway"] == "bau"]
    target = float(scen["target_permille_per_yr"].dropna().iloc[-1])
    rate_cols = ("rate_permille_per_yr", "rate_ci_low_permille_per_yr",
                 "rate_ci_high_permille_per_yr")  # fmt: skip
    stock_cols = ("stock_tc", "stock_ci_low_tc", "stock_ci_high_tc")
    rate = line_chart(
        f"{country}: 4 per mille rate, scenario vs business as usual", "per mille / yr",
        [_series(scen, "scenario", *rate_cols), _series(bau, "business as usual", *rate_cols,
                                                         dashed=True)],
        target=Target(f"{target:g} per 1000 target", target),
    )  # fmt: skip
    stock = line_chart(
        f"{country}: mineral SOC stock S(y), 0-30 cm", "Mt C",
        [_series(scen, "scenario", *stock_cols, scale=MT),
         _series(bau, "business as usual", *stock_cols, scale=MT, dashed=True)],
    )  # fmt: skip
    return [{"title": f"{country}: 4 per mille rate", "svg": rate},
            {"title": f"{country}: stock", "svg": stock}]  # fmt: skip


def latest_scenarios(lake: Lake) -> list[dict]:
    """The newest published answer of each scenario name (manifest + ``pathways`` frame)."""
    newest: dict[str, dict] = {}
    for record in scenario_run.published_scenarios(lake):  # oldest first
        newest[str(record["scenario"])] = record
    out = []
    for record in newest.values():
        pathways = scenario_run.read_answer(record["path"], "scenario_pathways")
        measures = scenario_run.read_answer(record["path"], "scenario_measures")
        out.append({**record, "pathways": pathways, "measures": measures})
    return out


def scenario_panels(lake: Lake) -> list[dict]:
    """Per scenario: its manifest, per-country charts and the horizon's summary rows."""
    panels = []
    for record in latest_scenarios(lake):
        charts = []
        for country in record["countries"]:
            charts.extend(scenario_charts(record["pathways"], country))
        panels.append({"record": record, "charts": charts, "summary": record.get("summary", [])})
    return panels
