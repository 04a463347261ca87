"""Static HTML dashboard of the current release (self-contained: inline SVG, no CDN).

Per country: mineral SOC stock, net stock change with its 95 % Monte Carlo band, the 4p1000 rate
against the 4 per mille target line, and organic-soil emissions (with their 95 % Monte Carlo
band: Wetlands Supplement factors drawn from their printed intervals) against the mineral-soil
CO2 flux; the stock and the 4p1000 rate carry their 95 % Monte Carlo bands too (drawn draw by
draw with the changes: factors and, where submitted, areas). The summary table gives the 95 %
intervals of the net change, the organic emissions, the stock S(y) and the 4p1000 rate (mineral,
and mineral and organic) beside the estimates. The header states the release, GWP set, IPCC
edition and tier of the runs behind it, and labels countries whose submission declares
``synthetic: true`` (the bundled examples) as "synthetic example". Per country it names the
submission the release used, its sequence number and who approved it, read from the release
(``release.json``'s provenance, written when it was published), never from the current input,
which may have changed since. HTML comes from the Jinja2 template
``templates/dashboard.html``; the tables read carry the published column names
(``inventory.engine.reporting_tables.published_schema``).
"""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from inventory.core.errors import NotFoundError
from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.reporting import scenario_charts
from inventory.reporting.charts import Series, Target, line_chart
from inventory.reporting.recalculations import country_runs, run_manifest

KT = 1e3  # t per kt
MT = 1e6  # t per Mt
EDITIONS = {"2019": "2019 Refinement", "2006": "2006 Guidelines"}


@dataclass(frozen=True)
class Provenance:
    """What produced one country's numbers in the release."""

    country: str
    run_id: str
    gwp_set: str
    edition: str
    tier: str
    synthetic: bool
    submission_id: str = "not recorded"  # the submission the run used (release provenance)
    sequence: int | None = None  # its number in the lake's order of submissions
    approved_by: str = "not recorded"  # who made it the country's current input


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
    if not totals.empty and "dC_ci_low_tc_per_yr" in totals.columns:
        rows = totals[(totals.country == country) & (totals.land_use == "all")].sort_values("year")
        return Series("net change", rows.year.to_numpy(), rows.dC_tc_per_yr.to_numpy() / KT,
                      rows.dC_ci_low_tc_per_yr.to_numpy() / KT,
                      rows.dC_ci_high_tc_per_yr.to_numpy() / KT)  # fmt: skip
    change = _by_year(tables["stock_changes"], country, "dC_tc_per_yr")
    return _series("net change", change, KT)


def _organic_series(offsets: pd.DataFrame, country: str) -> Series:
    """Organic-soil emissions [kt CO2e yr-1] with their 95 % Monte Carlo band when published."""
    organic = _by_year(offsets, country, "organic_emissions_co2e_t_per_yr")
    if "organic_ci_low_co2e_t_per_yr" not in offsets.columns or organic.empty:
        return _series("organic soils", organic, KT)
    low = _by_year(offsets, country, "organic_ci_low_co2e_t_per_yr").reindex(organic.index)
    high = _by_year(offsets, country, "organic_ci_high_co2e_t_per_yr").reindex(organic.index)
    if low.isna().all():
        return _series("organic soils", organic, KT)
    low_kt, high_kt = (b.to_numpy(dtype="float64") / KT for b in (low, high))
    return Series("organic soils", organic.index.to_numpy(), organic.to_numpy() / KT,
                  low_kt, high_kt)  # fmt: skip


def _interval_text(frame: pd.DataFrame, country: str, year: int, low: str, high: str,
                   scale: float, **filters) -> str:  # fmt: skip
    """``low to high`` of one country and year in display units, or ``n/a`` without draws."""
    if frame.empty or low not in frame.columns:
        return "n/a"
    rows = frame[(frame["country"] == country) & (frame["year"] == year)]
    for key, value in filters.items():
        rows = rows[rows[key] == value] if key in rows.columns else rows
    if len(rows) != 1 or pd.isna(rows[low].iloc[0]):
        return "n/a"
    return (f"{format_number(float(rows[low].iloc[0]) / scale)} to "
            f"{format_number(float(rows[high].iloc[0]) / scale)}")  # fmt: skip


INTERVAL_HEADINGS = (
    "change 95 % kt C/yr",
    "organic 95 % kt CO2e/yr",
    "stock 95 % Mt C",
    "4p1000 per mille/yr",
    "4p1000 95 % per mille/yr",
    "4p1000 with organic per mille/yr",
    "with organic 95 % per mille/yr",
)


