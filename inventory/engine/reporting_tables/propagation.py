"""Uncertainty of categories, totals and trends (IPCC 2006 Vol.1 Ch.3), beside the Monte Carlo.

The engine's Monte Carlo (IPCC Approach 2) leaves one row per draw, country, year and category
(``stock_change_draws``: draw 0 = every factor at its value). This module adds, per country,
category and year (``uncertainty_analysis.sql``):

* **Approach 1 propagation** (Eq. 3.1 and 3.2). The parameters are the factor tables' source
  rows, as in the Monte Carlo (one row shared by several zones or strata is one parameter). The
  part of a category's emissions proportional to a parameter, ``c_f = f x dE/df``, is a forward
  difference of the engine's own per-draw computation under one-at-a-time perturbations
  (:func:`inventory.engine.uncertainty.montecarlo.sensitivity_rows`), so the propagation follows the
  engine whatever its approach (stratum areas, land units, matrices); exact where E is linear
  in the parameter (every factor of Eq. 2.25). Terms sharing a parameter are summed before
  Eq. 3.2 (correlated inputs, Sec. 3.2.3.1). Organic
  soils: area x EF per stratum, the EF's printed 95 % interval, terms summed per EF.
* **Monte Carlo intervals and trend**: percentiles of the draws; the trend from the base year
  evaluated draw by draw with the same draw for both years.
* **Trend, Approach 1** (Table 3.2): type A/B sensitivities and the trend uncertainty of the
  totals.

Built on ``stock_change_draws`` as the engine produces it (columns draw, country, year,
land_use, land_use_category, dCO2_t_per_yr) and on the engine's draw functions
(:mod:`inventory.engine.uncertainty.montecarlo`), so it follows changes of the draw scheme.

Method status: Eq. 3.1, 3.2 and the Table 3.2 columns I-M are taken from a secondary summary of
IPCC 2006 Vol.1 Ch.3 (pp. 3.28-3.31) whose Table 3.2 sensitivities match an independent public
implementation (inventory_uncertainty_UNFCCC_CLRTAP, ``compute_U_propagation_trend_pd``); the
wording of Eq. 3.1/3.2 was not checked against the printed chapter.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from inventory.engine import sql_models
from inventory.engine.land import approach2
from inventory.engine.mineral_soils import mineral
from inventory.engine.mineral_soils.history import BACKCAST_PREFIX
from inventory.engine.organic_soils import organic
from inventory.engine.uncertainty import montecarlo
from inventory.engine.uncertainty.draw_matrix import DrawMatrix

Engine = Literal["stratum", "transitions"]
# Table 3.2 note (type A sensitivity): the change of the trend for a 1 % increase of the
# category's emissions in both the base year and the year (IPCC 2006 Vol.1 Ch.3, Table 3.2).
TYPE_A_STEP = 0.01
# Activity data uncertainty E of Table 3.2 (column L, errors uncorrelated between the years):
# 0. Submitted area uncertainties are correlated between the years (montecarlo.area_multipliers)
# and enter as parameters of the Approach 1 propagation, so through column K.
ACTIVITY_DATA_UNCERTAINTY_PCT = 0.0
# Range of Approach 1 (and so of Table 3.2): standard deviation / mean below about 0.3 (IPCC
# 2006 Vol.1 Ch.3 Sec. 3.2.3.1; recalled, not checked against the printed text), as a 95 %
# half-width: 0.3 x 1.96 = 58.8 %. Above it, or when the base-year interval spans zero, the
# Monte Carlo trend is the figure to report and Table 3.2 rows are flagged.
TABLE_3_2_MAX_CV = 0.3
TABLE_3_2_MAX_UNCERTAINTY_PCT = TABLE_3_2_MAX_CV * montecarlo.Z_95 * 100
# The engine's per-draw models (input factor_draws) for stock changes on land transitions
# (Approach 2/3 land units and change matrices), by the table each makes here (run_models runs
# them in the graph's order), and the tables they read from the main connection; stratum areas
# (Approach 1) go through the weights of stock_change_weights.sql.
TRANSITION_MODELS = {
    "stock_change_subcategory_draws": "approach2_stock_change_draws",
    "sensitivity_draws": "approach2_category_draws",
}
SENSITIVITY_INPUTS = {
    "stratum": ("stock_change_weights", "stratum_factors"),
    "transitions": ("approach2_transitions", "stratum_factors"),
}


def category_sensitivities(
    con: duckdb.DuckDBPyConnection, engine: Engine, params: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine's category emissions under one-at-a-time perturbations of each uncertain
    source row (on a separate connection).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the inventory ran on (holding ``stratum_factors`` and the engine's
        inputs: ``stock_change_weights`` for stratum areas, ``approach2_transitions``
        otherwise).
    engine : {"stratum", "transitions"}
        Which per-draw computation gave the stock changes.
    params : dict
        The parameters of those models (transition_years, c_to_co2, first_year, last_year).

    Returns
    -------
    draws : pandas.DataFrame
        ``stock_change_draws``-shaped rows (draw, country, year, land_use,
        land_use_category, area_ha, dC_tc_per_yr, dCO2_t_per_yr): draw 0 at the table values,
        draw k with the k-th uncertain source row perturbed
        (:func:`inventory.engine.uncertainty.montecarlo.sensitivity_rows`).
    parameters : pandas.DataFrame
        ``draw``, ``parameter`` (source row), ``uncertainty_pct`` [%], ``relative_step`` [-].
    """
    stratum_factors = con.sql("SELECT * FROM stratum_factors").df()
    work = sql_models.connect(threads=1)  # reproducible sums (sql_models.one_thread)
    for name in SENSITIVITY_INPUTS[engine]:  # fixed names, never from input
        sql_models.register(work, {name: con.sql(f"SELECT * FROM {name}").to_arrow_table()})
    if engine == "stratum":
        strata, stock_per_ha, parameters = montecarlo.sensitivity_stock_draws(stratum_factors)
        stock_per_ha, parameters = montecarlo.with_area_sensitivities(
            strata, stock_per_ha, parameters, _land_area_uncertainty(con)
        )
        weights = work.sql("SELECT * FROM stock_change_weights").df()
        years = (params.get("first_year"), params.get("last_year"))
        mineral.label_category_draws(work, weights, strata, stock_per_ha, years=years,
                                     into="sensitivity_draws")  # fmt: skip
    else:
        draws, parameters = montecarlo.sensitivity_factor_draws(stratum_factors)
        draws, areas, parameters = _transition_area_sensitivities(con, draws, parameters)
        sql_models.register(work, {"factor_draws": draws, **areas})
        sql_models.run_models(work, ["sensitivity_draws"], params, producers=TRANSITION_MODELS)
    return work.sql("SELECT * FROM sensitivity_draws").df(), parameters


