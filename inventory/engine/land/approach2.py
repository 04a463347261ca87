"""Mineral-soil stock change from land units with annual histories (IPCC Approach 2/3).

IPCC 2006 Vol.4 Ch.2 Eq. 2.25 is applied per land unit: every unit has an equilibrium stock
``SOC_u(y) = A_u x SOC_REF x F_LU x F_MG x F_I`` of its stratum in year ``y`` and changes by
``(SOC_u(y) - SOC_u(y - D)) / D``. Before its first reported year a unit is taken to have been
in its first known state (so nothing changes in the first D years unless the data show a
change). Land converted to a land use within the last D years (years 0 .. D-1 after the change)
is reported as ``land_converted_to_<lu>``, split by previous land use in
``stock_change_subcategories`` (e.g. ``grassland_converted_to_cropland``); all other land as
``<lu>_remaining_<lu>``, for the six IPCC land uses.

Set-based and scalable (``inventory/engine/sql/approach2_*.sql``): one aggregation pass over
the unit rows, grouping integers (each row's stratum as one ``state_id``, encoded once at
harmonisation, :mod:`inventory.harmonise.land_unit_states`, or on the fly), finds the units
whose state never changes (most of a country; their change is 0); only the changing units
are collapsed into runs of constant state, and the change is computed on runs and area sums,
never per unit and year. Factors are resolved and drawn exactly as in
Approach 1 (``stratum_factors.sql``, ``montecarlo.factor_draws``), the outputs have the Approach 1
columns (``soc_stocks``, ``stock_changes``) so the same publisher and reports serve both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from inventory.core import units
from inventory.core.failures import RowListingError
from inventory.engine import sql_models
from inventory.engine.mineral_soils import mineral, stocks
from inventory.engine.options import DEFAULT_TRANSITION_YEARS, EngineOptions
from inventory.engine.uncertainty import montecarlo
from inventory.harmonise import land_unit_states


class LandUnitHistoryError(RowListingError):
    """Land units without one row per year; ``rows`` lists them with a reason."""

    headline = (
        "land units need one row per year from their first to their last year (fill the "
        "gaps with the unit's state, or drop duplicate rows):"
    )

    def describe(self, r: Any) -> str:
        years = f"{r.first_year}-{r.last_year}, {r.n_years} rows"
        return f"{r.country} unit {r.unit_id} ({years}): {r.reason}"


def register_land_units(
    con: duckdb.DuckDBPyConnection,
    land_units: pd.DataFrame | str | Path | duckdb.DuckDBPyRelation,
    strata: pd.DataFrame | str | Path | duckdb.DuckDBPyRelation | None = None,
) -> None:
    """The engine's land-unit inputs on ``con``: ``land_units`` (``country``, ``unit_id``,
    ``year`` [yr], ``state_id``, ``area_ha`` [ha]) and ``land_unit_strata`` (``state_id`` ->
    stratum keys).

    Units harmonised with their encoding (a ``state_id`` column, and ``strata`` their dimension
    table) are used as stored; otherwise the stratum keys are encoded on the fly
    (:func:`inventory.harmonise.land_unit_states.encode_relation`): the tables computed are the
    same either way.
    """
    rel = _relation(con, land_units, "land_units_input")
    if strata is not None and land_unit_states.STATE_ID in rel.columns:
        rel.select(*land_unit_states.ENCODED_UNIT_COLUMNS).create_view("land_units", replace=True)
        dimension = _relation(con, strata, "land_unit_strata_input")
        dimension.select(*land_unit_states.STRATA_COLUMNS).create_view(
            "land_unit_strata", replace=True
        )
        return
    units, dimension = land_unit_states.encode_relation(con, rel)
    units.create_view("land_units", replace=True)
    dimension.create_view("land_unit_strata", replace=True)


def _relation(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame | str | Path | duckdb.DuckDBPyRelation,
    name: str,
) -> duckdb.DuckDBPyRelation:
    """A frame, Parquet path or relation as a relation on ``con`` (frames registered as
    ``name``)."""
    if isinstance(table, duckdb.DuckDBPyRelation):
        return table
    sql_models.register(con, {name: table})
    return con.table(name)


def _encoded_units_on(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` has ``land_unit_strata`` and a ``land_units`` with ``state_id``."""
    (found,) = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'land_unit_strata'"
    ).fetchall()[0]
    return bool(found) and land_unit_states.STATE_ID in con.table("land_units").columns