def _target(fourp: pd.DataFrame, country: str) -> Target | None:
    target = _by_year(fourp, country, "target_permille_per_yr", land_use="all", scope="mineral")
    target = target.dropna()
    return Target("4 per 1000 target", float(target.iloc[-1])) if len(target) else None


def _banded(label: str, values: pd.Series, frame: pd.DataFrame, country: str, low: str,
            high: str, scale: float = 1.0, **filters) -> Series:  # fmt: skip
    """``values`` [display units x scale] with the 95 % band of ``low``/``high`` when published."""
    if values.empty or low not in frame.columns:
        return _series(label, values, scale)
    bounds = [_by_year(frame, country, c, **filters).reindex(values.index) for c in (low, high)]
    if bounds[0].isna().all():
        return _series(label, values, scale)
    return Series(label, values.index.to_numpy(), values.to_numpy(dtype="float64") / scale,
                  bounds[0].to_numpy(dtype="float64") / scale,
                  bounds[1].to_numpy(dtype="float64") / scale)  # fmt: skip


def _stock(tables: dict[str, pd.DataFrame], country: str) -> pd.Series:
    """The inventory stock S(y) (national); soc_stocks holds equilibrium stocks (older
    releases have no inventory_stocks: then their sum)."""
    inventory = tables.get("inventory_stocks", pd.DataFrame())
    if not inventory.empty and "stock_tc" in inventory.columns:
        return _by_year(inventory, country, "stock_tc", scope="national")
    return _by_year(tables["soc_stocks"], country, "stock_tc")


def country_charts(tables: dict[str, pd.DataFrame], country: str) -> list[dict[str, str]]:
    """The four charts of one country: ``{"title", "svg"}`` (svg empty without data)."""
    stock = _stock(tables, country)
    fourp = tables.get("fourp1000_indicators", pd.DataFrame())
    # 4p1000 of mineral soils (the national rows; mineral_and_organic is in the table)
    rate = _by_year(fourp, country, "rate_permille_per_yr", land_use="all", scope="mineral")
    offsets = tables.get("peatland_offsets", pd.DataFrame())
    mineral = _by_year(offsets, country, "mineral_co2e_t_per_yr")
    inventory = tables.get("inventory_stocks", pd.DataFrame())
    specs = [
        ("Mineral SOC inventory stock S(y), 0-30 cm", "Mt C",
         [_banded("stock", stock, inventory, country, "stock_ci_low_tc", "stock_ci_high_tc",
                  MT, scope="national")], None),
        ("Net mineral-soil stock change (+ = removal)", "kt C / yr",
         [_change_series(tables, country)], None),
        ("4 per 1000: annual rate vs target", "per mille / yr",
         [_banded("rate", rate, fourp, country, "rate_ci_low_permille_per_yr",
                  "rate_ci_high_permille_per_yr", land_use="all", scope="mineral")],
         _target(fourp, country)),
        ("Organic-soil emissions and mineral-soil CO2 (+ = emission)", "kt CO2e / yr",
         [_organic_series(offsets, country), _series("mineral soils", mineral, KT)], None),
    ]  # fmt: skip
    stock_title = specs[0][0]  # stocks are >= 0: their axis starts at 0
    return [{"title": title, "svg": line_chart(title, unit, series, target=target,
                                               y_from_zero=title == stock_title)}
            for title, unit, series, target in specs]  # fmt: skip


def country_panels(tables: dict[str, pd.DataFrame], country: str) -> str:
    """The four charts of one country as an HTML fragment (the portal's results page)."""
    return _environment().get_template("panel.html").render(charts=country_charts(tables, country))


