"""Recalculation report: what changed between two releases, by how much, and why.

UNFCCC reporting asks Parties to explain their recalculations (IPCC 2006 Guidelines Vol.1
Ch.5, time-series consistency and recalculations). This module compares two releases
table by table and names the causes found by comparing the run manifests that produced each
country's numbers:

* :func:`compare_all` - every published table (``PUBLISHED_TABLES``), one row per changed
  value: table, country, year, the row's other grain keys, column, previous, new, difference,
  % and cause. The grain of each table comes from the published schema (the data dictionary).
* :func:`summary` - per country, year and CRT category (``unfccc_tables.category_code``) and
  the national total: previous, new, difference and % of each reported gas.
* :func:`compare_releases` - the ``stock_changes`` rows (the original report, unchanged).
* :func:`order_warning` - a warning when the older release is given second.

Causes (:func:`causes`): the submission and the input datasets whose sha256 differ (with the
strata whose area changed, from ``soc_stocks``), the factor tables whose sha256 differ, the
run parameters that differ (the IPCC edition, tier, approach, GWP set...), the methods the
run manifests record (``methods``; a manifest written before methods were recorded has the
values of :data:`METHODS_BEFORE_RECORDED`) and the code version. The Monte Carlo draws and
seed (:data:`INTERVAL_PARAMETERS`) change only the uncertainty columns
(:func:`is_interval_column`): they are never named as the cause of a change of a central
estimate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from inventory.core.errors import NotFoundError
from inventory.core.vocab import STRATUM_KEYS
from inventory.engine.reporting_tables.published_schema import data_dictionary
from inventory.lake.releases import (
    MANIFEST,
    PUBLISHED_TABLES,
    RELEASES_FILE,
    read_history,
    verified_files,
)
from inventory.lake.zones import Lake

KEYS = ["country", "year", "land_use", "land_use_category"]
VALUE = "dC_tc_per_yr"
TOLERANCE_TC = 1e-6  # t C/yr below which a difference is rounding noise, not a recalculation
TOLERANCE = 1e-6  # same absolute tolerance for every published value (in the column's unit)
# Run parameters that act only on the Monte Carlo intervals, never on a central estimate.
INTERVAL_PARAMETERS = frozenset({"mc_draws", "seed"})
# Run parameters that say which countries were run, not how: never a cause.
SCOPE_PARAMETERS = frozenset({"countries", "withdraw"})
# Uncertainty columns: Monte Carlo intervals, means and draw counts, uncertainty percentages.
_INTERVAL = re.compile(r"(^|_)(ci|mc)_|(^|_)mc$|n_mc_draws|uncertainty")
NO_CAUSE = "no input, factor, method or parameter change recorded"
ROW_COLUMNS = ["table", "country", "year", "category", "row_keys", "column", "unit", "previous",
               "new", "difference", "difference_pct", "kind", "cause"]  # fmt: skip
SUMMARY_COLUMNS = ["country", "year", "category_code", "gas", "unit", "previous", "new",
                   "difference", "difference_pct", "cause"]  # fmt: skip
# unfccc_tables columns summed per CRT category: gas -> (column, unit)
SUMMARY_GASES = {
    "CO2": ("co2_t_per_yr", "t CO2/yr"),
    "CH4": ("organic_ch4_t_per_yr", "t CH4/yr"),
    "N2O (organic soils)": ("organic_n2o_t_per_yr", "t N2O/yr"),
    "N2O (mineral soils)": ("mineral_n2o_t_per_yr", "t N2O/yr"),
}
NATIONAL = "national total"
_CATEGORY_COLUMNS = ("land_use_category", "category_code", "category", "land_use")
# The methods of runs whose manifest has no ``methods`` (before issue 21 recorded them).
METHODS_BEFORE_RECORDED = {
    "history": "the first recorded state held for the years before it (unflagged)",
    "soc_loss_n2o": "Eq. 11.8 on the net loss of each reporting category",
    "mineral_area": "Eq. 2.25 on the whole land area of each land_areas stratum, organic soils "
    "included",
}


def _release_dir(lake: Lake, release_id: str) -> Path:
    path = lake.release(release_id)
    if not (path / RELEASES_FILE).exists():
        raise NotFoundError(
            f"no release {release_id!r} under {lake.root / 'releases'}",
            "take a release id from `soc-inventory status`",
        )
    return path


def country_runs(lake: Lake, release_id: str) -> dict[str, str]:
    """Country -> run id that produced its numbers in this release (carried-over included)."""
    history = read_history(_release_dir(lake, release_id))
    runs: dict[str, str] = {}
    for row in history.itertuples():
        for country in filter(None, str(row.countries).split(",")):
            runs[country] = str(row.run_id)
    return runs


def run_manifest(lake: Lake, run_id: str) -> dict:
    """The manifest of a run (``runs/<run_id>/manifest.json``)."""
    return json.loads((lake.run(run_id) / MANIFEST).read_text(encoding="utf-8"))


def order_warning(lake: Lake, old_id: str, new_id: str) -> str | None:
    """A warning when ``old_id`` was published after ``new_id`` (the two given newest first).

    Returns
    -------
    str or None
        The warning with the command that compares them oldest first, None when in order.
    """
    history = read_history(_release_dir(lake, old_id))
    if new_id in set(history["release_id"].astype(str)) and new_id != old_id:
        return (f"release {old_id} was published after {new_id}: the differences read "
                f"backwards (new minus old). Compare oldest first: "
                f"soc-inventory diff {new_id} {old_id}")  # fmt: skip
    return None


def is_interval_column(column: str) -> bool:
    """Whether a published column is an uncertainty result (interval, MC mean, draws, %)."""
    return _INTERVAL.search(column) is not None


def _strata_changed(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """Strata (``land_use/management/input`` in ``climate_zone/soil_class``) whose area differs."""
    keys = ["year", *STRATUM_KEYS]
    if any(k not in f.columns for f in (old, new) for k in [*keys, "area_ha"]):
        return []
    both = old[[*keys, "area_ha"]].merge(new[[*keys, "area_ha"]], on=keys, how="outer",
                                         suffixes=("_old", "_new"))  # fmt: skip
    moved = (both["area_ha_old"].fillna(0) - both["area_ha_new"].fillna(0)).abs() > TOLERANCE
    strata = both.loc[moved, list(STRATUM_KEYS)].drop_duplicates()
    return sorted("/".join(map(str, row)) for row in strata.itertuples(index=False))


def causes(old: dict, new: dict, country: str, *, strata: list[str] | None = None,
           interval: bool = False) -> str:  # fmt: skip
    """The recorded differences between two run manifests for one country, as one line.

    Parameters
    ----------
    old, new : dict
        The run manifests (``runs/<run_id>/manifest.json``) behind the two releases.
    country : str
        ISO 3166-1 alpha-3 code.
    strata : list of str, optional
        Strata whose area changed (named after the changed input datasets, first three).
    interval : bool
        True for an uncertainty column: the Monte Carlo draws and seed are causes too; False
        for a central estimate, which does not depend on them.

    Returns
    -------
    str
        ``"; "``-separated causes, or :data:`NO_CAUSE`.
    """
    out = []
    old_sub = (old.get("submissions") or {}).get(country)
    new_sub = (new.get("submissions") or {}).get(country)
    if old_sub and new_sub and old_sub != new_sub:
        out.append(f"submission {old_sub} -> {new_sub}")
    old_inputs = (old.get("inputs") or {}).get(country, {})
    new_inputs = (new.get("inputs") or {}).get(country, {})
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(name, {}).get("sha256") != new_inputs.get(name, {}).get("sha256"):
            out.append(f"input {name} changed")
    if strata and any(c.startswith("input ") for c in out):
        shown = ", ".join(strata[:3]) + (f" and {len(strata) - 3} more" if len(strata) > 3 else "")
        out.append(f"area changed in {len(strata)} strata ({shown})")
    old_f, new_f = old.get("factor_tables_sha256", {}), new.get("factor_tables_sha256", {})
    out += [f"factor table {t} changed" for t in sorted(set(old_f) | set(new_f))
            if old_f.get(t) != new_f.get(t)]  # fmt: skip
    skip = SCOPE_PARAMETERS | (frozenset() if interval else INTERVAL_PARAMETERS)
    old_p, new_p = old.get("parameters", {}), new.get("parameters", {})
    out += [f"parameter {p}: {old_p.get(p)!r} -> {new_p.get(p)!r}"
            for p in sorted(set(old_p) | set(new_p))
            if p not in skip and old_p.get(p) != new_p.get(p)]  # fmt: skip
    old_m = old.get("methods", METHODS_BEFORE_RECORDED)
    new_m = new.get("methods", METHODS_BEFORE_RECORDED)
    out += [f"method {m} changed: {old_m.get(m, 'not recorded')!r} -> "
            f"{new_m.get(m, 'not recorded')!r}"
            for m in sorted(set(old_m) | set(new_m))
            if old_m.get(m) != new_m.get(m)]  # fmt: skip
    old_v = (old.get("code_version") or {}).get("package")
    new_v = (new.get("code_version") or {}).get("package")
    if old_v and new_v and old_v != new_v:
        out.append(f"method: software {old_v} -> {new_v}")
    return "; ".join(out) or NO_CAUSE


def _read_table(lake: Lake, release_id: str, table: str) -> pd.DataFrame:
    release = _release_dir(lake, release_id)
    files = verified_files(release, sorted((release / table).glob("country=*/*.parquet")))
    parts = [pd.read_parquet(p).assign(country=p.parent.name.removeprefix("country="))
             for p in files]  # fmt: skip
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass(frozen=True)
class _Context:
    """Per-country causes of one comparison (central estimates and uncertainty columns)."""

    central: dict[str, str]
    interval: dict[str, str]


def _context(lake: Lake, old_id: str, new_id: str) -> _Context:
    old_runs, new_runs = country_runs(lake, old_id), country_runs(lake, new_id)
    old_stocks = _read_table(lake, old_id, "soc_stocks")
    new_stocks = _read_table(lake, new_id, "soc_stocks")
    central: dict[str, str] = {}
    interval: dict[str, str] = {}
    for country in sorted(set(old_runs) | set(new_runs)):
        old_run, new_run = old_runs.get(country), new_runs.get(country)
        if old_run is None or new_run is None:
            central[country] = interval[country] = (
                "country added" if old_run is None else "country removed"
            )
            continue
        old, new = run_manifest(lake, old_run), run_manifest(lake, new_run)
        strata = _strata_changed(
            old_stocks[old_stocks["country"] == country] if not old_stocks.empty else old_stocks,
            new_stocks[new_stocks["country"] == country] if not new_stocks.empty else new_stocks,
        )
        central[country] = causes(old, new, country, strata=strata)
        interval[country] = causes(old, new, country, strata=strata, interval=True)
    return _Context(central, interval)


def _grain(table: str, old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    entry = data_dictionary((table,))[0]
    grain = [g for g in entry.grain if g in old.columns and g in new.columns]
    if grain:
        return grain
    units = {c.name: c.unit for c in entry.columns}  # no declared grain: every text column
    return [c for c in old.columns if c in new.columns and units.get(c) is None
            and c != "release_id"]  # fmt: skip


def _table_changes(table: str, old: pd.DataFrame, new: pd.DataFrame,
                   context: _Context) -> pd.DataFrame:  # fmt: skip
    """One table's changed values in long form (set-based: melt, merge, filter)."""
    if old.empty and new.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    old = old if not old.empty else pd.DataFrame(columns=new.columns)
    new = new if not new.empty else pd.DataFrame(columns=old.columns)
    keys = _grain(table, old, new)
    units = {c.name: c.unit for c in data_dictionary((table,))[0].columns}
    values = [c for c in old.columns if c in new.columns and c not in keys and units.get(c)
              and c != "year"]  # fmt: skip
    long = []
    for frame in (old, new):
        part = frame[keys + values].copy()
        part[values] = part[values].apply(pd.to_numeric, errors="coerce").astype("float64")
        part[keys] = part[keys].astype("string").fillna("")
        long.append(part.melt(id_vars=keys, value_vars=values, var_name="column"))
    both = long[0].merge(long[1], on=[*keys, "column"], how="outer",
                         suffixes=("_old", "_new"))  # fmt: skip
    previous, current = both["value_old"], both["value_new"]
    difference = current.fillna(0) - previous.fillna(0)
    changed = (difference.abs() > TOLERANCE) | (previous.isna() != current.isna())
    both = both[changed].copy()
    if both.empty:
        return pd.DataFrame(columns=ROW_COLUMNS)
    other = [k for k in keys if k not in ("country", "year")]
    category = next((c for c in _CATEGORY_COLUMNS if c in keys), None)
    interval = both["column"].map(is_interval_column)
    out = pd.DataFrame({
        "table": table,
        "country": both["country"],
        "year": pd.to_numeric(both["year"], errors="coerce").astype("Int64")
        if "year" in keys else pd.array([pd.NA] * len(both), dtype="Int64"),
        "category": both[category] if category else "",
        "row_keys": both[other].astype(str).agg(", ".join, axis=1) if other else "",
        "column": both["column"],
        "unit": both["column"].map(units),
        "previous": both["value_old"],
        "new": both["value_new"],
        "difference": current[both.index].fillna(0) - previous[both.index].fillna(0),
    })  # fmt: skip
    out["difference_pct"] = (
        100 * out["difference"] / out["previous"].abs().where(out["previous"].abs() > 0)
    )
    out["kind"] = interval.map({True: "uncertainty", False: "central estimate"})
    out["cause"] = (
        out["country"].map(context.central).where(~interval, out["country"].map(context.interval))
    )
    out["cause"] = out["cause"].fillna(NO_CAUSE)
    return out


