"""Reporting indicators over the inventory results: 4p1000, peatland offsets, CRT-style tables.

Thin Python entry points over the SQL models of ``inventory/sql`` (each file's header states its
method, grain, parameters and columns). Every function registers its inputs as views on the
given DuckDB connection and returns a pandas frame.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from inventory.core import units, vocab
from inventory.engine import organic, sql_models

# "4 per 1000" initiative (Le Foll 2015, COP21; Minasny et al. 2017, Geoderma 292:59-86):
# aspirational annual increase of the soil organic carbon stock, per mille per year.
TARGET_PERMILLE = 4.0


def fourp1000_indicators(
    con: duckdb.DuckDBPyConnection,
    soc_stocks: pd.DataFrame,
    stock_changes: pd.DataFrame,
    *,
    target_permille: float = TARGET_PERMILLE,
) -> pd.DataFrame:
    """Annual stock-change rate in per mille of the previous year's stock vs the 4p1000 target.

    soc_stocks: country, year, land_use, stock_tc (t C); stock_changes: country, year, land_use,
    dC_tc_per_yr (t C/yr, + = removal; IPCC 2006 Vol.4 Ch.2 Eq. 2.25). target_permille: per
    mille per year. Returns ``fourp1000_indicators`` (see the SQL header), land_use 'all' = total.
    """
    sql_models.register(con, {"soc_stocks": soc_stocks, "stock_changes": stock_changes})
    return sql_models.run_model(con, "fourp1000_indicators", {"target_permille": target_permille})


def rewetting_scenario(
    con: duckdb.DuckDBPyConnection,
    organic_soils: pd.DataFrame,
    *,
    rewet_share: float,
    gwp_set: str = organic.DEFAULT_GWP_SET,
) -> pd.DataFrame:
    """Avoided t CO2e/yr if ``rewet_share`` (0..1) of every drained stratum were rewetted.

    Drained factors from IPCC 2014 Wetlands Supplement Ch.2, rewetted from Ch.3, same zone,
    land use and nutrient status. Raises OrganicFactorError for strata without a factor.
    """
    if not 0.0 <= rewet_share <= 1.0:
        raise ValueError(f"rewet_share must lie in [0, 1], got {rewet_share}")
    organic.check_strata(organic_soils)
    sql_models.register(con, {
        "organic_soils": organic_soils, "organic_ef": organic.organic_ef_table(),
        "gwp": organic.gwp_table(gwp_set)[["gas", "value"]],
    })  # fmt: skip
    return sql_models.run_model(con, "rewetting_scenario", {"rewet_share": rewet_share})


def peatland_offsets(
    con: duckdb.DuckDBPyConnection,
    organic_soil_emissions: pd.DataFrame,
    stock_changes: pd.DataFrame,
    *,
    rewetting: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Organic-soil emissions against mineral-soil sequestration per country and year (t CO2e).

    ``rewetting`` is the output of :func:`rewetting_scenario`; without it the avoided emissions
    column is 0 (no scenario).
    """
    if rewetting is None:
        rewetting = pd.DataFrame({
            "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
            "avoided_co2e": pd.Series(dtype="float64"),
        })  # fmt: skip
    sql_models.register(con, {
        "organic_soil_emissions": organic_soil_emissions, "stock_changes": stock_changes,
        "rewetting_scenario": rewetting,
    })  # fmt: skip
    return sql_models.run_model(con, "peatland_offsets")


def unfccc_categories() -> pd.DataFrame:
    """Land use -> UNFCCC CRT sector 4 category code (4.A-4.F), from inventory.core.vocab."""
    return pd.DataFrame(
        sorted(vocab.UNFCCC_CATEGORY.items()), columns=["land_use", "category_code"]
    )


def unfccc_tables(
    con: duckdb.DuckDBPyConnection,
    stock_changes: pd.DataFrame,
    organic_soil_emissions: pd.DataFrame,
) -> pd.DataFrame:
    """CRT-style soil rows (4.A-4.F x total/remaining/converted x year) with notation keys."""
    sql_models.register(con, {
        "stock_changes": stock_changes, "organic_soil_emissions": organic_soil_emissions,
        "unfccc_categories": unfccc_categories(),
    })  # fmt: skip
    c_per_co2 = units.conversion_factor("t CO2", "t C")
    return sql_models.run_model(con, "unfccc_tables", {"c_per_co2": c_per_co2})