def format_number(value: object) -> str:
    """One decimal for large magnitudes, four significant digits for small ones; a missing
    value (None, NaN, NA) is empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""  # no None, nan or <NA> on a page or in a table
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def _environment() -> Environment:
    return Environment(loader=PackageLoader("inventory.reporting", "templates"),
                       autoescape=select_autoescape(["html"]))  # fmt: skip


def _summary(tables: dict[str, pd.DataFrame]) -> tuple[list[str], list[list[str]]]:
    from inventory.engine.run import summarise, summary_rows

    rows = summary_rows(summarise(tables).to_dict("records"))
    totals = tables.get("stock_change_totals", pd.DataFrame())
    offsets = tables.get("peatland_offsets", pd.DataFrame())
    inventory = tables.get("inventory_stocks", pd.DataFrame())
    fourp = tables.get("fourp1000_indicators", pd.DataFrame())
    for row in rows:  # 95 % intervals: net change, organic emissions, stock, 4p1000 rates
        country, year = row["country"], row["year"]
        row[INTERVAL_HEADINGS[0]] = _interval_text(
            totals, country, year, "dC_ci_low_tc_per_yr", "dC_ci_high_tc_per_yr", KT,
            land_use="all")  # fmt: skip
        row[INTERVAL_HEADINGS[1]] = _interval_text(
            offsets, country, year, "organic_ci_low_co2e_t_per_yr",
            "organic_ci_high_co2e_t_per_yr", KT)  # fmt: skip
        row[INTERVAL_HEADINGS[2]] = _interval_text(
            inventory, country, year, "stock_ci_low_tc", "stock_ci_high_tc", MT,
            scope="national")  # fmt: skip
        for i, scope in ((3, "mineral"), (5, "mineral_and_organic")):
            rate = _by_year(fourp, country, "rate_permille_per_yr", land_use="all", scope=scope)
            row[INTERVAL_HEADINGS[i]] = float(rate.get(year, float("nan")))
            row[INTERVAL_HEADINGS[i + 1]] = _interval_text(
                fourp, country, year, "rate_ci_low_permille_per_yr",
                "rate_ci_high_permille_per_yr", 1.0, land_use="all", scope=scope)  # fmt: skip
    headings = list(rows[0]) if rows else []
    return headings, [[format_number(v) for v in row.values()] for row in rows]


BY_COUNTRY = "by country (see the table below)"


def _header(provenance: list[Provenance]) -> dict[str, str]:
    """The header's GWP set, edition and tier: one value, or :data:`BY_COUNTRY` when the
    countries' runs differ (two IPCC editions are never run together in one line)."""

    def joined(attribute: str) -> str:
        values = {getattr(p, attribute) for p in provenance}
        return values.pop() if len(values) == 1 else BY_COUNTRY if values else "unknown"

    return {"gwp_set": joined("gwp_set"), "edition": joined("edition"), "tier": joined("tier")}


def render_dashboard(tables: dict[str, pd.DataFrame], release_id: str,
                     provenance: list[Provenance] | None = None,
                     scenarios: list[dict] | None = None) -> str:  # fmt: skip
    """The dashboard page of a release's published tables (a release without countries, e.g.
    every country withdrawn, says so), and of published scenarios
    (:func:`inventory.reporting.scenario_charts.scenario_panels`)."""
    stocks = tables.get("soc_stocks", pd.DataFrame())
    countries = sorted(stocks["country"].unique()) if "country" in stocks.columns else []
    provenance = [p for p in provenance or [] if p.country in countries]
    synthetic = {p.country for p in provenance if p.synthetic}
    headings, rows = _summary(tables) if countries else ([], [])
    panels = [{"country": c, "synthetic": c in synthetic, "charts": country_charts(tables, c)}
              for c in countries]  # fmt: skip
    return _environment().get_template("dashboard.html").render(
        release_id=release_id, header=_header(provenance), provenance=provenance,
        any_synthetic=bool(synthetic), summary_headings=headings, summary_rows=rows,
        panels=panels, scenarios=scenarios or [], no_countries=not countries,
    )  # fmt: skip


def release_provenance(lake: Lake, release_id: str) -> list[Provenance]:
    """Run parameters (GWP set, edition, tier) and the synthetic flag of each country."""
    out = []
    used = releases.release_provenance(lake, release_id)
    for country, run_id in sorted(country_runs(lake, release_id).items()):
        manifest = run_manifest(lake, run_id)
        parameters = manifest.get("parameters", {})
        # what the run used (never the current input, which may have changed since)
        declared = used.get(country) or (manifest.get("provenance") or {}).get(country) or {}
        out.append(Provenance(
            country, run_id, str(parameters.get("gwp_set", "unknown")),
            EDITIONS.get(str(parameters.get("edition")), str(parameters.get("edition"))),
            str(parameters.get("tier", "unknown")), bool(declared.get("synthetic", False)),
            str(declared.get("submission_id") or "not recorded"), declared.get("sequence"),
            str(declared.get("approved_by") or "not recorded"),
        ))  # fmt: skip
    return out


def published_tables(lake: Lake) -> dict[str, pd.DataFrame]:
    """Every published table of the current release (empty frames for absent ones)."""
    return {name: releases.read_published(lake, name) for name in releases.PUBLISHED_TABLES}


def build_dashboard(lake: Lake, out_dir: Path | None = None) -> Path:
    """Write ``dashboard/index.html`` for the current release (atomically replaced)."""
    release = releases.current_release(lake)
    if release is None:
        raise NotFoundError("nothing published yet", "run `soc-inventory run` first")
    html = render_dashboard(
        published_tables(lake), release.name, release_provenance(lake, release.name),
        scenario_charts.scenario_panels(lake),
    )  # fmt: skip
    out_dir = out_dir or lake.root / "dashboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".index.html.{secrets.token_hex(4)}"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_dir / "index.html")
    return out_dir / "index.html"