def compare_all(lake: Lake, old_id: str, new_id: str,
                tables: tuple[str, ...] = PUBLISHED_TABLES) -> pd.DataFrame:  # fmt: skip
    """Every changed value of every published table between two releases, with its cause.

    Parameters
    ----------
    lake : Lake
        The data lake holding both releases.
    old_id, new_id : str
        The previous and the new release.
    tables : tuple of str
        Published tables to compare (all by default).

    Returns
    -------
    pandas.DataFrame
        :data:`ROW_COLUMNS`: ``previous`` and ``new`` in ``unit`` (empty when the row is
        absent), ``difference`` = new - previous (absent = 0), ``difference_pct`` relative to
        ``|previous|`` [%], ``kind`` (central estimate or uncertainty) and ``cause``. Sorted
        by table (in publishing order), country, year, keys, column.
    """
    context = _context(lake, old_id, new_id)
    frames = [_table_changes(t, _read_table(lake, old_id, t), _read_table(lake, new_id, t),
                             context) for t in tables]  # fmt: skip
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ROW_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = {t: i for i, t in enumerate(tables)}
    out = out.assign(_order=out["table"].map(order))
    out = out.sort_values(["_order", "country", "year", "row_keys", "column"], na_position="first")
    return out.drop(columns="_order").reset_index(drop=True)[ROW_COLUMNS]