def _transition_area_sensitivities(
    con: duckdb.DuckDBPyConnection,
    draws: pd.DataFrame,
    parameters: pd.DataFrame,
    *,
    step: float = montecarlo.SENSITIVITY_STEP,
) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """The transitions engine's sensitivity draws with one more draw per uncertain land-unit
    stratum or matrix cell (``approach2.area_uncertainty`` of the run on ``con``): every factor
    at its table value (draw 0) and that area x (1 + h); the parameters with those draws
    (``area <keys>``, U [%]). As :func:`inventory.engine.uncertainty.montecarlo.
    with_area_sensitivities` does for stratum areas: the area is one parameter of Eq. 3.1/3.2,
    the same in every year (Table 3.2 column K)."""
    tables = approach2.area_draw_tables(n_draws=0, seed=0)  # empty: every area exact
    first = int(draws["draw"].max()) + 1
    base = draws[draws["draw"] == 0]
    more_draws, more_parameters = [], []
    for name, kept in approach2.area_uncertainty(con).items():
        if kept is None:
            continue
        keys = list(approach2.AREA_KEYS[name])
        kept = kept[kept[montecarlo.AREA_UNCERTAINTY] > 0].sort_values(keys, ignore_index=True)
        numbers = np.arange(first, first + len(kept), dtype="int32")
        first += len(kept)
        tables[name] = kept[keys].astype("str").assign(draw=numbers, multiplier=1.0 + step)
        more_draws += [base.assign(draw=k) for k in numbers]
        names = ["area " + " | ".join(row) for row in kept[keys].astype("str").itertuples(
            index=False)]  # fmt: skip
        more_parameters.append(pd.DataFrame({
            "draw": numbers, "parameter": names,
            "uncertainty_pct": kept[montecarlo.AREA_UNCERTAINTY].to_numpy(dtype="float64"),
            "relative_step": step,
        }))  # fmt: skip
    if not more_parameters:
        return draws, tables, parameters
    return (pd.concat([draws, *more_draws], ignore_index=True), tables,
            pd.concat([parameters, *more_parameters], ignore_index=True))  # fmt: skip


def _land_area_uncertainty(con) -> pd.DataFrame:
    """Area uncertainty [%] per stratum of the run's ``land_areas`` (back-cast history years
    left out, as in the Monte Carlo: ``mineral.compute_mineral_inventory``)."""
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM (DESCRIBE SELECT * FROM land_areas)").fetchall()}  # fmt: skip
    if montecarlo.AREA_UNCERTAINTY not in columns:
        return pd.DataFrame(columns=[*montecarlo.STRATUM_KEYS, montecarlo.AREA_UNCERTAINTY])
    areas = con.sql("SELECT * FROM land_areas").df()
    source = areas.get("area_source", pd.Series("", index=areas.index)).astype("str")
    return montecarlo.stratum_area_uncertainty(
        areas, montecarlo.STRATUM_KEYS, exclude=source.str.startswith(BACKCAST_PREFIX)
    )


