"""Mineral-soil stock-change inventory (IPCC Tier 1/2, Approach 1) run in DuckDB.

The arithmetic lives in ``inventory/sql``: ``stratum_factors`` (factor resolution),
``soc_stocks`` (Eq. 2.25 stocks), ``land_use_stocks`` and ``stock_changes`` (Eq. 2.25 change
with the D-year transition), ``stock_change_uncertainty`` (Monte Carlo interval). This module
binds them together and draws the Monte Carlo factor values.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from inventory.core import units
from inventory.core.failures import LISTED_ROWS, listed
from inventory.engine import sql_models

DEFAULT_TRANSITION_YEARS = 20  # D, IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 (default time dependence)
DEFAULT_MC_DRAWS = 1000
DEFAULT_SEED = 20061
# IPCC tables give +/- % as the half-width of a 95 % interval; for a normal distribution that is
# 1.96 standard deviations (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.2.4).
Z_95 = 1.959963984540054


class MissingFactorError(ValueError):
    """Strata without a factor; ``missing`` lists them (stratum keys + factor)."""

    def __init__(self, missing: pd.DataFrame):
        self.missing = missing
        lines = (
            f"{r.country} {r.climate_zone}/{r.soil_class}/{r.land_use}/{r.management}/{r.input}: "
            f"no {r.factor}"
            for r in missing.head(LISTED_ROWS).itertuples()
        )
        super().__init__(
            "no factor for these strata (add a row to the submission's factors file, or check "
            "the codes):" + listed(lines, len(missing))
        )


@dataclass
class MineralInventory:
    """Outputs of one mineral-soil run (pandas frames with the published column contracts).

    ``stock_change_totals``: national and per-land-use totals with their own Monte Carlo
    interval (``stock_change_totals.sql``). ``stock_change_subcategories``: land converted split
    by previous land use (Approach 2/3 only, None for Approach 1).
    """

    stratum_factors: pd.DataFrame
    soc_stocks: pd.DataFrame
    stock_changes: pd.DataFrame
    stock_change_totals: pd.DataFrame | None = None
    stock_change_subcategories: pd.DataFrame | None = None


def factor_draws(
    stratum_factors: pd.DataFrame, *, n_draws: int, seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """Monte Carlo values of each resolved factor: draw 0 = table value, draws 1..N sampled.

    Each factor is drawn once per iteration and shared by every stratum and year that uses it
    (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3.1: correlated inputs sampled together). Distribution: normal
    with sd = value x uncertainty_pct / 100 / 1.96, truncated at 0; a factor without an
    uncertainty stays fixed.
    """
    unique = stratum_factors.drop_duplicates("factor_id")[["factor_id", "value", "uncertainty_pct"]]
    value = unique["value"].to_numpy(dtype="float64")
    sd = value * np.nan_to_num(unique["uncertainty_pct"].to_numpy(dtype="float64")) / 100 / Z_95
    rng = np.random.default_rng(seed)
    sampled = np.clip(rng.normal(value, sd, size=(n_draws, len(value))), 0.0, None)
    table = np.vstack([value[None, :], sampled])
    draws = np.repeat(np.arange(n_draws + 1), len(value))
    return pd.DataFrame({
        "draw": draws.astype("int32"),
        "factor_id": np.tile(unique["factor_id"].to_numpy(dtype=object), n_draws + 1),
        "value": table.ravel(),
    })  # fmt: skip


def resolve_factors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Resolve factors for every stratum of ``land_areas``; raise naming strata without one."""
    sql_models.run_model(con, "stratum_factors", into="stratum_factors")
    missing = sql_models.run_check(con, "missing_factors")
    if len(missing):
        raise MissingFactorError(missing)
    return con.execute("SELECT * FROM stratum_factors ORDER BY ALL").df()


def compute_mineral_inventory(
    land_areas: pd.DataFrame,
    factor_table: pd.DataFrame,
    *,
    transition_years: int = DEFAULT_TRANSITION_YEARS,
    first_year: int | None = None,
    last_year: int | None = None,
    mc_draws: int = DEFAULT_MC_DRAWS,
    seed: int = DEFAULT_SEED,
    con: duckdb.DuckDBPyConnection | None = None,
) -> MineralInventory:
    """Stocks and stock changes of mineral soils (IPCC 2006 Vol.4 Ch.2 Eq. 2.25).

    Parameters
    ----------
    land_areas : DataFrame
        country, year, climate_zone, soil_class, land_use, management, input, area_ha [ha];
        annual rows, history years before ``first_year`` included when available.
    factor_table : DataFrame
        Candidate factors (``inventory.engine.factors.factor_table``).
    transition_years : int
        D [yr], the period over which a change of stratum moves the stock (default 20).
    first_year, last_year : int, optional
        Reported years [yr]; earlier years only serve as history.
    mc_draws : int
        Monte Carlo iterations for the 95 % interval (0 = none).
    """
    con = con or sql_models.connect()
    sql_models.register(con, {"land_areas": land_areas, "factor_table": factor_table})
    stratum_factors = resolve_factors(con)
    years = {"first_year": first_year, "last_year": last_year}
    soc_stocks = sql_models.run_model(con, "soc_stocks", years)
    sql_models.register(
        con, {"factor_draws": factor_draws(stratum_factors, n_draws=mc_draws, seed=seed)}
    )
    sql_models.run_model(con, "land_use_stocks", into="land_use_stocks")
    params = {"transition_years": transition_years, "c_to_co2": units.carbon_to_co2(1.0), **years}
    sql_models.run_model(con, "stock_changes", params, into="stock_change_draws")
    changes, totals = uncertainty_tables(con, transition_years=transition_years)
    return MineralInventory(stratum_factors, soc_stocks, changes, stock_change_totals=totals)


def _after(frame: pd.DataFrame, column: str) -> int:
    """Position just after ``column`` (for inserting a column beside it)."""
    return list(frame.columns).index(column) + 1


def uncertainty_tables(
    con: duckdb.DuckDBPyConnection, *, transition_years: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``stock_changes`` and ``stock_change_totals`` from the table ``stock_change_draws``.

    Both carry the 95 % Monte Carlo interval (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3) of their rows;
    the totals sum each draw before taking percentiles.
    """
    changes = sql_models.run_model(con, "stock_change_uncertainty")
    changes.insert(_after(changes, "mc_draws"), "transition_years", transition_years)
    sql_models.run_model(con, "stock_change_totals", into="stock_change_totals")
    totals = con.execute("SELECT * FROM stock_change_totals ORDER BY ALL").df()
    totals.insert(_after(totals, "mc_draws"), "transition_years", transition_years)
    return changes, totals


def period_stock_change(
    soc_stocks: pd.DataFrame,
    *,
    start_year: int,
    end_year: int,
    transition_years: int = DEFAULT_TRANSITION_YEARS,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Annual mineral-soil stock change over one inventory period of T = end - start years.

    IPCC 2006 Vol.4 Ch.2 Eq. 2.25: (SOC(end) - SOC(start)) / D, or / T when T > D.
    soc_stocks: country, year, land_use, stock_tc (t C). Returns t C/yr per land use and 'all'.
    """
    if end_year <= start_year:
        raise ValueError(f"the period must end after it starts ({start_year}-{end_year})")
    con = con or sql_models.connect()
    sql_models.register(
        con, {"soc_stocks": soc_stocks[["country", "year", "land_use", "stock_tc"]]}
    )
    return sql_models.run_model(
        con, "period_stock_change",
        {"start_year": start_year, "end_year": end_year, "transition_years": transition_years},
    )  # fmt: skip