def land_unit_transitions(
    con: duckdb.DuckDBPyConnection, *, transition_years: int = DEFAULT_TRANSITION_YEARS
) -> None:
    r"""Current and past (y - D) state areas of land units, materialised on ``con``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection with the views ``land_units`` (``country``, ``unit_id``, ``year`` [yr],
        ``state_id``, ``area_ha`` [ha]) and ``land_unit_strata`` (``country``, ``state_id``,
        ``climate_zone``, ``soil_class``, ``land_use``, ``management``, ``input``), as
        :func:`register_land_units` makes them (a ``land_units`` with the stratum keys instead
        is copied and encoded here). Tables created on it: ``approach2_episodes``,
        ``approach2_unit_summary``, ``approach2_recurring_runs``, ``approach2_runs``,
        ``approach2_transitions`` and ``land_areas`` (areas by stratum and year, the Approach 1
        input shape).
    transition_years : int, default 20
        D, the period over which a change of state moves the stock [yr].

    Returns
    -------
    None
        ``approach2_transitions`` has one row per (country, year, land_use_category,
        land_use_subcategory, current stratum, past stratum ``past_*``) with ``area_ha`` [ha]
        (current area) and ``past_area_ha`` [ha] (area in y - D).

    Raises
    ------
    LandUnitHistoryError
        Naming the units whose years are not one row per year.

    Notes
    -----
    Both states the change of Eq. 2.25 [1]_ needs per land unit u, summed over units (areas
    are linear, so factors can be applied to the sums):

    .. math:: \Delta C_u(y) = \frac{SOC_u(y) - SOC_u(y - D)}{D}, \quad
        SOC_u = A_u \, SOC_{REF} \, F_{LU} \, F_{MG} \, F_I

    The past state is the unit's state in year y - D, or in its first year when y - D
    precedes it (history before the first year = first known state). Units whose state never
    changes contribute their area to land remaining with the past state equal to the current
    one. Reporting category (UNFCCC, Approach 2/3 land representation [2]_): land converted to
    its current land use while y is within D years of the start of the current land-use spell
    (years 0 .. D-1 after the change; a change of management alone does not start a spell),
    else land remaining; converted land is split by the land use of the previous spell.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25.
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 3, Sec. 3.3.1.
    """
    if not _encoded_units_on(con):  # a caller registered land units with text keys only
        con.execute("CREATE OR REPLACE TEMP TABLE land_units_submitted AS FROM land_units")
        con.unregister("land_units")
        con.execute("DROP VIEW IF EXISTS land_units")
        register_land_units(con, con.table("land_units_submitted"))
    first, last = con.execute("SELECT min(year), max(year) FROM land_units").fetchall()[0]
    # year bit sets (UBIGINT) need a span of at most 64 years; longer data are re-read instead
    origin = {"bits_origin": first if first is not None and last - first < 64 else None}
    sql_models.run_models(con, ["approach2_episodes", "approach2_unit_summary"], origin)
    offending = sql_models.run_check(con, "land_unit_histories")
    if len(offending):
        raise LandUnitHistoryError(offending)
    sql_models.run_models(
        con, ["approach2_recurring_runs", "approach2_runs", "approach2_transitions", "land_areas"],
        {**origin, "transition_years": transition_years},
        producers={"land_areas": "approach2_land_areas"},
    )  # fmt: skip