ORGANIC_KEYS = ["climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth",
                "component"]  # fmt: skip
# Draws whose organic-soil rows are multiplied out at once (memory, not method).
DRAW_BLOCK = 1000
ORGANIC_DRAW_COLUMNS = {"draw": "int32", "country": "str", "year": "int64", "category": "str",
                        "gas": "str", "e": "float64"}  # fmt: skip


def _organic_factor_draws(
    organic_emissions: pd.DataFrame, *, n_draws: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The emission rows with their printed factor, the factors' draws (N + 1, factors) and
    each row's factor column: one stream per printed factor row (component, table, value,
    interval), the key that seeds it (:func:`organic_category_draws`)."""
    table = organic.organic_ef_table()[[*ORGANIC_KEYS, "ef", "ci_low", "ci_high", "source_table"]]
    rows = organic_emissions.drop(columns=["ef"], errors="ignore").merge(
        table, on=ORGANIC_KEYS, how="left", validate="many_to_one"
    )
    rows["key"] = (rows["component"] + " | " + rows["source_table"] + " | "
                   + rows["ef"].map(repr) + " | " + rows["ci_low"].map(repr) + " | "
                   + rows["ci_high"].map(repr))  # fmt: skip
    specs = rows[["key", "ef", "ci_low", "ci_high"]].drop_duplicates("key").sort_values("key")
    specs = specs.rename(columns={"ef": "value"}).reset_index(drop=True)
    values = montecarlo.two_piece_normal_draws(specs, n_draws=n_draws, seed=seed)
    column = pd.Series(np.arange(len(specs)), index=specs["key"]).loc[rows["key"]].to_numpy()
    return rows, values, column


def organic_emission_draws(
    organic_emissions: pd.DataFrame, *, n_draws: int, seed: int
) -> np.ndarray:
    r"""Monte Carlo draws of every organic-soil emission row [t gas yr-1], the inventory's draws.

    Parameters
    ----------
    organic_emissions : pandas.DataFrame
        ``organic_soil_emissions`` rows (stratum keys, ``component``, ``area_ha`` [ha],
        ``frac_ditch`` [1]).
    n_draws : int
        N [count]; 0 gives draw 0 only.
    seed : int
        Run seed [-]: with the same seed, a printed factor has the same draws as in the
        inventory's :func:`organic_category_draws` (one stream per printed factor row).

    Returns
    -------
    numpy.ndarray
        Shape (N + 1, rows), column j = row j of ``organic_emissions``: :math:`E^{(k)} = A \, s
        \, EF^{(k)}` [t gas yr-1] with s the area share of Eq. 2.6 (1 - Frac_ditch for CH4
        land, Frac_ditch for ditch, else 1); draw 0 = the printed factors.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands, Ch. 2 Tables 2.1-2.5 and Eq. 2.6, Ch. 3 Tables 3.1-3.3.
    """
    if organic_emissions.empty:
        return np.zeros((n_draws + 1, 0))
    rows, values, column = _organic_factor_draws(organic_emissions, n_draws=n_draws, seed=seed)
    share = np.select(
        [rows["component"] == "land", rows["component"] == "ditch"],
        [1 - rows["frac_ditch"], rows["frac_ditch"]], default=1.0,
    )  # fmt: skip
    return values[:, column] * (rows["area_ha"].to_numpy(float) * share)[None, :]


def organic_category_draws(
    organic_emissions: pd.DataFrame, *, n_draws: int, seed: int
) -> pd.DataFrame:
    """:func:`organic_category_draw_matrix` as a long table: ``draw`` (0..N), ``country``,
    ``year``, ``category``, ``gas`` and ``e`` [t CO2e yr-1] (draw-major; empty when N = 0)."""
    matrix = organic_category_draw_matrix(organic_emissions, n_draws=n_draws, seed=seed)
    if matrix.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in ORGANIC_DRAW_COLUMNS.items()})
    return matrix.long("e", ORGANIC_DRAW_COLUMNS)


def organic_category_draw_matrix(
    organic_emissions: pd.DataFrame, *, n_draws: int, seed: int
) -> DrawMatrix:
    r"""Monte Carlo draws of the organic-soil categories [t CO2e yr-1] from the EF intervals.

    Parameters
    ----------
    organic_emissions : pandas.DataFrame
        ``organic_soil_emissions`` rows: stratum keys, ``country``, ``year``, ``component``,
        ``gas``, ``area_ha`` [ha], ``frac_ditch`` [1], ``gwp_set``.
    n_draws : int
        N [count], the mineral soils' number of draws (0: no draws, an empty table).
    seed : int
        Run seed [-].

    Returns
    -------
    DrawMatrix
        Keys ``country``, ``year``, ``category`` (``organic_soils_<land use>``) and ``gas``
        (sorted), values ``e`` [t CO2e yr-1] of draws 0..N, draw 0 = the published ``co2e_t``
        sums (no quantities when N = 0).

    Notes
    -----
    Each stratum's emission is linear in its factor (WS Ch.2 Eq. 2.6 and Tables 2.1-2.5, Ch.3
    Tables 3.1-3.3 of [1]_), :math:`E^{(k)} = A \, s \, EF^{(k)} \, GWP` with s the area
    share (1 - Frac_ditch for CH4 land, Frac_ditch for ditch, else 1). A printed factor row
    (component, table, value and interval) is one draw shared by every stratum and year using
    it (the grouping of the Approach 1 terms, ``uncertainty_contributions.sql``), from the
    two-piece normal of its 95 % interval
    (:func:`inventory.engine.uncertainty.montecarlo.two_piece_normal_draws`); factors without
    an interval stay at their value. Draws are independent of the mineral soils' factors.
    The area A of a stratum is drawn with them when its ``area_uncertainty_pct`` is given
    (:func:`inventory.engine.uncertainty.montecarlo.area_multipliers`): one multiplier per
    organic-soil stratum (country, climate zone, land use, drainage, nutrient status, depth)
    and draw, the same for all its years, components and gases.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands, Ch. 2 Tables 2.1-2.5 and Eq. 2.6, Ch. 3 Tables 3.1-3.3.
    """
    keys = ["country", "year", "category", "gas"]
    if n_draws <= 0 or organic_emissions.empty:
        empty = pd.DataFrame({k: pd.Series(dtype=ORGANIC_DRAW_COLUMNS[k]) for k in keys})
        return DrawMatrix(empty, np.zeros((0, max(n_draws, 0) + 1)))
    rows, values, column = _organic_factor_draws(organic_emissions, n_draws=n_draws, seed=seed)
    gwp = pd.concat([organic.gwp_table(g) for g in rows["gwp_set"].unique()])
    rows = rows.merge(gwp[["gas", "gwp_set", "value"]].rename(columns={"value": "gwp"}),
                      on=["gas", "gwp_set"], how="left", validate="many_to_one")  # fmt: skip
    share = np.select(
        [rows["component"] == "land", rows["component"] == "ditch"],
        [1 - rows["frac_ditch"], rows["frac_ditch"]], default=1.0,
    )  # fmt: skip
    multiplier = rows["area_ha"].to_numpy(float) * share * rows["gwp"].to_numpy(float)
    rows["category"] = "organic_soils_" + rows["land_use"]
    group = rows.groupby(keys, sort=True).ngroup().to_numpy()
    categories = rows[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    indicator = sparse.csr_matrix(
        (multiplier, (np.arange(len(rows)), group)), shape=(len(rows), len(categories))
    )
    multipliers = code = None
    if montecarlo.AREA_UNCERTAINTY in rows.columns:
        strata_keys = ["country", *ORGANIC_KEYS[:-1]]
        strata = montecarlo.stratum_area_uncertainty(
            rows.drop_duplicates([*strata_keys, "year"]), strata_keys
        )
        code = rows[strata_keys].merge(strata.assign(_j=np.arange(len(strata))),
                                       on=strata_keys, how="left")["_j"].to_numpy()  # fmt: skip
        multipliers = montecarlo.area_multipliers(strata, strata_keys, n_draws=n_draws, seed=seed)
    # categories x (N + 1), a block of draws at a time (each draw's product is its own):
    # the rows' factor values of one block in memory, not of every draw
    draws = np.empty((len(categories), n_draws + 1))
    for start in range(0, n_draws + 1, DRAW_BLOCK):
        block = values[start : start + DRAW_BLOCK][:, column]  # draws x rows
        if multipliers is not None:
            block = block * multipliers[start : start + DRAW_BLOCK][:, code]
        draws[:, start : start + DRAW_BLOCK] = indicator.T @ block.T
    categories = categories.astype({k: ORGANIC_DRAW_COLUMNS[k] for k in keys})
    return DrawMatrix(categories, draws)


def uncertainty_analysis(
    con: duckdb.DuckDBPyConnection,
    *,
    engine: Engine,
    params: dict,
    base_year: int,
    organic_emissions: pd.DataFrame,
    seed: int = 0,
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> pd.DataFrame:
    r"""Approach 1, Monte Carlo and trend uncertainty per country, category and year.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the inventory ran on, holding ``stock_change_draws`` (draw, country,
        year, land_use, land_use_category, dCO2_t_per_yr [t CO2 yr-1]) and the engine's
        inputs (:func:`category_sensitivities`). Tables ``soil_category_emissions`` and
        ``uncertainty_contributions`` are (re)created on it.
    engine : {"stratum", "transitions"}
        Which per-draw models computed the stock changes.
    params : dict
        Their parameters (transition_years, c_to_co2, first_year, last_year).
    base_year : int
        Base year of the trend [yr].
    organic_emissions : pandas.DataFrame
        ``organic_soil_emissions`` (stratum keys, component, gas, ``co2e_t`` [t CO2e yr-1]).
    seed : int, default 0
        Run seed [-] of the organic-soil factor draws (:func:`organic_category_draws`; as many
        draws as ``stock_change_draws`` holds).
    organic_draws : DrawMatrix, optional
        :func:`organic_category_draw_matrix` of ``organic_emissions`` with ``seed`` and that
        many draws, when the run has made them already (computed here otherwise).
    mineral_draws : DrawMatrix, optional
        The draws of ``stock_change_draws`` as a matrix, when the run holds them (read from
        the table otherwise; :func:`draw_interval_table`).

    Returns
    -------
    pandas.DataFrame
        ``uncertainty_analysis.sql``: one row per country, year, category and gas (plus the
        totals ``mineral_soils_total`` and ``soils_total``), emissions [t CO2e yr-1], Approach
        1 and Monte Carlo 95 % intervals, the trend from ``base_year`` [%] with its Monte Carlo
        interval, and the Table 3.2 columns.

    Notes
    -----
    Approach 1 of [1]_ with the terms of a category grouped by the parameter f they share:

    .. math:: U_x = \frac{\sqrt{\sum_f (U_f \, c_f)^2}}{|E_x|}, \qquad
        c_f = f \frac{\partial E_x}{\partial f} = E_x(2f) - E_x(f)

    (Eq. 3.1 for the product within a term, Eq. 3.2 for the sum over independent
    parameters). Trend uncertainty by Table 3.2 of [1]_ (type A sensitivity with a 1 % step,
    ``TYPE_A_STEP``; activity data exact, ``ACTIVITY_DATA_UNCERTAINTY_PCT``) and by Monte Carlo
    (Sec. 3.2.3.2 of [1]_): the trend of each draw, same draw in both years.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Eq. 3.1, Eq. 3.2, Table 3.2 and Sec. 3.2.3.2 (equation and table numbers from a
       secondary summary, see the module docstring).
    """
    draws, factors = category_sensitivities(con, engine, params)
    if organic_draws is None:
        (n_draws,) = con.execute(
            "SELECT coalesce(max(draw), 0) FROM stock_change_draws").fetchall()[0]  # fmt: skip
        organic_draws = organic_category_draw_matrix(organic_emissions, n_draws=int(n_draws),
                                                     seed=seed)  # fmt: skip
    intervals = organic.organic_ef_table()[
        ["climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth",
         "component", "ef", "ci_low", "ci_high", "source_table"]
    ]  # fmt: skip
    sql_models.register(con, {
        "sensitivity_draws": draws, "sensitivity_factors": factors,
        "organic_soil_emissions": organic_emissions, "organic_ef_intervals": intervals,
    })  # fmt: skip
    # one thread: the sums differenced here (c_f, Table 3.2 type A) keep their last bits
    register_draw_intervals(con, base_year=base_year, organic_draws=organic_draws,
                            mineral_draws=mineral_draws)  # fmt: skip
    del organic_draws, mineral_draws
    with sql_models.one_thread(con):
        sql_models.run_models(con, ["soil_category_emissions", "uncertainty_contributions"])
        return sql_models.run_model(con, "uncertainty_analysis", {
            "base_year": base_year, "type_a_step": TYPE_A_STEP,
            "ad_uncertainty_pct": ACTIVITY_DATA_UNCERTAINTY_PCT,
            "table_3_2_max_uncertainty_pct": TABLE_3_2_MAX_UNCERTAINTY_PCT,
        })  # fmt: skip


# Columns of the Monte Carlo part of uncertainty_analysis.sql (its input
# uncertainty_draw_intervals), one row per country, year, category and gas with draws.
DRAW_INTERVAL_KEYS = ("country", "year", "category", "gas")
MINERAL_TOTAL, SOILS_TOTAL = "mineral_soils_total", "soils_total"


def _encoded(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dictionary codes (int32) of a column and its distinct values."""
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def _groups(
    columns: dict[str, tuple[np.ndarray, pa.Array]],
) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number (int64) of each row by the encoded ``columns`` and each group's keys."""
    combined = np.zeros(len(next(iter(columns.values()))[0]), dtype="int64")
    for code, unique in columns.values():
        combined *= len(unique)
        combined += code
    space = int(np.prod([len(u) for _, u in columns.values()], dtype="int64"))
    present = np.flatnonzero(np.bincount(combined, minlength=space))
    number = np.zeros(space, dtype="int64")
    number[present] = np.arange(len(present))
    frame, rest = {}, present
    for name, (_, unique) in reversed(columns.items()):
        frame[name] = unique.take(pa.array(rest % len(unique))).to_pandas()
        rest = rest // len(unique)
    return number[combined], pd.DataFrame({k: frame[k] for k in columns})


