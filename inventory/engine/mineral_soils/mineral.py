"""Mineral-soil stock-change inventory (IPCC Tier 1/2, Approach 1) run in DuckDB.

The arithmetic lives in ``inventory/engine/sql``: ``stratum_factors`` (factor resolution),
``soc_stocks`` (Eq. 2.25 stocks), ``stock_change_weights`` (Eq. 2.25 change with the D-year
transition, as draw-independent weights on each stratum's stock per hectare),
``stock_changes`` (the labelled per-draw changes), ``stock_change_uncertainty`` and
``stock_change_totals`` (Monte Carlo intervals), ``inventory_stocks`` (the stock the reported
changes imply). This module binds them together; the factor draws come from
:mod:`inventory.engine.uncertainty.montecarlo` and are applied by one matrix product per country.
The intervals of an Approach 1 run are taken from that (categories x draws) product in memory
(:func:`draw_uncertainty_tables`), the numbers of the two interval models without reading the
long per-draw table back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from inventory.core import units
from inventory.core.failures import RowListingError
from inventory.engine import sql_models
from inventory.engine.mineral_soils import stocks
from inventory.engine.mineral_soils.history import BACKCAST_PREFIX
from inventory.engine.options import DEFAULT_TRANSITION_YEARS, EngineOptions
from inventory.engine.uncertainty import montecarlo
from inventory.engine.uncertainty.draw_matrix import DrawMatrix

CATEGORY_KEYS = ["country", "year", "land_use", "land_use_category"]


class MissingFactorError(RowListingError):
    """Strata without a factor; ``rows`` lists them (stratum keys + factor)."""

    headline = (
        "no factor for these strata (add a row to the submission's factors file, or check "
        "the codes):"
    )

    def describe(self, r: Any) -> str:
        return (
            f"{r.country} {r.climate_zone}/{r.soil_class}/{r.land_use}/{r.management}/{r.input}: "
            f"no {r.factor}"
        )


@dataclass
class MineralInventory:
    """Outputs of one mineral-soil run (pandas frames with the published column contracts).

    ``stock_change_totals``: national and per-land-use totals with their own Monte Carlo
    interval (the method of ``stock_change_totals.sql``). ``stock_change_subcategories``: land
    converted split by previous land use (Approach 2/3 only, None for Approach 1).
    ``inventory_stocks``: the stock S(y) the reported changes imply, national and per land use
    (``inventory_stocks.sql``). The per-draw changes stay on the run's DuckDB connection as the
    table ``stock_change_draws`` (draw, country, year, land_use, land_use_category, area_ha,
    dC_tc_per_yr, dCO2_t_per_yr); ``category_draws``: the same ``dC_tc_per_yr`` as a matrix
    (keys ``CATEGORY_KEYS`` in the table's order within a draw), when the engine made them in
    memory (Approach 1), for readers that need every draw.
    """

    stratum_factors: pd.DataFrame
    soc_stocks: pd.DataFrame
    stock_changes: pd.DataFrame
    stock_change_totals: pd.DataFrame | None = None
    stock_change_subcategories: pd.DataFrame | None = None
    inventory_stocks: pd.DataFrame | None = None
    category_draws: DrawMatrix | None = None


@dataclass
class CategoryDraws:
    """Stock changes of the reporting categories in every Monte Carlo draw (Approach 1).

    ``history``: the deterministic change of every category in every year with data
    (``country``, ``year``, ``land_use``, ``land_use_category``, ``area_ha`` [ha],
    ``dC_tc_per_yr`` [t C yr-1]). ``reported``: the categories of the reported years
    (``CATEGORY_KEYS`` and ``area_ha`` [ha]), in ``stock_change_categories`` order (row i is
    ``category_id`` i). ``changes``: (reported categories, N + 1) [t C yr-1], column k the
    change of draw k (draw 0 = every factor at its table value), the numbers of the
    ``stock_change_draws`` table. ``stocks``: the national inventory stock S(y) of every draw
    (:func:`stocks.national_stock_draws`, the table ``inventory_stock_draws``), when computed.
    """

    history: pd.DataFrame
    reported: pd.DataFrame
    changes: np.ndarray
    stocks: pd.DataFrame | None = None


def resolve_factors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Resolved SOC_REF, F_LU, F_MG and F_I of every stratum of ``land_areas``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection with the views ``land_areas`` (country and stratum keys: climate_zone,
        soil_class, land_use, management, input) and ``factor_table`` (candidate factors,
        :func:`inventory.engine.mineral_soils.factors.factor_table`); the table ``stratum_factors``
        is
        (re)created on it.

    Returns
    -------
    pandas.DataFrame
        One row per (country, climate_zone, soil_class, land_use, management, input, factor):
        ``value`` [t C ha-1 for SOC_REF, - otherwise], ``uncertainty_pct`` [%] (+/- % of the
        value, 95 % interval), ``tier``, ``source`` and ``factor_id`` (stable key of the
        winning candidate, for the Monte Carlo draws of
        :func:`~inventory.engine.uncertainty.montecarlo.factor_draws`).

    Raises
    ------
    MissingFactorError
        Naming the strata without a factor (stratum keys + factor).

    Notes
    -----
    The factors of Eq. 2.25 [1]_, resolved by ``stratum_factors.sql``: for each stratum and
    factor the candidate with the lowest ``priority`` wins (submitted tier 2 = 1, derived
    tier 2 = 2, IPCC default = 3); among equal priority the most specific row wins (fewest
    ``*`` wildcards); ties beyond that are broken by the source text, so the result is
    deterministic.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25 (the factors SOC_REF, F_LU, F_MG, F_I).
    """
    sql_models.run_model(con, "stratum_factors", into="stratum_factors")
    missing = sql_models.run_check(con, "missing_factors")
    if len(missing):
        raise MissingFactorError(missing)
    return con.execute("SELECT * FROM stratum_factors ORDER BY ALL").df()


def compute_mineral_inventory(
    land_areas: pd.DataFrame,
    factor_table: pd.DataFrame,
    options: EngineOptions | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> MineralInventory:
    r"""Stocks [t C] and annual stock changes [t C yr-1] of mineral soils (IPCC Approach 1).

    Parameters
    ----------
    land_areas : pandas.DataFrame
        Columns ``country``, ``year`` [yr], ``climate_zone``, ``soil_class``, ``land_use``,
        ``management``, ``input`` and ``area_ha`` [ha]; annual rows, history years before
        ``first_year`` included when available.
    factor_table : pandas.DataFrame
        Candidate factors (:func:`inventory.engine.mineral_soils.factors.factor_table`): ``value``
        [t C ha-1 for SOC_REF, - for F_LU, F_MG, F_I], ``uncertainty_pct`` [%].
    options : EngineOptions, optional
        D, the reported years, the Monte Carlo draws and their seed
        (:class:`inventory.engine.options.EngineOptions`; its defaults when not given).
    con : duckdb.DuckDBPyConnection, optional
        Connection to run the SQL models on (a new in-memory one by default); the inputs and
        intermediate tables are registered on it.

    Returns
    -------
    MineralInventory
        ``stratum_factors`` (:func:`resolve_factors`); ``soc_stocks``, one row per country,
        year and stratum: ``area_ha`` [ha], ``soc_ref`` [t C ha-1], ``f_lu``, ``f_mg``, ``f_i``
        [-], ``stock_tc`` [t C], ``factor_tier`` and the tier and source of each factor;
        ``stock_changes`` and ``stock_change_totals`` (:func:`draw_uncertainty_tables`, the
        numbers of :func:`uncertainty_tables`): per
        country, year, land use and category (``<lu>_remaining_<lu>``,
        ``land_converted_to_<lu>``), resp. national and per land use, ``area_ha`` [ha],
        ``dC_tc_per_yr`` [t C yr-1], + = removal, ``dCO2_t_per_yr`` [t CO2 yr-1], + = emission,
        the 95 % interval ``ci_low``, ``ci_high`` [t C yr-1], ``mc_mean`` [t C yr-1],
        ``mc_draws`` [count] and ``transition_years`` [yr]. ``stock_change_subcategories`` is
        None (Approach 1 areas carry no previous land use).

    Raises
    ------
    MissingFactorError
        When a stratum has no factor.

    Notes
    -----
    Stock term (``soc_stocks.sql``; mineral soils, 0-30 cm, at the equilibrium reached after D
    years under the stratum's land use and management) and change term with the default
    linear transition (``stock_changes.sql``), Eq. 2.25 of [1]_, unchanged in [2]_:

    .. math::

        SOC(y) = \sum_{c,s,i} SOC_{REF,c,s} \, F_{LU,c,s,i} \, F_{MG,c,s,i} \, F_{I,c,s,i}
        \, A_{c,s,i}(y)

        \Delta C(y) = \frac{SOC(y) - SOC(y - D)}{D}, \qquad
        \Delta CO_2(y) = -\Delta C(y) \times \frac{44}{12}

    over climate zones c, soil classes s and management systems i. Departures and additions:

    * history before the first year with data is taken as that first known state
      (SOC(y - D) := SOC(first year) when y - D precedes it);
    * the split of the change into land remaining and land converted is a project method,
      not an IPCC equation (the national total is Eq. 2.25 exactly): within each climate x
      soil cell, remaining land gets min(A(y-D), A(y)) x (change of its stock density) / D,
      and the rest of the cell's change goes to the land uses that gained area, in
      proportion to their gain (to those that lost area, by their loss, if none gained);
    * the 95 % interval is the 2.5th-97.5th percentile of the Monte Carlo draws
      (:func:`~inventory.engine.uncertainty.montecarlo.factor_draws`, IPCC Approach 2 [3]_); draw 0
      (table values) is the reported
      value; totals sum each draw before taking percentiles;
    * the draws include the areas' uncertainty (``area_uncertainty_pct`` of ``land_areas``,
      :func:`~inventory.engine.uncertainty.montecarlo.area_multipliers`): one multiplier per
      stratum and draw scales the stratum's area in every year (errors fully correlated over
      time, independent between strata); the remaining / converted split keeps its reported
      weights. An area without a submitted uncertainty is exact.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25; default D = 20 yr, Sec. 2.3.3.1.
    .. [2] IPCC (2019). 2019 Refinement to the 2006 IPCC Guidelines for National Greenhouse
       Gas Inventories, Vol. 4, Ch. 2, Eq. 2.25.
    .. [3] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3 (Approach 2, Monte Carlo simulation).
    """
    options = options or EngineOptions()
    con = con or sql_models.connect()
    sql_models.register(con, {"land_areas": land_areas, "factor_table": factor_table})
    stratum_factors = resolve_factors(con)
    equilibrium = sql_models.run_model(con, "soc_stocks", {"first_year": None, "last_year": None})
    # Sums of fractional areas and draws in one order (one DuckDB thread): every published
    # value is the same to the last bit run to run. Approach 1 tables are strata x years x
    # draws, small enough for one thread; land units (Approach 2/3) go through approach2.py.
    with sql_models.one_thread(con):
        weights = sql_models.run_model(
            con, "stock_change_weights", {"transition_years": options.transition_years}
        )
        sql_models.register(con, {"stock_change_weights": weights})  # for the sensitivities
        backcast = land_areas.get("area_source", pd.Series("", index=land_areas.index))
        area_uncertainty = montecarlo.stratum_area_uncertainty(
            land_areas, montecarlo.STRATUM_KEYS,
            exclude=backcast.astype("str").str.startswith(BACKCAST_PREFIX),
        )  # fmt: skip
        draws = category_draws(
            con, weights, stratum_factors, n_draws=options.mc_draws, seed=options.seed,
            years=options.years, area_uncertainty=area_uncertainty, equilibrium=equilibrium,
            transition_years=options.transition_years,
        )  # fmt: skip
        changes, totals = draw_uncertainty_tables(
            con, draws, transition_years=options.transition_years
        )
        stock_table = stocks.inventory_stocks(
            con,
            equilibrium,
            draws.history,
            transition_years=options.transition_years,
            years=options.years,
            stock_draws=draws.stocks,
        )
    return MineralInventory(
        stratum_factors, reported_years(equilibrium, *options.years), changes,
        stock_change_totals=totals, inventory_stocks=stock_table,
        category_draws=DrawMatrix(draws.reported[CATEGORY_KEYS], draws.changes),
    )  # fmt: skip


def reported_years(frame: pd.DataFrame, first_year: int | None, last_year: int | None):
    """Rows of ``frame`` whose ``year`` lies in [first_year, last_year] (None = open)."""
    years = frame["year"]
    keep = years.ge(first_year if first_year is not None else years.min())
    keep &= years.le(last_year if last_year is not None else years.max())
    return frame[keep].reset_index(drop=True)


def category_draws(
    con: duckdb.DuckDBPyConnection,
    weights: pd.DataFrame,
    stratum_factors: pd.DataFrame,
    *,
    n_draws: int,
    seed: int,
    years: tuple[int | None, int | None],
    area_uncertainty: pd.DataFrame | None = None,
    equilibrium: pd.DataFrame | None = None,
    transition_years: int = DEFAULT_TRANSITION_YEARS,
) -> CategoryDraws:
    r"""Monte Carlo stock changes [t C yr-1] of the reporting categories (Approach 1).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which ``stock_change_draws`` (``stock_changes.sql``: draw, country,
        year, land_use, land_use_category, ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1],
        ``dCO2_t_per_yr`` [t CO2 yr-1]) is (re)created for the reported years, as a view over
        the registered (categories x draws) product.
    weights : pandas.DataFrame
        ``stock_change_weights.sql`` output: per category, year and stratum
        ``weight_ha_per_yr`` [ha yr-1] and ``category_area_ha`` [ha].
    stratum_factors : pandas.DataFrame
        Resolved factors with their Monte Carlo description (``vocab.DRAW_COLUMNS``).
    n_draws : int
        N [count]; draw 0 is the deterministic estimate.
    seed : int
        Run seed [-] (:mod:`inventory.engine.uncertainty.montecarlo`).
    years : (int or None, int or None)
        First and last reported year [yr]; draws are kept for these years only.
    area_uncertainty : pandas.DataFrame, optional
        Per stratum (``montecarlo.STRATUM_KEYS``) ``area_uncertainty_pct`` [%]
        (:func:`~inventory.engine.uncertainty.montecarlo.stratum_area_uncertainty`); absent
        strata, or None: exact areas.
    equilibrium : pandas.DataFrame, optional
        ``soc_stocks`` of every year with data (stratum keys, ``area_ha`` [ha]); when given,
        the national inventory stock S(y) of every draw is left on ``con`` as the table
        ``inventory_stock_draws`` (:func:`stocks.national_stock_draws`).
    transition_years : int, default 20
        D [yr], for S(y).

    Returns
    -------
    CategoryDraws
        ``history``: the deterministic change of every category in every year with data,
        history years included: ``country``, ``year``, ``land_use``, ``land_use_category``,
        ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1] (input of ``inventory_stocks.sql``);
        ``reported`` and ``changes``: the categories of the reported years and their change
        in every draw (the numbers of ``stock_change_draws``); ``stocks``: S(y) of every draw
        when ``equilibrium`` is given.

    Notes
    -----
    .. math:: \Delta C_k(c, y) = \sum_s w(c, y, s) \, p_k(s)

    with the weights w of ``stock_change_weights.sql`` and :math:`p_k = SOC_{REF} F_{LU}
    F_{MG} F_I` of draw k (:func:`inventory.engine.uncertainty.montecarlo.stratum_stock_draws`)
    times the stratum's area multiplier :math:`m_k(s)`
    (:func:`inventory.engine.uncertainty.montecarlo.area_multipliers`; w is linear in the
    stratum's areas of every year, so scaling them all by m scales its terms by m): one sparse
    matrix product for all draws, categories and years.
    """
    strata, stock_per_ha = montecarlo.stratum_stock_draws(
        stratum_factors, n_draws=n_draws, seed=seed
    )
    if area_uncertainty is not None:
        keys = montecarlo.STRATUM_KEYS
        spec = strata.merge(area_uncertainty, on=keys, how="left", validate="one_to_one")
        stock_per_ha = stock_per_ha * montecarlo.area_multipliers(
            spec.fillna({montecarlo.AREA_UNCERTAINTY: 0.0}), keys, n_draws=n_draws, seed=seed
        )
    stock_draws = None
    if equilibrium is not None:
        stock_draws = stocks.national_stock_draws(
            equilibrium, strata, stock_per_ha, transition_years=transition_years, years=years
        )
        sql_models.register(con, {"inventory_stock_draws": stock_draws})
    draws = label_category_draws(con, weights, strata, stock_per_ha, years=years,
                                 into="stock_change_draws")  # fmt: skip
    draws.stocks = stock_draws
    return draws


def label_category_draws(
    con: duckdb.DuckDBPyConnection,
    weights: pd.DataFrame,
    strata: pd.DataFrame,
    stock_per_ha: np.ndarray,
    *,
    years: tuple[int | None, int | None],
    into: str,
) -> CategoryDraws:
    """Category stock changes of every draw of ``stock_per_ha`` [t C ha-1] as view ``into``
    (``stock_changes.sql`` rows, reported years); returns them as :func:`category_draws` does
    (without ``stocks``)."""
    n_draws = stock_per_ha.shape[0] - 1
    categories = weights[[*CATEGORY_KEYS, "category_area_ha"]].drop_duplicates(CATEGORY_KEYS)
    categories = categories.reset_index(drop=True).rename(columns={"category_area_ha": "area_ha"})
    matrix = _weight_matrix(weights, categories, strata)
    history = categories.assign(dC_tc_per_yr=matrix @ stock_per_ha[0])
    reported = reported_years(categories.assign(row=np.arange(len(categories))), *years)
    changes = np.asarray(matrix[reported["row"].to_numpy()] @ stock_per_ha.T)  # rows x draws
    reported = reported.drop(columns="row")
    ids = np.arange(len(reported), dtype="int32")
    sql_models.register(con, {
        "stock_change_categories": reported.assign(category_id=ids),
        "category_draws": pa.table({  # Arrow: no copy of the (draws x categories) columns
            "draw": np.repeat(np.arange(n_draws + 1, dtype="int32"), len(reported)),
            "category_id": np.tile(ids, n_draws + 1),
            "dC_tc_per_yr": changes.T.ravel(),
        }),
    })  # fmt: skip
    params = {"c_to_co2": units.carbon_to_co2(1.0)}
    # a view: N x categories rows with their text keys are made only for the rows read
    sql_models.run_model(con, "stock_changes", params, into=into, view=True)
    return CategoryDraws(history, reported, changes)


def _weight_matrix(
    weights: pd.DataFrame, categories: pd.DataFrame, strata: pd.DataFrame
) -> sparse.csr_matrix:
    """Sparse (categories x strata) matrix of ``weight_ha_per_yr``."""
    rows = weights.merge(categories[CATEGORY_KEYS].assign(i=np.arange(len(categories))))
    keys = list(montecarlo.STRATUM_KEYS)
    rows = rows.drop(columns="land_use").rename(columns={"stratum_land_use": "land_use"})
    rows = rows.merge(strata.assign(j=np.arange(len(strata))), on=keys, how="left")
    if rows["j"].isna().any():
        raise ValueError("stock_change_weights names a stratum without resolved factors")
    return sparse.csr_matrix(
        (rows["weight_ha_per_yr"], (rows["i"], rows["j"].astype("int64"))),
        shape=(len(categories), len(strata)),
    )


def _after(frame: pd.DataFrame, column: str) -> int:
    """Position just after ``column`` (for inserting a column beside it)."""
    return list(frame.columns).index(column) + 1


def uncertainty_tables(
    con: duckdb.DuckDBPyConnection, *, transition_years: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``stock_changes`` and ``stock_change_totals`` with 95 % Monte Carlo intervals.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding the table ``stock_change_draws`` (draw, country, year, land_use,
        land_use_category, ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1], ``dCO2_t_per_yr``
        [t CO2 yr-1]; from ``stock_changes.sql`` or ``approach2_category_draws.sql``); the
        table ``stock_change_totals`` is (re)created on it.
    transition_years : int
        D [yr], written to both outputs as the column ``transition_years``.

    Returns
    -------
    stock_changes : pandas.DataFrame
        One row per (country, year, land_use, land_use_category): ``area_ha`` [ha],
        ``dC_tc_per_yr`` [t C yr-1], + = removal, ``dCO2_t_per_yr`` [t CO2 yr-1], + = emission
        (both from draw 0), ``ci_low``, ``ci_high`` [t C yr-1] (95 % interval of
        ``dC_tc_per_yr``; NaN without draws), ``mc_mean`` [t C yr-1], ``mc_draws`` [count],
        ``transition_years`` [yr].
    stock_change_totals : pandas.DataFrame
        One row per (country, year, scope, land_use): scope ``national`` (land_use ``all``) and
        ``land_use`` (remaining + converted), the columns above plus ``dco2_ci_low``,
        ``dco2_ci_high`` [t CO2 yr-1].

    Notes
    -----
    IPCC Approach 2 (Monte Carlo) [1]_: the 95 % interval of a reported quantity is the 2.5th
    and 97.5th percentile of its draws 1..N; draw 0 (every factor at its table value) is the
    reported value. The totals sum each draw's categories before taking percentiles, so the
    correlations through shared factors are kept (the interval of a sum is not the sum of
    intervals).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3.
    """
    changes = sql_models.run_model(con, "stock_change_uncertainty")
    changes.insert(_after(changes, "mc_draws"), "transition_years", transition_years)
    sql_models.run_model(con, "stock_change_totals", into="stock_change_totals")
    totals = con.execute("SELECT * FROM stock_change_totals ORDER BY ALL").df()
    totals.insert(_after(totals, "mc_draws"), "transition_years", transition_years)
    return changes, totals


TOTAL_SCOPES = {"national": ["country", "year"], "land_use": ["country", "year", "land_use"]}


def draw_uncertainty_tables(
    con: duckdb.DuckDBPyConnection, draws: CategoryDraws, *, transition_years: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""``stock_changes`` and ``stock_change_totals`` of :func:`uncertainty_tables`, from the
    draws in memory.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The run's connection; the table ``stock_change_totals`` (the columns of
        ``stock_change_totals.sql``) is (re)created on it, as by :func:`uncertainty_tables`.
    draws : CategoryDraws
        The reported categories and their change in every draw (:func:`category_draws`).
    transition_years : int
        D [yr], written to both outputs as the column ``transition_years``.

    Returns
    -------
    stock_changes, stock_change_totals : pandas.DataFrame
        As :func:`uncertainty_tables` (same columns, dtypes and row order).

    Notes
    -----
    The method of ``stock_change_uncertainty.sql`` and ``stock_change_totals.sql`` (IPCC
    Approach 2, Monte Carlo [1]_) on the (categories x draws) matrix instead of the long
    ``stock_change_draws`` table: draw 0 is the reported value, the 95 % interval the 2.5th
    and 97.5th percentile of draws 1..N (:func:`~inventory.engine.uncertainty.montecarlo.
    draw_intervals`, DuckDB's ``quantile_cont``), ``dCO2 = 0 - dC x 44/12`` per category and
    draw, and each total sums its categories draw by draw (in category order, from 0, as the
    SQL's ``sum``) before its percentiles are taken. Every value is the SQL's to the last bit
    except the mean of a total's draws (``mc_mean``), which adds the draws in draw order where
    the SQL adds them in the order of its hash aggregate (the last bit may differ).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3.
    """
    categories, dc = draws.reported, draws.changes
    n_draws, c_to_co2 = dc.shape[1] - 1, units.carbon_to_co2(1.0)
    area = categories["area_ha"].to_numpy(dtype="float64")
    codes = {scope: categories.groupby(keys, sort=False).ngroup().to_numpy()
             for scope, keys in TOTAL_SCOPES.items()}  # fmt: skip
    parts = [categories[keys].drop_duplicates().reset_index(drop=True).assign(scope=scope)
             for scope, keys in TOTAL_SCOPES.items()]  # fmt: skip
    n_totals = sum(len(p) for p in parts)
    # One matrix for the intervals: categories (dC), totals (dC), totals (dCO2); rows x draws
    stacked = np.zeros((len(dc) + 2 * n_totals, n_draws + 1))
    stacked[: len(dc)] = dc
    offset = len(dc)
    co2_draws = 0.0 - dc * c_to_co2  # dCO2 of stock_changes.sql
    for part, scope in zip(parts, TOTAL_SCOPES, strict=True):
        # (totals x categories) of ones: each total adds its categories in category order
        # from 0.0, the SQL's sum per draw
        indicator = sparse.csr_matrix(
            (np.ones(len(dc)), (codes[scope], np.arange(len(dc)))), shape=(len(part), len(dc))
        )
        stacked[offset : offset + len(part)] = indicator @ dc
        stacked[offset + n_totals : offset + n_totals + len(part)] = indicator @ co2_draws
        part["area_ha"] = indicator @ area
        offset += len(part)
    del co2_draws
    draw0 = stacked[:, 0].copy()
    low, high, mean = montecarlo.draw_intervals(stacked, con, overwrite=True)
    at = slice(len(dc), len(dc) + n_totals)
    co2_at = slice(len(dc) + n_totals, None)
    changes = categories[[*CATEGORY_KEYS, "area_ha"]].assign(
        dC_tc_per_yr=draw0[: len(dc)], dCO2_t_per_yr=0.0 - draw0[: len(dc)] * c_to_co2,
        ci_low=low[: len(dc)], ci_high=high[: len(dc)], mc_mean=mean[: len(dc)],
        mc_draws=n_draws, transition_years=transition_years,
    )  # fmt: skip
    totals = pd.concat(parts, ignore_index=True)
    totals = totals.assign(land_use=totals["land_use"].fillna("all")).assign(
        dC_tc_per_yr=draw0[at], dCO2_t_per_yr=draw0[co2_at],
        ci_low=low[at], ci_high=high[at], dco2_ci_low=low[co2_at], dco2_ci_high=high[co2_at],
        mc_mean=mean[at], mc_draws=n_draws, transition_years=transition_years,
    )[["country", "year", "scope", "land_use", "area_ha", "dC_tc_per_yr", "dCO2_t_per_yr",
       "ci_low", "ci_high", "dco2_ci_low", "dco2_ci_high", "mc_mean", "mc_draws",
       "transition_years"]]  # fmt: skip
    changes = changes.sort_values(CATEGORY_KEYS, kind="stable", ignore_index=True)
    totals = totals.sort_values(["country", "year", "scope", "land_use"], kind="stable",
                                ignore_index=True)  # fmt: skip
    con.register("stock_change_totals_frame", totals.drop(columns="transition_years"))
    con.execute("CREATE OR REPLACE TABLE stock_change_totals AS "
                "SELECT * FROM stock_change_totals_frame")  # fmt: skip
    con.unregister("stock_change_totals_frame")
    return changes, totals


def period_stock_change(
    soc_stocks: pd.DataFrame,
    *,
    start_year: int,
    end_year: int,
    transition_years: int = DEFAULT_TRANSITION_YEARS,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    r"""Annual mineral-soil stock change [t C yr-1] over one inventory period of T years.

    Parameters
    ----------
    soc_stocks : pandas.DataFrame
        Columns ``country``, ``year`` [yr], ``land_use`` and ``stock_tc`` [t C] (e.g.
        ``MineralInventory.soc_stocks``); summed over strata per land use.
    start_year : int
        Year 0 - T, the start of the period [yr].
    end_year : int
        Year 0, the last year of the period [yr]; must be after ``start_year``.
    transition_years : int, default 20
        D, the period over which a change of stratum moves the stock [yr].
    con : duckdb.DuckDBPyConnection, optional
        Connection to run the SQL model on (a new in-memory one by default).

    Returns
    -------
    pandas.DataFrame
        One row per (country, land_use), with land_use ``all`` for the national total:
        ``stock_start_tc``, ``stock_end_tc`` [t C], ``period_years`` (T) [yr],
        ``divisor_years`` (max(T, D)) [yr] and ``dC_tc_per_yr`` [t C yr-1], + = removal.

    Raises
    ------
    ValueError
        When ``end_year`` is not after ``start_year``.

    Notes
    -----
    Eq. 2.25 of [1]_ over one inventory time period, T = ``end_year`` - ``start_year``:

    .. math:: \Delta C = \frac{SOC_0 - SOC_{(0-T)}}{D}, \quad \text{or}
        \quad \frac{SOC_0 - SOC_{(0-T)}}{T} \text{ when } T > D

    ("if T is greater than D, then use the value for T to obtain an annual rate of change over
    the inventory time period"). A land use without a stock row in the start or end year
    counts as 0 t C in that year.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25.
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