def compute_land_unit_inventory(
    land_units: pd.DataFrame | str | Path,
    factor_table: pd.DataFrame,
    options: EngineOptions | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    strata: pd.DataFrame | str | Path | None = None,
) -> mineral.MineralInventory:
    r"""Stocks [t C] and stock changes [t C yr-1] of mineral soils from land units (Approach 2/3).

    Parameters
    ----------
    land_units : pandas.DataFrame or str or pathlib.Path
        DataFrame or Parquet path with columns ``country``, ``unit_id``, ``year`` [yr],
        ``climate_zone``, ``soil_class``, ``land_use``, ``management``, ``input`` and
        ``area_ha`` [ha]; one row per unit and year from the unit's first to its last year
        (history years before ``first_year`` included when available).
    factor_table : pandas.DataFrame
        Candidate factors (:func:`inventory.engine.mineral_soils.factors.factor_table`), tier 2
        included:
        ``value`` [t C ha-1 for SOC_REF, - for F_LU, F_MG, F_I], ``uncertainty_pct`` [%].
    options : EngineOptions, optional
        D, the reported years, the Monte Carlo draws and their seed
        (:class:`inventory.engine.options.EngineOptions`; its defaults when not given).
    con : duckdb.DuckDBPyConnection, optional
        Connection to run the SQL models on (a new in-memory one by default).
    strata : pandas.DataFrame or str or pathlib.Path, optional
        The stratum dimension table of units harmonised with a ``state_id``
        (:mod:`inventory.harmonise.land_unit_states`); without it the units are encoded on the
        fly.

    Returns
    -------
    MineralInventory
        ``soc_stocks`` and ``stock_changes`` with the Approach 1 columns
        (:func:`inventory.engine.mineral_soils.mineral.compute_mineral_inventory`: ``stock_tc`` [t
        C],
        ``dC_tc_per_yr`` [t C yr-1], + = removal, ``dCO2_t_per_yr`` [t CO2 yr-1], + = emission,
        ``ci_low``, ``ci_high`` [t C yr-1]), plus ``stock_change_totals`` (national and per land
        use, with intervals) and ``stock_change_subcategories`` (land converted by previous
        land use, e.g. ``grassland_converted_to_cropland``, with ``previous_land_use``,
        ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1] and its 95 % interval).

    Raises
    ------
    LandUnitHistoryError
        When a unit does not have one row per year.
    MissingFactorError
        When a stratum has no factor.

    Notes
    -----
    Eq. 2.25 [1]_ per land unit, summed to reporting sub-categories
    (``approach2_stock_change_draws.sql``):

    .. math:: \Delta C(y) = \sum_u \frac{A_u(y) \, SOC_{ppha}(s_{u,y})
        - A_u(y - D) \, SOC_{ppha}(s_{u,y-D})}{D}

    with :math:`SOC_{ppha} = SOC_{REF} \, F_{LU} \, F_{MG} \, F_I` [t C ha-1] of the unit's
    stratum s in year y resp. y - D (see :func:`land_unit_transitions` for the past state and
    the reporting categories) and :math:`\Delta CO_2 = -\Delta C \times 44/12`. Each Monte
    Carlo draw is applied to area sums by stratum (areas are linear; IPCC Approach 2 on
    stratum aggregates [2]_); factors are resolved and drawn exactly as in Approach 1.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25; land representation Approaches 2/3, Vol. 4, Ch. 3, Sec. 3.3.1.
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3.
    """
    options = options or EngineOptions()
    con = con or sql_models.connect()
    register_land_units(con, land_units, strata)
    register_area_uncertainty(con, strata=land_unit_area_uncertainty(con))
    sql_models.register(con, {"factor_table": factor_table})
    land_unit_transitions(con, transition_years=options.transition_years)
    stratum_factors = mineral.resolve_factors(con)
    return transitions_inventory(con, stratum_factors, options)


def transitions_inventory(
    con: duckdb.DuckDBPyConnection,
    stratum_factors: pd.DataFrame,
    options: EngineOptions,
) -> mineral.MineralInventory:
    """Stocks, categories, totals, sub-categories and inventory stocks from the transition
    ledger on ``con`` (``approach2_transitions`` and ``land_areas``, from land units or from
    land-use change matrices) and the resolved factors; Monte Carlo of ``options.mc_draws``
    draws."""
    equilibrium = sql_models.run_model(con, "soc_stocks", {"first_year": None, "last_year": None})
    params = {"transition_years": options.transition_years, "c_to_co2": units.carbon_to_co2(1.0)}
    history = transition_history(con, stratum_factors, params)
    draws = montecarlo.factor_draws(stratum_factors, n_draws=options.mc_draws, seed=options.seed)
    sql_models.register(
        con, {"factor_draws": draws, **area_draws(con, n_draws=options.mc_draws, seed=options.seed)}
    )
    sql_models.run_model(
        con, "approach2_stock_change_draws",
        {**params, "first_year": options.first_year, "last_year": options.last_year},
        into="stock_change_subcategory_draws",
    )  # fmt: skip
    register_stock_draws(con, equilibrium, transition_years=options.transition_years,
                         years=options.years)  # fmt: skip
    return inventory_from_draws(con, stratum_factors, equilibrium, history,
                                transition_years=options.transition_years,
                                years=options.years)  # fmt: skip