def _sums(
    group: np.ndarray, groups: int, draw: np.ndarray, values: np.ndarray, n_draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sums and counts of ``values`` per group and draw, (groups, N + 1) matrices. Each sum
    adds the rows in their order from 0.0 (``numpy.bincount``), as DuckDB's one-thread
    ``sum`` reading them in that order."""
    flat = group * (n_draws + 1)
    flat += draw  # int64
    size = groups * (n_draws + 1)
    sums = np.bincount(flat, weights=values, minlength=size).reshape(groups, n_draws + 1)
    counts = np.bincount(flat, minlength=size).reshape(groups, n_draws + 1)
    return sums, counts


def _quantile_rows(
    values: np.ndarray,
    use: np.ndarray,
    con: duckdb.DuckDBPyConnection,
    *,
    overwrite: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles and count of the values of each row of ``values``
    (rows, N + 1; column 0 = draw 0, never used) where ``use`` is true. Rows using every draw
    1..N: :func:`inventory.engine.uncertainty.montecarlo.draw_intervals` (equal to DuckDB's
    ``quantile_cont``, which depends only on the set of values); other rows: DuckDB's
    ``quantile_cont`` over their values. ``overwrite``: ``values`` may be reordered within
    its rows (no copy when every row uses every draw)."""
    rows = values.shape[0]
    low, high = np.full(rows, np.nan), np.full(rows, np.nan)
    count = use[:, 1:].sum(axis=1)
    full = count == values.shape[1] - 1
    if full.any():
        subset = values if overwrite and full.all() else values[full]  # else: a copy
        low[full], high[full], _ = montecarlo.draw_intervals(subset, con, overwrite=True,
                                                             mean=False)  # fmt: skip
        del subset
    partial = np.flatnonzero(~full & (count > 0))
    if len(partial):
        item, draw = np.nonzero(use[partial][:, 1:])
        long = pd.DataFrame({"item": item, "v": values[partial][:, 1:][item, draw]})
        con.register("_partial_draws", long)
        try:
            bounds = con.execute(
                "SELECT item, quantile_cont(v, 0.025) AS low, quantile_cont(v, 0.975) AS high"
                " FROM _partial_draws GROUP BY item ORDER BY item"
            ).fetchnumpy()
        finally:
            con.unregister("_partial_draws")
        low[partial[bounds["item"]]] = bounds["low"]
        high[partial[bounds["item"]]] = bounds["high"]
    return low, high, count


def draw_interval_table(
    con: duckdb.DuckDBPyConnection,
    *,
    base_year: int,
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> pd.DataFrame:
    r"""Monte Carlo 95 % intervals of each category, the totals and their trend from the draws.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holding ``stock_change_draws`` (draw, country, year, land_use_category,
        ``dCO2_t_per_yr`` [t CO2 yr-1]) and ``organic_emission_draws`` (draw, country, year,
        category, gas, ``e`` [t CO2e yr-1]); read on one thread, in their stored order, unless
        their draws are given.
    base_year : int
        Base year of the trend [yr].
    organic_draws : DrawMatrix, optional
        The organic-soil draws (:func:`organic_category_draw_matrix`: keys country, year,
        category, gas; values ``e``), instead of ``organic_emission_draws``.
    mineral_draws : DrawMatrix, optional
        The mineral-soil draws (keys country, year, land_use, land_use_category, in the order of
        ``stock_change_draws``' rows within a draw; values ``dCO2_t_per_yr``), instead of
        ``stock_change_draws``.

    Returns
    -------
    pandas.DataFrame
        ``uncertainty_draw_intervals``: country, year, category (mineral and organic
        categories, ``mineral_soils_total``, ``soils_total``), gas (CO2e for
        ``soils_total``), ``mc_ci_low``, ``mc_ci_high`` [t CO2e yr-1] (2.5th and 97.5th
        percentiles of draws 1..N), ``mc_draws`` [count], ``trend_mc_low_pct``,
        ``trend_mc_high_pct`` [%] (percentiles of the per-draw trend, NaN where no draw has a
        non-zero base-year value). Rows with draws 1..N only (empty when N = 0).

    Notes
    -----
    Approach 2 of [1]_ (Sec. 3.2.3.2): per draw k the category sums :math:`E_k` (mineral
    categories: ``stock_change_draws`` per ``land_use_category``; ``mineral_soils_total``:
    all of it; organic categories; ``soils_total``: mineral then organic rows), the 95 %
    interval from their 2.5th and 97.5th percentiles, and the trend of each draw with the same
    draw in both years,

    .. math:: T_k(y) = \frac{E_k(y) - E_k(y_0)}{|E_k(y_0)|} \times 100

    over the draws with :math:`E_k(y_0) \ne 0`. The same numbers as the SQL it replaces (one
    grouped ``sum`` per table, a self-join on the base year, ``quantile_cont``), from
    (rows x draws) matrices: sums added in the tables' order, percentiles by
    :func:`inventory.engine.uncertainty.montecarlo.draw_intervals`.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3 (Approach 2, Monte Carlo; 95 % interval from the 2.5th and 97.5th
       percentiles) and Sec. 3.2.3.2 (trend uncertainty by Monte Carlo).
    """
    if organic_draws is None:
        with sql_models.one_thread(con):
            long = con.sql("SELECT draw, country, year, category, gas, e"
                           " FROM organic_emission_draws").df()  # fmt: skip
        organic_draws = DrawMatrix.from_long(long, DRAW_INTERVAL_KEYS, "e")
    if mineral_draws is None:
        mineral_parts = _long_mineral_sums(con)
    else:
        mineral_parts = _matrix_mineral_sums(mineral_draws)
    n_draws = max(organic_draws.n_draws, mineral_parts[0][1].shape[1] - 1)
    columns = [*DRAW_INTERVAL_KEYS, "mc_ci_low", "mc_ci_high", "mc_draws", "trend_mc_low_pct",
               "trend_mc_high_pct"]  # fmt: skip
    if n_draws <= 0:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("country", "category", "gas")
                                          else "int64" if c in ("year", "mc_draws")
                                          else "float64") for c in columns})  # fmt: skip
    (keys, sums, counts), (mineral_keys, mineral_sums, mineral_counts) = mineral_parts
    width = n_draws + 1
    parts = [(keys.assign(gas="CO2"), _widen(sums, width), _widen(counts, width))]
    mineral_total = (_widen(mineral_sums, width), _widen(mineral_counts, width))
    parts.append((mineral_keys.assign(category=MINERAL_TOTAL, gas="CO2"), *mineral_total))
    organic = organic_draws.group_sums(DRAW_INTERVAL_KEYS)
    parts.append((organic.keys, _widen(organic.values, width),
                  _widen(np.ones(organic.values.shape, dtype=bool), width)))  # fmt: skip
    # soils_total: DuckDB's one-thread sum over the UNION ALL of both tables adds the two
    # tables' partial sums (mineral + organic, each in its table's order)
    organic_total = organic_draws.group_sums(["country", "year"])
    organic_keys = organic_total.keys
    organic_sums = (
        _widen(organic_total.values, width),
        _widen(np.ones(organic_total.values.shape, dtype=bool), width),
    )
    both = (mineral_keys.assign(_m=np.arange(len(mineral_keys)))
            .merge(organic_keys.assign(_o=np.arange(len(organic_keys))),
                   on=["country", "year"], how="outer", sort=True))  # fmt: skip
    totals = np.zeros((len(both), width))
    total_counts = np.zeros((len(both), width), dtype=bool)  # only > 0 is read
    has_m, has_o = both["_m"].notna().to_numpy(), both["_o"].notna().to_numpy()
    m = both["_m"].fillna(-1).to_numpy(dtype="int64")
    o = both["_o"].fillna(-1).to_numpy(dtype="int64")
    for target, (m_side, o_side) in (
        (totals, (mineral_total[0], organic_sums[0])),
        (total_counts, (mineral_total[1], organic_sums[1])),
    ):
        target[has_m & ~has_o] = m_side[m[has_m & ~has_o]]
        target[has_o & ~has_m] = o_side[o[has_o & ~has_m]]
        target[has_m & has_o] = m_side[m[has_m & has_o]] + o_side[o[has_m & has_o]]
    parts.append((both[["country", "year"]].assign(category=SOILS_TOTAL, gas="CO2e"),
                  totals, total_counts))  # fmt: skip
    # parts taken together up to PART_VALUES values (a row's base year is in its part): the
    # (rows x draws) matrices of a few parts in memory at a time, not of all
    out = []
    while parts:
        batch = [parts.pop(0)]
        while parts and sum(p[1].size for p in batch) + parts[0][1].size <= PART_VALUES:
            batch.append(parts.pop(0))
        keys = pd.concat([p[0][list(DRAW_INTERVAL_KEYS)] for p in batch], ignore_index=True)
        e = np.concatenate([p[1] for p in batch])
        present = np.concatenate([p[2] for p in batch]) > 0
        del batch
        out.append(_part_intervals(keys, e, present, base_year, con))
        del e, present
    table = pd.concat(out, ignore_index=True)
    return table[table["mc_draws"] > 0].reset_index(drop=True)[columns]


