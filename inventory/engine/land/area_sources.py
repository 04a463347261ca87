"""``area_source`` on the published tables that carry areas (IPCC 2006 Vol.1 Ch.5 provenance).

Harmonisation flags every area it fills (:mod:`inventory.harmonise.timeseries`; matrices:
``matrix_state_areas.sql``). Those flags are carried to the results here:

* tables by stratum (``soc_stocks``; ``organic_soil_emissions`` and ``rewetting_scenario`` by
  organic-soil stratum) get the stratum's flag of the year;
* tables by land use or category (``stock_changes``, ``stock_change_subcategories``,
  ``stock_change_totals``, ``unfccc_tables``) get the distinct flags of the land use's strata in
  the year, as a sorted comma list (``area_sources_by_land_use.sql``; ``all`` = every stratum).

A table without flagged input (land units, or data stored before flags existed) gets
``reported``; with flagged input, a row no area stands behind (e.g. a CRT row of a land use
without land) stays empty. The column is added last; nothing else in the tables changes.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from inventory.core import vocab
from inventory.core.timeseries import REPORTED
from inventory.engine import sql_models

STRATUM = ["country", "year", *vocab.STRATUM_KEYS]
ORGANIC_STRATUM = ["country", "year", "climate_zone", "land_use", "drainage", "nutrient_status",
                   "drainage_depth"]  # fmt: skip
BY_LAND_USE = {  # table -> column of area_sources_by_land_use.sql it takes
    "stock_changes": "mineral_area_source",
    "stock_change_subcategories": "mineral_area_source",
    "stock_change_totals": "mineral_area_source",
    "unfccc_tables": "area_source",
}
BY_ORGANIC_STRATUM = ("organic_soil_emissions", "rewetting_scenario")
DRAINED = "drained"


def _flags(frame: pd.DataFrame | None, keys: list[str]) -> pd.DataFrame:
    """The (keys, area_source) of a flagged dataset; empty when it has no flags."""
    if frame is None or "area_source" not in frame.columns:
        columns = [*keys, "area_source"]
        return pd.DataFrame(
            {k: pd.Series(dtype="int64" if k == "year" else "str") for k in columns}
        )
    return frame[[*keys, "area_source"]].drop_duplicates(keys)


def _merge(table: pd.DataFrame, flags: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``table`` with ``area_source`` joined on ``keys``. Without any flagged input every row
    is ``reported``; with flags, a row no flagged area stands behind stays empty (NULL)."""
    if flags.empty:
        return table.assign(area_source=REPORTED)
    flags = flags.astype({"year": "int64"})
    return table.drop(columns="area_source", errors="ignore").merge(
        flags[[*keys, "area_source"]], on=keys, how="left", validate="many_to_one"
    )


def attach_area_sources(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pd.DataFrame],
    land_areas: pd.DataFrame | None,
    organic_soils: pd.DataFrame | None,
) -> dict[str, pd.DataFrame]:
    """The tables that carry areas with an ``area_source`` column (module docstring).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection to run ``area_sources_by_land_use.sql`` on.
    tables : dict of str to pandas.DataFrame
        The country's result tables; those named in the module docstring are extended.
    land_areas : pandas.DataFrame or None
        Mineral-soil areas with ``area_source`` (harmonised ``land_areas`` or the matrices'
        state areas), keyed by ``country``, ``year`` and the stratum keys.
    organic_soils : pandas.DataFrame or None
        Harmonised ``organic_soils`` with ``area_source``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``tables`` with the flagged tables replaced.
    """
    land, organic = _flags(land_areas, STRATUM), _flags(organic_soils, ORGANIC_STRATUM)
    sql_models.register(con, {"land_area_sources": land, "organic_area_sources": organic})
    by_land_use = sql_models.run_model(con, "area_sources_by_land_use")
    out = dict(tables)
    if "soc_stocks" in out:
        out["soc_stocks"] = _merge(out["soc_stocks"], land, STRATUM)
    for name in BY_ORGANIC_STRATUM:
        if name in out and set(ORGANIC_STRATUM) <= set(out[name].columns):
            out[name] = _merge(out[name], organic, ORGANIC_STRATUM)
        elif name in out:  # the rewetting scenario: drained strata, no drainage column
            keys = [k for k in ORGANIC_STRATUM if k != "drainage"]
            drained = organic[organic["drainage"] == DRAINED].drop(columns="drainage")
            out[name] = _merge(out[name], drained, keys)
    for name, column in BY_LAND_USE.items():
        if name in out and {"country", "year", "land_use"} <= set(out[name].columns):
            flags = by_land_use[["country", "year", "land_use", column]]
            flags = flags.rename(columns={column: "area_source"}).dropna(subset="area_source")
            out[name] = _merge(out[name], flags, ["country", "year", "land_use"])
    return out
