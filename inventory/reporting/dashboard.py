"""Static HTML dashboard of the current release (self-contained: inline SVG, no CDN).

Per country: mineral SOC stock, net stock change with its 95 % Monte Carlo band, the 4p1000 rate
against the 4 per mille target, and organic-soil emissions against mineral-soil sequestration.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.reporting.charts import Series, line_chart

KT = 1e3  # t per kt
MT = 1e6  # t per Mt
STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
.grid-2{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:12px}
.chart{background:#fff;border:1px solid #ddd;width:100%;height:auto}
.chart .title{font-size:14px;font-weight:600} .chart .tick{font-size:11px;fill:#555}
.chart .axis{font-size:11px;fill:#333} .chart .legend{font-size:12px}
.chart .grid{stroke:#eee} table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f0f0f0}
.note{color:#555;font-size:13px;max-width:900px}
"""


def _by_year(frame: pd.DataFrame, country: str, column: str, **filters) -> pd.Series:
    if frame.empty or column not in frame.columns:
        return pd.Series(dtype="float64")
    rows = frame[frame["country"] == country]
    for key, value in filters.items():
        if key in rows.columns:
            rows = rows[rows[key] == value]
    return rows.groupby("year")[column].sum(min_count=1).sort_index()


def _series(label: str, values: pd.Series, scale: float = 1.0, **kw) -> Series:
    return Series(label, values.index.to_numpy(), values.to_numpy(dtype="float64") / scale, **kw)


def _change_series(tables: dict[str, pd.DataFrame], country: str) -> Series:
    totals = tables.get("stock_change_totals", pd.DataFrame())
    if not totals.empty and "ci_low" in totals.columns:
        rows = totals[(totals.country == country) & (totals.land_use == "all")].sort_values("year")
        return Series("net change", rows.year.to_numpy(),
                      rows.dC_tc_per_yr.to_numpy() / KT, rows.ci_low.to_numpy() / KT,
                      rows.ci_high.to_numpy() / KT)  # fmt: skip
    change = _by_year(tables["stock_changes"], country, "dC_tc_per_yr")
    return _series("net change", change, KT)


def country_panels(tables: dict[str, pd.DataFrame], country: str) -> str:
    """The four charts of one country."""
    inventory = tables.get("inventory_stocks")  # S(y); soc_stocks holds equilibrium stocks
    stock = (_by_year(inventory, country, "stock_tc", scope="national") if inventory is not None
             else _by_year(tables["soc_stocks"], country, "stock_tc"))  # fmt: skip
    fourp = tables.get("fourp1000_indicators", pd.DataFrame())
    rate = _by_year(fourp, country, "rate_permille", land_use="all", scope="mineral")
    target = _by_year(fourp, country, "target_permille", land_use="all", scope="mineral")
    offsets = tables.get("peatland_offsets", pd.DataFrame())
    organic = _by_year(offsets, country, "organic_emissions_co2e")
    mineral = _by_year(offsets, country, "mineral_sequestration_co2e")
    charts = [
        line_chart("Mineral SOC stock, 0-30 cm", "Mt C", [_series("stock", stock, MT)]),
        line_chart("Net mineral-soil stock change, 95 % band (+ = removal)", "kt C / yr",
                   [_change_series(tables, country)]),
        line_chart("4 per 1000: annual rate vs target", "per mille / yr",
                   [_series("rate", rate), _series("target", target, dashed=True)]),
        line_chart("Organic-soil emissions vs mineral sequestration", "kt CO2e / yr",
                   [_series("organic emissions", organic, KT),
                    _series("mineral sequestration", mineral, KT)]),
    ]  # fmt: skip
    return f"<h2>{escape(country)}</h2><div class='grid-2'>{''.join(charts)}</div>"


def format_number(value: object) -> str:
    """One decimal for large magnitudes, four significant digits for small ones."""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def _cell(value: object) -> str:
    return f"<td>{escape(format_number(value))}</td>"


def _summary_table(tables: dict[str, pd.DataFrame]) -> str:
    from inventory.engine.run import summarise, summary_rows

    rows = summary_rows(summarise(tables).to_dict("records"))
    header = "".join(f"<th>{escape(c)}</th>" for c in rows[0]) if rows else ""
    body = "".join("<tr>" + "".join(_cell(v) for v in row.values()) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def render_dashboard(tables: dict[str, pd.DataFrame], release_id: str) -> str:
    countries = sorted(tables["soc_stocks"]["country"].unique())
    panels = "".join(country_panels(tables, c) for c in countries)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>SOC inventory dashboard {escape(release_id)}</title><style>{STYLE}</style>"
        "</head><body><h1>National soil organic carbon inventory</h1>"
        f"<p class='note'>Release <b>{escape(release_id)}</b>. Mineral soils: IPCC 2006 Vol.4 "
        "Ch.2 Eq. 2.25 (20-year transition); organic soils: 2013 Wetlands Supplement Ch.2-3; "
        "bands are 95 % Monte Carlo intervals. Last reported year per country:</p>"
        f"{_summary_table(tables)}{panels}</body></html>"
    )


def published_tables(lake: Lake) -> dict[str, pd.DataFrame]:
    names = releases.PUBLISHED_TABLES
    tables = {}
    for name in names:
        try:
            tables[name] = releases.read_published(lake, name)
        except ValueError:
            tables[name] = pd.DataFrame()
    return tables


def build_dashboard(lake: Lake, out_dir: Path | None = None) -> Path:
    """Write ``dashboard/index.html`` for the current release (atomically replaced)."""
    release = releases.current_release(lake)
    if release is None:
        raise FileNotFoundError("nothing published yet: run `soc-inventory run` first")
    html = render_dashboard(published_tables(lake), release.name)
    out_dir = out_dir or lake.root / "dashboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".index.html.{np.random.default_rng().integers(1 << 30)}"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_dir / "index.html")
    return out_dir / "index.html"