# Values (rows x draws) of the parts whose intervals are taken at once (memory, not method).
PART_VALUES = 2_000_000


def _part_intervals(keys: pd.DataFrame, e: np.ndarray, present: np.ndarray, base_year: int,
                    con: duckdb.DuckDBPyConnection) -> pd.DataFrame:  # fmt: skip
    """:func:`draw_interval_table`'s columns for the rows ``keys`` of whole parts, their draws
    ``e`` (rows, N + 1; reordered within each row here) and where each draw is ``present``."""
    rows = keys[list(DRAW_INTERVAL_KEYS)].reset_index(drop=True)
    rows = rows.astype({"country": "str", "year": "int64", "category": "str", "gas": "str"})
    with sql_models.one_thread(con):
        # trend of each draw against the same draw of the base year (Vol.1 Ch.3 Sec. 3.2.3.2)
        base = rows.reset_index().merge(
            rows[rows["year"] == base_year].reset_index(),
            on=["country", "category", "gas"], suffixes=("", "_base"), how="left",
        )["index_base"].to_numpy()  # fmt: skip
        has_base = ~np.isnan(base)
        trend_low, trend_high = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
        if has_base.any():
            b = base[has_base].astype("int64")
            base_e = e[b]
            use = present[has_base] & present[b] & (base_e != 0)
            trend = e[has_base]  # (e - base) / |base| x 100, in place on the copy
            with np.errstate(divide="ignore", invalid="ignore"):
                trend -= base_e
                trend /= np.abs(base_e, out=base_e)
                trend *= 100
            del base_e
            trend_low[has_base], trend_high[has_base], _ = _quantile_rows(
                trend, use, con, overwrite=True
            )
            del trend
        # last: e's draws are reordered within each row (no copy)
        low, high, count = _quantile_rows(e, present, con, overwrite=True)
    return rows.assign(mc_ci_low=low, mc_ci_high=high, mc_draws=count.astype("int64"),
                       trend_mc_low_pct=trend_low, trend_mc_high_pct=trend_high)  # fmt: skip


