"""Mineral-soil inventory from land-use change matrices, and CRT Table 4.1 (Approach 2).

Countries using the IPCC Approach 2 land representation hold land-use change matrices, not
per-unit histories (IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1). The matrices (``land_use_changes``,
validated by :mod:`inventory.validation.land_use_changes`) become, in DuckDB:

* annual flows between strata (``matrix_flows.sql``: a period matrix's change spread evenly
  over its years) and the areas by stratum and year (``matrix_state_areas.sql``: initial state
  plus cumulated flows, last state held after the last matrix, ``area_source`` flagged);
* the D-year transition ledger (``matrix_transitions.sql``) in the shape of the land-unit
  engine's ``approach2_transitions``: land converted stays ``land_converted_to_<lu>`` (by
  previous land use) for D years, the rest is land remaining. The Approach 2 stock-change
  models (:mod:`inventory.engine.land.approach2`) then run unchanged, so the national total equals
  IPCC 2006 Vol.4 Ch.2 Eq. 2.25 (Approach 1) on the same areas.

CRT Table 4.1 (land transition matrix, kha) is built from the matrices' annual flows or from
land units' runs, as sums of per-cell / per-unit contributions
(``land_transitions_*.sql`` -> ``crt_land_transition_matrix.sql``), so results computed on
partitions of the land add up.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

from inventory.core import units, vocab
from inventory.engine import sql_models
from inventory.engine.land import approach2
from inventory.engine.mineral_soils import mineral
from inventory.engine.options import EngineOptions

TransitionSource = Literal["units", "matrices"]


def matrix_land_areas(
    con: duckdb.DuckDBPyConnection, *, last_year: int | None = None
) -> pd.DataFrame:
    r"""Annual flows and areas by stratum [ha] of the matrices registered on ``con``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection with the view ``land_use_changes`` (harmonised matrices: ``country``,
        ``year``, ``from_year`` [yr], ``climate_zone``, ``soil_class``, the from/to state
        columns and ``area_ha`` [ha]). Tables ``matrix_flows`` and ``matrix_state_areas`` are
        (re)created on it.
    last_year : int, optional
        Last year to cover [yr]; the last state is held after the last matrix.

    Returns
    -------
    pandas.DataFrame
        ``matrix_state_areas``: one row per country, year and stratum with ``area_ha`` [ha]
        and ``area_source`` (reported, interpolated, extrapolated_constant).

    Notes
    -----
    With :math:`A_s(y_0)` the row sums of the first matrix (in its ``from_year``) and
    :math:`f_{p \to s}(t)` the annual flows (a cell of a T-year matrix / T in each of its
    years):

    .. math:: A_s(y) = A_s(y_0) + \sum_{y_0 < t \le y} \left( \sum_p f_{p \to s}(t)
        - \sum_q f_{s \to q}(t) \right)

    Approach 2 land representation of [1]_.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 3, Sec. 3.3.1 (Approach 2: land-use change matrices).
    """
    sql_models.run_models(con, ["matrix_flows", "matrix_state_areas"], {"last_year": last_year})
    return con.execute("SELECT * FROM matrix_state_areas ORDER BY ALL").df()


def compute_matrix_inventory(
    matrices: pd.DataFrame,
    factor_table: pd.DataFrame,
    options: EngineOptions | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> mineral.MineralInventory:
    r"""Stocks [t C] and stock changes [t C yr-1] of mineral soils from land-use change matrices.

    Parameters
    ----------
    matrices : pandas.DataFrame
        Harmonised ``land_use_changes`` (:func:`matrix_land_areas`).
    factor_table : pandas.DataFrame
        Candidate factors (:func:`inventory.engine.mineral_soils.factors.factor_table`): ``value``
        [t C ha-1 for SOC_REF, - for F_LU, F_MG, F_I], ``uncertainty_pct`` [%].
    options : EngineOptions, optional
        D, the reported years, the Monte Carlo draws and their seed
        (:class:`inventory.engine.options.EngineOptions`; its defaults when not given).
    con : duckdb.DuckDBPyConnection, optional
        Connection to run the SQL models on (a new in-memory one by default); the table
        ``land_area_sources`` (country, year, stratum keys, area_source) is left on it.

    Returns
    -------
    MineralInventory
        As :func:`inventory.engine.land.approach2.compute_land_unit_inventory`: ``soc_stocks``,
        ``stock_changes``, ``stock_change_totals`` and ``stock_change_subcategories`` (land
        converted by previous land use).

    Raises
    ------
    MissingFactorError
        When a stratum has no factor.

    Notes
    -----
    Eq. 2.25 of [1]_ per cohort of converted area a (from stratum p to s in year c), in the
    years c .. c + D - 1:

    .. math:: \Delta C_{cohort} = \frac{a \left( SOC_{ppha}(s) - SOC_{ppha}(p) \right)}{D}

    summed to (sub-)categories; the rest of each stratum contributes 0. The sum over cohorts of
    the last D years equals :math:`(SOC(y) - SOC(y - D)) / D` of the areas of
    :func:`matrix_land_areas` (``matrix_transitions.sql`` shows why), i.e. Approach 1 on the
    same areas. Monte Carlo as in Approach 1
    (:func:`inventory.engine.uncertainty.montecarlo.factor_draws`).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25; Ch. 3, Sec. 3.3.1 (Approach 2).
    """
    options = options or EngineOptions()
    con = con or sql_models.connect()
    sql_models.register(con, {"land_use_changes": matrices, "factor_table": factor_table})
    approach2.register_area_uncertainty(con, cells=cell_area_uncertainty(matrices))
    matrix_land_areas(con, last_year=options.last_year)
    con.execute("CREATE OR REPLACE TABLE land_areas AS SELECT * EXCLUDE (area_source) "
                "FROM matrix_state_areas")  # fmt: skip
    con.execute("CREATE OR REPLACE TABLE land_area_sources AS SELECT * EXCLUDE (area_ha) "
                "FROM matrix_state_areas")  # fmt: skip
    params = {"transition_years": options.transition_years, "c_to_co2": units.carbon_to_co2(1.0),
              "first_year": options.first_year, "last_year": options.last_year}  # fmt: skip
    sql_models.run_model(con, "matrix_transitions", params, into="approach2_transitions")
    stratum_factors = mineral.resolve_factors(con)
    return approach2.transitions_inventory(con, stratum_factors, options)


def cell_area_uncertainty(matrices: pd.DataFrame) -> pd.DataFrame | None:
    """Area uncertainty U [%] of each matrix cell with one (harmonised per cell, the same in
    every period: :func:`inventory.harmonise.areas.stratum_uncertainty`), keyed as
    ``approach2.CELL_AREA_KEYS`` (from_* -> past_*, to_* -> the current keys); None when the
    matrices have no value > 0."""
    if vocab.AREA_UNCERTAINTY not in matrices.columns:
        return None
    names = {f"from_{k}": f"past_{k}" for k in ("land_use", "management", "input")}
    names |= {f"to_{k}": k for k in ("land_use", "management", "input")}
    cells = matrices.rename(columns=names)
    cells = cells[cells[vocab.AREA_UNCERTAINTY].fillna(0.0) > 0]
    keys = list(approach2.CELL_AREA_KEYS)
    cells = cells[[*keys, vocab.AREA_UNCERTAINTY]].drop_duplicates(keys)
    return cells.reset_index(drop=True) if len(cells) else None


def land_transition_matrix(
    con: duckdb.DuckDBPyConnection,
    source: TransitionSource,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
) -> pd.DataFrame:
    """CRT Table 4.1, the land transition matrix [kha], for every reported year.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the land-unit engine (``approach2_episodes``,
        ``approach2_unit_summary``, ``approach2_runs``; ``source="units"``) or
        :func:`matrix_land_areas` (``source="matrices"``) has run.
    source : {"units", "matrices"}
        Where the transitions come from.
    first_year, last_year : int, optional
        Reported years [yr]; None = every year with a previous year.

    Returns
    -------
    pandas.DataFrame
        One row per country, year, initial land use and final land use (every pair of the CRT
        land uses): ``from_category_code``, ``to_category_code`` (4.A-4.F), ``area_kha`` [kha]
        and ``area_source``. Rows sum to the areas at the end of the previous year, columns to
        those at the end of the year.

    Notes
    -----
    The cells are sums of per-unit (per-matrix-cell) contributions
    (``land_transitions_units.sql``, ``land_transitions_matrices.sql``), so tables computed
    on partitions of the land add up cell by cell (``crt_land_transition_matrix.sql`` sums
    whatever partial rows ``land_transitions`` holds). Table layout of the UNFCCC common
    reporting tables [1]_.

    References
    ----------
    .. [1] UNFCCC (2021). Decision 5/CMA.3, annex I: common reporting tables, Table 4.1 (land
       transition matrix).
    """
    model = "land_transitions_units" if source == "units" else "land_transitions_matrices"
    if not (source == "units" and _has_table(con, "land_transitions")):  # partitions summed it
        sql_models.run_model(con, model, into="land_transitions")
    categories = pd.DataFrame(
        {
            "land_use": list(vocab.UNFCCC_CATEGORY),
            "category_code": list(vocab.UNFCCC_CATEGORY.values()),
        }
    )
    sql_models.register(con, {"crt_land_uses": categories})
    params = {"first_year": first_year, "last_year": last_year,
              "ha_per_kha": units.conversion_factor("kha", "ha")}  # fmt: skip
    return sql_models.run_model(con, "crt_land_transition_matrix", params)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether ``name`` is a table or view on ``con`` (a partitioned run registers its sums)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n UNION ALL "
        "SELECT count(*) FROM duckdb_views() WHERE view_name = $n",
        {"n": name},
    ).fetchall()
    return sum(n for (n,) in found) > 0