def summary(lake: Lake, old_id: str, new_id: str) -> pd.DataFrame:
    """Per country, year and CRT category, and the national total: previous and new emissions.

    Sums ``unfccc_tables`` (the CRT rows) per ``category_code`` and over all categories
    (:data:`NATIONAL`) for each gas of :data:`SUMMARY_GASES` (CO2 from the stock changes of
    mineral and organic soils, CH4 and N2O of organic soils, N2O of mineral soils), and keeps
    the rows that changed.

    Returns
    -------
    pandas.DataFrame
        :data:`SUMMARY_COLUMNS`: ``previous``, ``new``, ``difference`` in ``unit`` [t gas/yr],
        ``difference_pct`` relative to ``|previous|`` [%], and the country's cause of a change
        of a central estimate.
    """
    context = _context(lake, old_id, new_id)
    sums = []
    for release_id in (old_id, new_id):
        crt = _read_table(lake, release_id, "unfccc_tables")
        gases = {g: c for g, (c, _) in SUMMARY_GASES.items() if c in crt.columns}
        if crt.empty or not gases:
            sums.append(pd.DataFrame(columns=["country", "year", "category_code", "gas",
                                              "value"]))  # fmt: skip
            continue
        long = crt.melt(id_vars=["country", "year", "category_code"],
                        value_vars=list(gases.values()), var_name="column")  # fmt: skip
        long["gas"] = long["column"].map({c: g for g, c in gases.items()})
        keys = ["country", "year", "category_code", "gas"]
        by_category = long.groupby(keys, as_index=False)["value"].sum(min_count=1)
        national = (long.groupby(["country", "year", "gas"], as_index=False)["value"]
                    .sum(min_count=1).assign(category_code=NATIONAL))  # fmt: skip
        sums.append(pd.concat([by_category, national[by_category.columns]], ignore_index=True))
    keys = ["country", "year", "category_code", "gas"]
    both = sums[0].merge(sums[1], on=keys, how="outer", suffixes=("_old", "_new"))
    both["difference"] = both["value_new"].fillna(0) - both["value_old"].fillna(0)
    both = both[(both["difference"].abs() > TOLERANCE)
                | (both["value_old"].isna() != both["value_new"].isna())]  # fmt: skip
    out = both.rename(columns={"value_old": "previous", "value_new": "new"})
    out["unit"] = out["gas"].map({g: u for g, (_, u) in SUMMARY_GASES.items()})
    out["difference_pct"] = (
        100 * out["difference"] / out["previous"].abs().where(out["previous"].abs() > 0)
    )
    out["cause"] = out["country"].map(context.central).fillna(NO_CAUSE)
    out["year"] = out["year"].astype("Int64")
    national_last = out["category_code"] == NATIONAL
    out = out.assign(_national=national_last).sort_values(
        ["country", "year", "_national", "category_code", "gas"]
    )
    return out.drop(columns="_national").reset_index(drop=True)[SUMMARY_COLUMNS]