def inventory_from_draws(
    con: duckdb.DuckDBPyConnection,
    stratum_factors: pd.DataFrame,
    equilibrium: pd.DataFrame,
    history: pd.DataFrame,
    *,
    transition_years: int,
    years: tuple[int | None, int | None],
) -> mineral.MineralInventory:
    """Categories, totals and sub-categories with their 95 % intervals from the per-draw
    sub-category changes on ``con`` (``stock_change_subcategory_draws``, computed in one pass
    or summed over partitions), and the inventory stocks S(y) from ``history``."""
    sql_models.run_model(con, "approach2_category_draws", into="stock_change_draws")
    changes, totals = mineral.uncertainty_tables(con, transition_years=transition_years)
    subcategories = sql_models.run_model(con, "stock_change_subcategory_uncertainty")
    stock_table = stocks.inventory_stocks(
        con, equilibrium, history, transition_years=transition_years, years=years
    )
    return mineral.MineralInventory(
        stratum_factors, mineral.reported_years(equilibrium, *years), changes,
        stock_change_totals=totals, stock_change_subcategories=subcategories,
        inventory_stocks=stock_table,
    )  # fmt: skip


def transition_history(
    con: duckdb.DuckDBPyConnection, stratum_factors: pd.DataFrame, params: dict
) -> pd.DataFrame:
    """Deterministic category changes [t C yr-1] of every year with data (history included)."""
    sql_models.register(con, {
        "factor_draws": montecarlo.factor_draws(stratum_factors, n_draws=0, seed=0),
        **area_draw_tables(n_draws=0, seed=0),
    })  # fmt: skip
    sub = sql_models.run_model(
        con, "approach2_stock_change_draws", {**params, "first_year": None, "last_year": None}
    )
    return sub.groupby(mineral.CATEGORY_KEYS, as_index=False)[["area_ha", "dC_tc_per_yr"]].sum()


# ------------------------------------------------------------------ activity data (areas)
# approach2_stock_change_draws draws the areas with the factors (IPCC 2006 Vol.1 Ch.3
# Sec. 3.2.3): land units by stratum (the stratum's area in every year, as Approach 1 does),
# change matrices by cell (the converted area of a from -> to cell in every period).
STRATUM_AREA_KEYS = tuple(montecarlo.STRATUM_KEYS)
CELL_AREA_KEYS = (
    "country", "climate_zone", "soil_class", "past_land_use", "past_management", "past_input",
    "land_use", "management", "input",
)  # fmt: skip
# Tables on the connection holding the uncertainty [%] of each uncertain stratum / cell of the
# run (the Monte Carlo and the Approach 1 propagation read them).
AREA_UNCERTAINTY_TABLES = {"stratum_area_draws": "stratum_area_uncertainty",
                           "cell_area_draws": "cell_area_uncertainty"}  # fmt: skip
AREA_KEYS = {"stratum_area_draws": STRATUM_AREA_KEYS, "cell_area_draws": CELL_AREA_KEYS}


