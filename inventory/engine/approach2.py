"""Mineral-soil stock change from land units with annual histories (IPCC Approach 2/3).

IPCC 2006 Vol.4 Ch.2 Eq. 2.25 is applied per land unit: every unit has an equilibrium stock
``SOC_u(y) = A_u x SOC_REF x F_LU x F_MG x F_I`` of its stratum in year ``y`` and changes by
``(SOC_u(y) - SOC_u(y - D)) / D``. Before its first reported year a unit is taken to have been
in its first known state (so nothing changes in the first D years unless the data show a
change). Land converted to a land use within the last D years (years 0 .. D-1 after the change)
is reported as ``land_converted_to_<lu>``, split by previous land use in
``stock_change_subcategories`` (e.g. ``grassland_converted_to_cropland``); all other land as
``<lu>_remaining_<lu>``, for the six IPCC land uses.

Set-based and scalable (``inventory/sql/approach2_*.sql``): one aggregation pass over the unit
rows finds the units whose state never changes (most of a country; their change is 0); only the
changing units are collapsed into runs of constant state, and the change is computed on runs
and area sums, never per unit and year. Factors are resolved and drawn exactly as in
Approach 1 (``stratum_factors.sql``, ``mineral.factor_draws``), the outputs have the Approach 1
columns (``soc_stocks``, ``stock_changes``) so the same publisher and reports serve both.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from inventory.core import units
from inventory.core.failures import LISTED_ROWS, listed
from inventory.engine import mineral, sql_models


class LandUnitHistoryError(ValueError):
    """Land units without one row per year; ``offending`` lists them with a reason."""

    def __init__(self, offending: pd.DataFrame):
        self.offending = offending
        lines = (
            f"{r.country} unit {r.unit_id} ({r.first_year}-{r.last_year}, {r.n_years} rows): "
            f"{r.reason}"
            for r in offending.head(LISTED_ROWS).itertuples()
        )
        super().__init__(
            "land units need one row per year from their first to their last year (fill the "
            "gaps with the unit's state, or drop duplicate rows):" + listed(lines, len(offending))
        )


def land_unit_transitions(
    con: duckdb.DuckDBPyConnection, *, transition_years: int = mineral.DEFAULT_TRANSITION_YEARS
) -> None:
    """Materialise ``approach2_transitions`` (and its inputs) from the view ``land_units``.

    Tables created on ``con``: ``approach2_episodes``, ``approach2_unit_summary``,
    ``approach2_recurring_runs``, ``approach2_runs``, ``approach2_transitions`` and
    ``land_areas`` (areas by stratum and year). Raises LandUnitHistoryError naming units whose
    years are not one row per year.
    """
    first, last = con.execute("SELECT min(year), max(year) FROM land_units").fetchall()[0]
    # year bit sets (UBIGINT) need a span of at most 64 years; longer data are re-read instead
    origin = {"bits_origin": first if first is not None and last - first < 64 else None}
    sql_models.run_model(con, "approach2_episodes", origin, into="approach2_episodes")
    sql_models.run_model(con, "approach2_unit_summary", into="approach2_unit_summary")
    offending = sql_models.run_check(con, "land_unit_histories")
    if len(offending):
        raise LandUnitHistoryError(offending)
    sql_models.run_model(con, "approach2_recurring_runs", into="approach2_recurring_runs")
    sql_models.run_model(con, "approach2_runs", origin, into="approach2_runs")
    params = {"transition_years": transition_years}
    sql_models.run_model(con, "approach2_transitions", params, into="approach2_transitions")
    sql_models.run_model(con, "approach2_land_areas", into="land_areas")


def compute_land_unit_inventory(
    land_units: pd.DataFrame | str | Path,
    factor_table: pd.DataFrame,
    *,
    transition_years: int = mineral.DEFAULT_TRANSITION_YEARS,
    first_year: int | None = None,
    last_year: int | None = None,
    mc_draws: int = mineral.DEFAULT_MC_DRAWS,
    seed: int = mineral.DEFAULT_SEED,
    con: duckdb.DuckDBPyConnection | None = None,
) -> mineral.MineralInventory:
    """Stocks and stock changes of mineral soils from land units (IPCC Approach 2/3, Eq. 2.25).

    Parameters
    ----------
    land_units : DataFrame or Parquet path
        country, unit_id, year, climate_zone, soil_class, land_use, management, input,
        area_ha [ha]; one row per unit and year from the unit's first to its last year
        (history years before ``first_year`` included when available).
    factor_table : DataFrame
        Candidate factors (``inventory.engine.factors.factor_table``), tier 2 included.
    transition_years : int
        D [yr], the period over which a change of state moves the stock (default 20).
    first_year, last_year : int, optional
        Reported years [yr]; earlier years only serve as history.
    mc_draws : int
        Monte Carlo iterations for the 95 % intervals (0 = none); ``seed`` makes them repeatable.

    Returns
    -------
    MineralInventory
        ``soc_stocks`` and ``stock_changes`` with the Approach 1 columns, plus
        ``stock_change_totals`` (national and per land use, with intervals) and
        ``stock_change_subcategories`` (land converted by previous land use).
    """
    con = con or sql_models.connect()
    sql_models.register(con, {"land_units": land_units, "factor_table": factor_table})
    land_unit_transitions(con, transition_years=transition_years)
    stratum_factors = mineral.resolve_factors(con)
    years = {"first_year": first_year, "last_year": last_year}
    soc_stocks = sql_models.run_model(con, "soc_stocks", years)
    draws = mineral.factor_draws(stratum_factors, n_draws=mc_draws, seed=seed)
    sql_models.register(con, {"factor_draws": draws})
    params = {"transition_years": transition_years, "c_to_co2": units.carbon_to_co2(1.0), **years}
    sql_models.run_model(
        con, "approach2_stock_change_draws", params, into="stock_change_subcategory_draws"
    )
    sql_models.run_model(con, "approach2_category_draws", into="stock_change_draws")
    changes, totals = mineral.uncertainty_tables(con, transition_years=transition_years)
    subcategories = sql_models.run_model(con, "stock_change_subcategory_uncertainty")
    return mineral.MineralInventory(
        stratum_factors, soc_stocks, changes,
        stock_change_totals=totals, stock_change_subcategories=subcategories,
    )  # fmt: skip