def compare_releases(lake: Lake, old_id: str, new_id: str) -> pd.DataFrame:
    """Rows of ``stock_changes`` whose dC differs (or appears/disappears), with causes.

    The original recalculation report (its columns are a published contract); every table is
    in :func:`compare_all`.
    """
    frames = []
    for rid in (old_id, new_id):
        table = _read_table(lake, rid, "stock_changes")
        frames.append(table[[*KEYS, VALUE]] if not table.empty else
                      pd.DataFrame(columns=[*KEYS, VALUE]))  # fmt: skip
    both = frames[0].merge(frames[1], on=KEYS, how="outer", suffixes=("_old", "_new"))
    both["difference_tc"] = both[f"{VALUE}_new"].fillna(0) - both[f"{VALUE}_old"].fillna(0)
    changed = both[both["difference_tc"].abs() > TOLERANCE_TC].copy()
    context = _context(lake, old_id, new_id)
    changed["difference_pct"] = 100 * changed["difference_tc"] / changed[f"{VALUE}_old"].abs()
    changed["cause"] = changed["country"].map(context.central).fillna(NO_CAUSE)
    return changed.sort_values(KEYS).reset_index(drop=True)


def write_recalculation_report(lake: Lake, release_id: str) -> pd.DataFrame | None:
    """Compare a release with the one it replaced and write the reports beside it.

    Writes ``recalculations/<release_id>.parquet`` and ``.csv`` (``stock_changes``, as
    :func:`compare_releases`), ``<release_id>_all_tables.csv`` (:func:`compare_all`) and
    ``<release_id>_summary.csv`` (:func:`summary`). None for the first release.
    """
    from inventory.lake.zones import write_csv_atomic, write_parquet_atomic

    history = read_history(_release_dir(lake, release_id))
    previous = history.loc[history["release_id"] == release_id, "previous_release_id"].iloc[0]
    if previous is None or pd.isna(previous):
        return None
    changes = compare_releases(lake, str(previous), release_id)
    out = lake.root / "recalculations"
    write_parquet_atomic(changes, out / f"{release_id}.parquet")
    write_csv_atomic(changes, out / f"{release_id}.csv")
    write_csv_atomic(compare_all(lake, str(previous), release_id),
                     out / f"{release_id}_all_tables.csv")  # fmt: skip
    write_csv_atomic(summary(lake, str(previous), release_id), out / f"{release_id}_summary.csv")
    return changes
