"""One country's national-reporting tables: CRT Table 4.1, uncertainty, key categories, flags.

Called by :func:`inventory.engine.run.compute_country` after the mineral and organic-soil
inventory, on the same DuckDB connection (whose tables it reads: ``stock_change_draws``,
``stratum_factors`` and the engine's inputs):

* which land representation the run uses (:func:`land_dataset`): stratum areas, land units,
  or land-use change matrices (Approach 2 without units);
* ``land_transition_matrix`` (CRT Table 4.1, :mod:`inventory.engine.land.land_use_changes`) when
  land units or matrices are there;
* ``uncertainty_analysis`` (:mod:`inventory.engine.reporting_tables.propagation`) and
  ``key_categories`` (:mod:`inventory.engine.reporting_tables.key_categories`), base year = the
  first reported
  year;
* ``area_source`` on the tables that carry areas (:mod:`inventory.engine.land.area_sources`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from inventory.core import units
from inventory.engine import sql_models
from inventory.engine.land import area_sources, land_use_changes
from inventory.engine.reporting_tables import key_categories, propagation
from inventory.engine.uncertainty.draw_matrix import DrawMatrix
from inventory.harmonise.store import PinnedVersion

LAND_DATASETS = ("land_areas", "land_units", "land_use_changes")


def land_dataset(inputs: PinnedVersion, approach: int) -> str:
    """The harmonised dataset holding the country's land representation for ``approach``.

    Approach 1: ``land_areas``; Approach 2/3: ``land_units``, or for Approach 2 without units
    the land-use change matrices ``land_use_changes`` (IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1).
    """
    if approach == 1:
        return "land_areas"
    if approach == 2 and not inputs.has("land_units"):
        if inputs.read("land_use_changes") is not None:
            return "land_use_changes"
    return "land_units"


def _transition_matrix(con: duckdb.DuckDBPyConnection, inputs: PinnedVersion, dataset: str,
                       years: tuple) -> pd.DataFrame | None:  # fmt: skip
    """CRT Table 4.1 from the land units or matrices of the run, if it has either."""
    if dataset == "land_units":
        return land_use_changes.land_transition_matrix(con, "units", first_year=years[0],
                                                       last_year=years[1])  # fmt: skip
    matrices = inputs.read("land_use_changes")
    if matrices is None:
        return None
    if dataset == "land_areas":  # Approach 1 areas with matrices beside them
        sql_models.register(con, {"land_use_changes": matrices})
        land_use_changes.matrix_land_areas(con, last_year=years[1])
    return land_use_changes.land_transition_matrix(con, "matrices", first_year=years[0],
                                                   last_year=years[1])  # fmt: skip


def _base_year(tables: dict[str, pd.DataFrame], years: tuple) -> int:
    return int(years[0]) if years[0] is not None else int(tables["stock_changes"]["year"].min())


def reporting_tables(
    con: duckdb.DuckDBPyConnection,
    inputs: PinnedVersion,
    tables: dict[str, pd.DataFrame],
    *,
    dataset: str,
    years: tuple[int | None, int | None],
    transition_years: int,
    seed: int = 0,
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> dict[str, pd.DataFrame]:
    """The country's tables plus Table 4.1, uncertainty and key categories, areas flagged.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the mineral and organic inventory ran on.
    inputs : PinnedVersion
        The country's harmonised version the whole computation reads
        (:func:`inventory.harmonise.store.pin_harmonised`).
    tables : dict of str to pandas.DataFrame
        The tables computed so far (``stock_changes``, ``organic_soil_emissions``, ...).
    dataset : str
        The land representation used (:func:`land_dataset`).
    years : tuple
        First and last reported year [yr] (None = all).
    transition_years : int
        D [yr] of the run.
    seed : int, default 0
        Run seed [-] of the organic-soil factor draws.
    organic_draws : DrawMatrix, optional
        Those draws when already made for this run
        (``propagation.organic_category_draw_matrix`` of ``organic_soil_emissions`` with
        ``seed`` and as many draws as ``stock_change_draws``); made here without them.
    mineral_draws : DrawMatrix, optional
        The draws of ``stock_change_draws`` as a matrix when the run holds them (Approach 1);
        read from that table without them.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``tables`` with ``land_transition_matrix`` (when available), ``uncertainty_analysis``
        and ``key_categories`` added and ``area_source`` on the tables that carry areas.
    """
    out = dict(tables)
    matrix = _transition_matrix(con, inputs, dataset, years)
    if matrix is not None:
        out["land_transition_matrix"] = matrix
    params = {"transition_years": transition_years, "c_to_co2": units.carbon_to_co2(1.0),
              "first_year": years[0], "last_year": years[1]}  # fmt: skip
    base_year = _base_year(tables, years)
    engine: propagation.Engine = "stratum" if dataset == "land_areas" else "transitions"
    analysis = propagation.uncertainty_analysis(
        con, engine=engine, params=params, base_year=base_year,
        organic_emissions=tables["organic_soil_emissions"], seed=seed,
        organic_draws=organic_draws, mineral_draws=mineral_draws,
    )  # fmt: skip
    out["uncertainty_analysis"] = analysis
    sql_models.register(con, {"uncertainty_analysis": analysis})
    out["key_categories"] = key_categories.key_category_analysis(
        con, base_year=base_year, national_totals=inputs.read("national_totals")
    )
    land = _land_flags(con, inputs, dataset)
    organic = inputs.read("organic_soils")
    return area_sources.attach_area_sources(con, out, land, organic)


def _land_flags(con: duckdb.DuckDBPyConnection, inputs: PinnedVersion,
                dataset: str) -> pd.DataFrame | None:  # fmt: skip
    """Mineral-soil areas with their area_source (harmonised areas, or the matrices' states)."""
    if dataset == "land_areas":
        return inputs.read("land_areas")
    if dataset == "land_use_changes":
        return con.sql("SELECT * FROM land_area_sources").df()
    return None