def land_unit_area_uncertainty(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """Area uncertainty U [%] of each land-unit stratum with one: the area-weighted mean over
    its unit-year rows of ``area_uncertainty_pct`` (harmonised per unit; an empty cell counts
    as exact, 0 %), from ``land_units_input`` on ``con`` (the units as given to
    :func:`register_land_units`); None when the units have no such column or no value > 0."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'land_units_input'"
    ).fetchall()[0][0]
    if not found or montecarlo.AREA_UNCERTAINTY not in con.table("land_units_input").columns:
        return None
    keys = ", ".join(STRATUM_AREA_KEYS)
    rows = "land_units_input"
    if not set(STRATUM_AREA_KEYS) <= set(con.table(rows).columns):  # stored codes only
        rows = ("(SELECT u.area_ha, u.area_uncertainty_pct, s.* FROM land_units_input AS u "
                "JOIN land_unit_strata AS s USING (country, state_id))")  # fmt: skip
    frame = con.sql(f"""
        SELECT {keys},
            CASE WHEN sum(greatest(area_ha, 0)) > 0
                THEN sum(greatest(area_ha, 0) * coalesce(area_uncertainty_pct, 0))
                    / sum(greatest(area_ha, 0))
                ELSE avg(coalesce(area_uncertainty_pct, 0)) END AS area_uncertainty_pct
        FROM {rows}
        GROUP BY ALL
        HAVING max(area_uncertainty_pct) > 0
        ORDER BY ALL
    """).df()  # fmt: skip
    return frame if len(frame) else None


def register_area_uncertainty(
    con: duckdb.DuckDBPyConnection,
    *,
    strata: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
) -> None:
    """Keep the run's uncertain strata (``STRATUM_AREA_KEYS``) and cells (``CELL_AREA_KEYS``)
    with their ``area_uncertainty_pct`` [%] on ``con`` (empty tables when none)."""
    for name, table in (("stratum_area_draws", strata), ("cell_area_draws", cells)):
        columns = [*AREA_KEYS[name], montecarlo.AREA_UNCERTAINTY]
        frame = (pd.DataFrame({c: pd.Series(dtype="str") for c in AREA_KEYS[name]})
                 .assign(**{montecarlo.AREA_UNCERTAINTY: pd.Series(dtype="float64")})
                 if table is None else table[columns].reset_index(drop=True))  # fmt: skip
        con.register("area_uncertainty_input", frame)
        con.execute(f"CREATE OR REPLACE TABLE {AREA_UNCERTAINTY_TABLES[name]} AS "
                    "FROM area_uncertainty_input")  # fmt: skip
        con.unregister("area_uncertainty_input")


def area_uncertainty(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame | None]:
    """The uncertain strata and cells kept by :func:`register_area_uncertainty` (None: none)."""
    out: dict[str, pd.DataFrame | None] = dict.fromkeys(AREA_UNCERTAINTY_TABLES)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for name, table in AREA_UNCERTAINTY_TABLES.items():
        if table in tables:
            frame = con.table(table).df()
            out[name] = frame if len(frame) else None
    return out


def area_draws(con: duckdb.DuckDBPyConnection, *, n_draws: int, seed: int) -> dict[str, pa.Table]:
    """:func:`area_draw_tables` of the strata and cells kept on ``con``."""
    kept = area_uncertainty(con)
    return area_draw_tables(kept["stratum_area_draws"], kept["cell_area_draws"],
                            n_draws=n_draws, seed=seed)  # fmt: skip


def area_draw_tables(
    strata: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
    *,
    n_draws: int,
    seed: int,
) -> dict[str, pa.Table]:
    r"""The area multipliers of ``approach2_stock_change_draws``: ``stratum_area_draws`` and
    ``cell_area_draws``.

    Parameters
    ----------
    strata, cells : pandas.DataFrame, optional
        Uncertain strata (``STRATUM_AREA_KEYS``) resp. matrix cells (``CELL_AREA_KEYS``) with
        ``area_uncertainty_pct`` [%] (U, the 95 % half-width as % of the area).
    n_draws : int
        N [count]; 0 gives empty tables (draw 0 is the submitted areas).
    seed : int
        Run seed [-].

    Returns
    -------
    dict
        Arrow tables (draw, the keys, ``multiplier`` [-]) of draws 1..N of the strata and cells
        with U > 0; the others are exact (m = 1, no row).

    Notes
    -----
    :math:`m^{(k)} = 1 + U / 196 \times Z^{(k)}`, one per stratum or cell and draw for all
    years, each from its own stream (:func:`inventory.engine.uncertainty.montecarlo.
    area_multipliers`; IPCC 2006 Vol.1 Ch.3 Sec. 3.2.2.4 and 3.2.3 [1]_). A land-unit stratum
    has the multiplier Approach 1 gives the same stratum.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.2.4 and 3.2.3.
    """
    out = {}
    for name, table in (("stratum_area_draws", strata), ("cell_area_draws", cells)):
        keys = list(AREA_KEYS[name])
        uncertain = (table[table[montecarlo.AREA_UNCERTAINTY].fillna(0.0) > 0]
                     if table is not None and n_draws > 0 else None)  # fmt: skip
        if uncertain is None or uncertain.empty:
            out[name] = pa.table(
                {"draw": pa.array([], pa.int32()),
                 **{k: pa.array([], pa.string()) for k in keys},
                 "multiplier": pa.array([], pa.float64())}
            )  # fmt: skip
            continue
        uncertain = uncertain.sort_values(keys, ignore_index=True)
        m = montecarlo.area_multipliers(uncertain, keys, n_draws=n_draws, seed=seed)[1:]
        k = len(uncertain)
        out[name] = pa.table({
            "draw": np.repeat(np.arange(1, n_draws + 1, dtype=np.int32), k),
            **{c: np.tile(uncertain[c].astype("str").to_numpy(dtype=object), n_draws)
               for c in keys},
            "multiplier": m.ravel(),
        })  # fmt: skip
    return out


def register_stock_draws(
    con: duckdb.DuckDBPyConnection,
    equilibrium: pd.DataFrame,
    *,
    transition_years: int,
    years: tuple[int | None, int | None],
) -> None:
    r"""``inventory_stock_draws`` on ``con``: the national S(y) [t C] of every Monte Carlo draw
    of the run's ``factor_draws`` and area draws (none registered when there are no draws).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holding ``stratum_factors``, ``factor_draws`` (draws 0..N), ``stratum_area_draws`` and
        ``cell_area_draws`` (:func:`area_draw_tables`) and, for change matrices,
        ``matrix_flows``.
    equilibrium : pandas.DataFrame
        ``soc_stocks`` of every year with data (country, year, stratum keys, ``area_ha`` [ha]).
    transition_years : int
        D [yr].
    years : (int or None, int or None)
        First and last reported year [yr].

    Notes
    -----
    The identity of ``inventory_stocks.sql`` draw by draw
    (:func:`inventory.engine.mineral_soils.stocks.national_stock_draws`; IPCC 2006 Vol.4 Ch.2
    Eq. 2.25, the draws of Vol.1 Ch.3 Sec. 3.2.3):

    .. math:: S_k(y) = \frac{1}{D} \sum_{u = y - D + 1}^{y} SOC_k(\max(u, y_0)), \qquad
        SOC_k(u) = \sum_s A_s(u) \, p_k(s) \, m_k(s)
        + \sum_c F_c(u) \, (m_k(c) - 1) \, (p_k(to_c) - p_k(from_c))

    with :math:`p_k(s)` the product of the stratum's factors in draw k, :math:`m_k(s)` a
    land-unit stratum's area multiplier and, for change matrices, :math:`F_c(u)` the area cell
    c moved after the first year up to u (``matrix_flows``) and :math:`m_k(c)` its
    multiplier: the state areas of a draw are the first state plus its drawn flows, so the
    terms of c are linear in :math:`m_k(c) - 1`. Draw 0 is the published S(y).
    """
    ((n_draws,),) = con.execute("SELECT coalesce(max(draw), 0) FROM factor_draws").fetchall()
    if not n_draws:
        return
    keys = list(STRATUM_AREA_KEYS)
    listed = ", ".join(keys)
    matching = " AND ".join(f"m.{k} = s.{k}" for k in keys)
    # the strata numbered 0.. in key order; draws, stratum numbers and values fetched as arrays
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE stock_draw_strata AS SELECT {listed}, "
        f"(row_number() OVER (ORDER BY {listed}) - 1)::INTEGER AS j "
        f"FROM (SELECT DISTINCT {listed} FROM stratum_factors)"
    )  # fmt: skip
    strata = con.sql(f"SELECT {listed} FROM stock_draw_strata ORDER BY j").df()
    products = con.sql(
        "SELECT d.draw, s.j, product(d.value) AS p FROM stratum_factors AS sf "
        f"JOIN stock_draw_strata AS s USING ({listed}) "
        "JOIN factor_draws AS d USING (factor_id) GROUP BY ALL"
    ).fetchnumpy()  # fmt: skip
    stock = np.zeros((n_draws + 1, len(strata)))
    stock[products["draw"], products["j"]] = products["p"]
    drawn = con.sql(
        "SELECT m.draw, s.j, m.multiplier FROM stratum_area_draws AS m "
        f"JOIN stock_draw_strata AS s ON {matching}"
    ).fetchnumpy()  # fmt: skip
    stock[drawn["draw"], drawn["j"]] *= drawn["multiplier"]
    rows, columns_of_cells, terms = _cell_terms(con, equilibrium, strata, stock, n_draws)
    sql_models.register(con, {
        "inventory_stock_draws": stocks.national_stock_draws(
            pd.concat([equilibrium, rows], ignore_index=True) if len(rows) else equilibrium,
            pd.concat([strata, columns_of_cells], ignore_index=True),
            np.hstack([stock, terms]), transition_years=transition_years, years=years,
        )
    })  # fmt: skip


# Key values naming a matrix cell's flow terms in the linear map of register_stock_draws (never
# a vocabulary code, never published).
_CELL_TERM = "matrix cell {} ({})"


def _cell_terms(
    con: duckdb.DuckDBPyConnection,
    equilibrium: pd.DataFrame,
    strata: pd.DataFrame,
    stock: np.ndarray,
    n_draws: int,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The flow terms of the uncertain matrix cells as extra columns of the map from areas to
    SOC (:func:`register_stock_draws`): rows (country, year, keys, ``area_ha`` = +-F_c(u)),
    their column keys, and per draw (m_k(c) - 1) x p_k(to) resp. p_k(from) [t C ha-1]."""
    keys = list(STRATUM_AREA_KEYS)
    empty = (equilibrium.iloc[:0][["year", *keys, "area_ha"]], strata.iloc[:0],
             np.zeros((n_draws + 1, 0)))  # fmt: skip
    cells = con.table("cell_area_draws").df()
    if cells.empty:
        return empty
    cell_keys = list(CELL_AREA_KEYS)
    ids = cells[cell_keys].drop_duplicates().sort_values(cell_keys, ignore_index=True)
    m = np.ones((n_draws + 1, len(ids)))
    at = cells.merge(ids.assign(_c=np.arange(len(ids))), on=cell_keys)
    m[at["draw"].to_numpy(), at["_c"].to_numpy()] = at["multiplier"].to_numpy()
    flows = con.sql(
        "SELECT country, year, climate_zone, soil_class, from_land_use AS past_land_use, "
        "from_management AS past_management, from_input AS past_input, "
        "to_land_use AS land_use, to_management AS management, to_input AS input, "
        "sum(area_ha) AS area_ha FROM matrix_flows GROUP BY ALL"
    ).df()  # fmt: skip
    flows = flows.merge(ids.assign(_c=np.arange(len(ids))), on=cell_keys)
    position = strata.assign(_j=np.arange(len(strata))).set_index(keys)["_j"]
    rows, names, terms = [], [], []
    data_years = equilibrium[["country", "year"]].drop_duplicates()
    for c, cell in ids.iterrows():  # the uncertain cells of the run: a handful
        own = flows[flows["_c"] == c]
        for side, sign, state in (("to", 1.0, ["land_use", "management", "input"]),
                                  ("from", -1.0, ["past_land_use", "past_management",
                                                  "past_input"])):  # fmt: skip
            stratum = (cell["country"], cell["climate_zone"], cell["soil_class"],
                       *cell[state])  # fmt: skip
            if stratum not in position.index:  # a state no year holds: no factor, no stock
                continue
            name = dict(zip(keys, [cell["country"], cell["climate_zone"], cell["soil_class"],
                                   "matrix_cell", _CELL_TERM.format(c, side), side],
                            strict=True))  # fmt: skip
            years = data_years[data_years["country"] == cell["country"]]["year"].to_numpy()
            moved = np.array([own.loc[own["year"] <= y, "area_ha"].sum() for y in years])
            rows.append(pd.DataFrame({"country": cell["country"], "year": years,
                                      **{k: name[k] for k in keys[1:]},
                                      "area_ha": sign * moved}))  # fmt: skip
            names.append(name)
            terms.append((m[:, c] - 1.0) * stock[:, position[stratum]])
    if not names:
        return empty
    return (pd.concat(rows, ignore_index=True), pd.DataFrame(names)[keys],
            np.column_stack(terms))  # fmt: skip