def _widen(matrix: np.ndarray, width: int) -> np.ndarray:
    """``matrix`` (rows, columns) with zero columns appended up to ``width`` (a side with
    fewer draws than the other: its missing draws are absent, count 0)."""
    if matrix.shape[1] >= width:
        return matrix
    return np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))


MineralSums = tuple[tuple[pd.DataFrame, np.ndarray, np.ndarray],
                    tuple[pd.DataFrame, np.ndarray, np.ndarray]]  # fmt: skip


def _matrix_mineral_sums(draws: DrawMatrix) -> MineralSums:
    """Per-category and national (``mineral_soils_total``) sums of the mineral draws, with
    their counts: (keys, sums, counts) each, (groups, N + 1)."""
    by_category = draws.group_sums(["country", "year", "land_use_category"])
    total = draws.group_sums(["country", "year"])
    keys = by_category.keys.rename(columns={"land_use_category": "category"})
    return ((keys, by_category.values, np.ones(by_category.values.shape, dtype=bool)),
            (total.keys, total.values, np.ones(total.values.shape, dtype=bool)))  # fmt: skip


def _long_mineral_sums(con: duckdb.DuckDBPyConnection) -> MineralSums:
    """:func:`_matrix_mineral_sums` of the long table ``stock_change_draws``, its rows added
    in their stored order (read on one thread); a category missing in a draw counts 0."""
    with sql_models.one_thread(con):
        table = con.sql(
            "SELECT draw, country, year, land_use_category, dCO2_t_per_yr FROM stock_change_draws"
        ).to_arrow_table()
    draw = table["draw"].to_numpy()
    n_draws = int(draw.max(initial=0))
    values = table["dCO2_t_per_yr"].to_numpy()
    encoded = {"country": _encoded(table["country"]), "year": _encoded(table["year"]),
               "category": _encoded(table["land_use_category"])}  # fmt: skip
    del table
    group, keys = _groups(encoded)
    by_category = _sums(group, len(keys), draw, values, n_draws)
    group, total_keys = _groups({k: encoded[k] for k in ("country", "year")})
    total = _sums(group, len(total_keys), draw, values, n_draws)
    return (keys, *by_category), (total_keys, *total)


def register_draw_intervals(
    con: duckdb.DuckDBPyConnection,
    *,
    base_year: int,
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> None:
    """Place :func:`draw_interval_table` on ``con`` as ``uncertainty_draw_intervals`` (the
    input of ``uncertainty_analysis.sql``; NaN as NULL)."""
    intervals = draw_interval_table(con, base_year=base_year, organic_draws=organic_draws,
                                    mineral_draws=mineral_draws)  # fmt: skip
    table = pa.Table.from_pandas(intervals, preserve_index=False)
    sql_models.register(con, {"uncertainty_draw_intervals": table})
