r"""A scenario's answers: pathways, measures and the adoption needed, with Monte Carlo intervals.

One engine: the projected areas go through the inventory's own mineral-soil engine
(:func:`inventory.engine.mineral_soils.mineral.compute_mineral_inventory`: Eq. 2.25 with the
D-year transition, ``stock_change_weights.sql`` and the Monte Carlo draws of
:mod:`inventory.engine.uncertainty.montecarlo`), the organic soils through
:func:`inventory.engine.organic_soils.organic.organic_soil_emissions` (2013 Wetlands
Supplement; its factors drawn as the inventory draws them,
:func:`inventory.engine.reporting_tables.propagation.organic_emission_draws`) and the N2O of
soil carbon change through
:func:`inventory.engine.mineral_soils.nitrogen.soc_loss_n2o` (IPCC 2006 Vol.4 Ch.11 Eq. 11.8).
Factors are the base release's resolved ``stratum_factors`` (with their Monte Carlo
description), so a scenario without measures reproduces the inventory and continues it; a
stratum the inventory never had (e.g. cropland under no-till) takes the inventory's factors of
its climate zone and soil (SOC_REF), land use (F_LU), management (F_MG) and input (F_I) where the
inventory has them, else the IPCC default of the run's edition.

Every pathway is computed with the run's seed: a source table row is drawn with its own stream
(seeded by the seed and the row key), so business as usual and the scenario share every draw,
and the difference scenario - BAU is taken draw by draw (its interval is the interval of the
difference, narrower than either pathway's when the factors are shared).

Stock S(y) of a pathway, per draw k (the engine's inventory stock, ``inventory_stocks.sql``):

.. math:: S_k(y) = E_k(y_0) + \sum_{y_0 < u \le y} \Delta C_k(u), \qquad
    E_k(y_0) = \sum_s A_s(y_0) \, p_{k,s}

with :math:`p_{k,s} = SOC_{REF} F_{LU} F_{MG} F_I` of draw k and y0 the first year with data
(history = the first known state, so :math:`\Delta C(y_0) = 0`). 4 per mille rate (Minasny et
al. 2017, as ``fourp1000_indicators.sql``): :math:`1000 \, \Delta C(y) / S(y - 1)`; scope
``mineral_and_organic`` subtracts the organic-soil CO2 as carbon (CO2 x 12/44).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from inventory.core import units, vocab
from inventory.engine import sql_models
from inventory.engine.mineral_soils import mineral, nitrogen
from inventory.engine.options import EngineOptions
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import propagation
from inventory.engine.uncertainty import montecarlo
from inventory.scenarios import projection
from inventory.scenarios.model import Measure, Scenario, ScenarioError, check_base_year

# 95 % interval: 2.5th and 97.5th percentiles of draws 1..N (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3),
# as the engine's stock_change_totals.sql (quantile_cont = numpy's linear method up to the
# rounding of the interpolation, the last bit; montecarlo.draw_intervals has DuckDB's).
CI_QUANTILES = (0.025, 0.975)
PERMILLE = 1000.0  # rate [per mille yr-1] = PERMILLE x dC / S
# Priority of the base release's resolved factors among the candidates: ahead of submitted
# (1), derived (2) and IPCC default (3) rows (vocab.FACTOR_PRIORITY), so the inventory's own
# factors win for every stratum it resolved.
BASE_FACTOR_PRIORITY = 0
# An Approach 2/3 base must reproduce the published national dC (check_reproduces): the same
# equations on the same areas, so only summation order differs (relative 1e-9), and 1 kg C/yr
# absolute for totals near 0.
REPRODUCE_RTOL, REPRODUCE_ATOL_TC = 1e-9, 1e-3


@dataclass
class BaseInventory:
    """What a scenario starts from: one country of a published release.

    Attributes
    ----------
    country : str
        ISO 3166-1 alpha-3 code.
    release_id : str
        The release the areas and factors come from.
    land_areas : pandas.DataFrame
        Mineral-soil areas by stratum and year (``area_ha`` [ha]), every reported year and the
        history years before them the inventory used.
    stratum_factors : pandas.DataFrame
        The release's resolved factors (model column names: ``value`` [t C ha-1 | 1],
        ``uncertainty_pct`` [%], ``tier``, ``source`` and ``vocab.DRAW_COLUMNS``).
    defaults : pandas.DataFrame
        Candidate factors for strata the inventory did not resolve (the run's factor table,
        :func:`inventory.engine.mineral_soils.factors.factor_table`).
    organic_soils : pandas.DataFrame
        Organic-soil areas by stratum and year (``area_ha`` [ha]); may be empty.
    transition_years, mc_draws, seed : int
        D [yr], Monte Carlo draws [count] and seed [-] of the inventory run.
    edition, gwp_set : str
        IPCC edition of the factors (EF1 of Eq. 11.8) and GWP100 set.
    tier, ef1_option : int, str
        The run's tier (how Eq. 11.8 nets the mineral-soil change, note to Eq. 11.8) and EF1
        option (IPCC 2019 Vol.4 Ch.11 Table 11.1), so the scenario's N2O is the inventory's.
    """

    country: str
    release_id: str
    land_areas: pd.DataFrame
    stratum_factors: pd.DataFrame
    defaults: pd.DataFrame
    organic_soils: pd.DataFrame
    transition_years: int
    mc_draws: int
    seed: int
    edition: str
    gwp_set: str
    grid: Path | None = None  # the submitted gridded stock map, if any (maps.py)
    first_year: int | None = None  # first reported year; earlier years are history only
    tier: int = 1
    ef1_option: str = nitrogen.DEFAULT_EF1_OPTION
    approach: int = 1  # IPCC approach of the run's land representation (1, 2 or 3)
    reported_dC: pd.Series | None = None  # published national dC [t C yr-1] by year

    @property
    def last_year(self) -> int:
        """The last reported year [yr]: the scenario's start."""
        return int(self.land_areas["year"].max())


@dataclass
class Pathway:
    """One projection (BAU, the scenario, one measure...), per draw and year."""

    years: np.ndarray  # [yr]
    dC: np.ndarray  # (draws, years) [t C yr-1], + = gain
    stock: np.ndarray  # (draws, years) [t C], S(y)
    organic_t: dict[str, np.ndarray]  # gas -> (draws, years) [t gas yr-1] (CO2, CH4, N2O)
    organic_co2e: np.ndarray  # (draws, years) [t CO2e yr-1]
    soc_n2o_t: np.ndarray  # (years,) [t N2O yr-1], Eq. 11.8
    soc_n2o_co2e: np.ndarray  # (years,) [t CO2e yr-1]
    areas: pd.DataFrame = field(repr=False)  # projected mineral areas (stratum, year)
    moves: pd.DataFrame = field(repr=False)  # the mineral moves (projection.measure_moves)
    organic_moves: pd.DataFrame = field(repr=False)
    stratum_stock: pd.DataFrame = field(repr=False)  # strata, p_k draw 0 [t C ha-1]

    def rate(self, scope: str) -> np.ndarray:
        """4 per mille rate [per mille yr-1] per draw, NaN in the first year."""
        change = self.total_change(scope)
        previous = np.concatenate([np.full((self.stock.shape[0], 1), np.nan),
                                   self.stock[:, :-1]], axis=1)  # fmt: skip
        return PERMILLE * change / previous

    def total_change(self, scope: str) -> np.ndarray:
        """dC [t C yr-1] per draw; scope mineral_and_organic subtracts organic CO2 as C."""
        if scope == "mineral":
            return self.dC
        return self.dC - self.organic_t["CO2"] / units.carbon_to_co2(1.0)


def _most_used(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per key, the candidate most strata use (ties: the first by source): one row per key."""
    counted = rows.groupby([*keys, "source", "value"], as_index=False, dropna=False).size()
    best = counted.sort_values([*keys, "size", "source"], ascending=[True] * len(keys) + [
        False, True]).drop_duplicates(keys)  # fmt: skip
    return rows.merge(best[[*keys, "source", "value"]], on=[*keys, "source", "value"]
                      ).drop_duplicates(keys)  # fmt: skip


def candidates(base: BaseInventory) -> pd.DataFrame:
    """Candidate factors: the base's resolved factors first, then its defaults; resolved by the
    engine's ``stratum_factors.sql`` (fewest wildcards wins among equal priority).

    Two layers of the base's factors, both ahead of every default: rows as specific as the
    candidate form allows (climate zone, soil class, land use and the stratum's management, or
    its input for F_I), which give every stratum of the inventory its own factors back; and
    broader rows for strata the inventory never had, with the value most of its strata use
    (SOC_REF per climate zone and soil class, F_LU per land use too). Their Monte Carlo
    description (source row, mean, sd, df, reference row) is kept, so the draws are the
    inventory's.
    """
    sf = base.stratum_factors
    keys = ["country", "factor", "climate_zone", "soil_class", "land_use", "level"]
    exact = sf.assign(level=np.where(sf["factor"] == "F_I", sf["input"], sf["management"]))
    broad = sf[sf["factor"].isin(["SOC_REF", "F_LU"])].assign(level=vocab.WILDCARD)
    broad["land_use"] = broad["land_use"].where(broad["factor"] != "SOC_REF", vocab.WILDCARD)
    rows = pd.concat([_most_used(exact, keys), _most_used(broad, keys)], ignore_index=True)
    own = rows.assign(priority=BASE_FACTOR_PRIORITY)[[*vocab.FACTOR_COLUMNS,
                                                      *vocab.DRAW_COLUMNS]]  # fmt: skip
    table = pd.concat([own, base.defaults[own.columns]], ignore_index=True)
    return table.astype({"value": "float64", "uncertainty_pct": "float64"})


def run_pathway(
    base: BaseInventory,
    measures: list[Measure],
    *,
    horizon: int,
    n_draws: int,
    shares: dict[str, float] | None = None,
) -> Pathway:
    """The base projected to ``horizon`` with ``measures`` (none: business as usual).

    Parameters
    ----------
    base : BaseInventory
        The inventory to start from.
    measures : list of Measure
        Measures applied together.
    horizon : int
        Last projected year [yr].
    n_draws : int
        Monte Carlo draws [count] (draw 0 = the factors' table values).
    shares : dict of str to float, optional
        Shares [0-1] replacing the measures' own.

    Returns
    -------
    Pathway
        dC and S(y) per draw and year, organic-soil gases, Eq. 11.8 N2O.
    """
    con = sql_models.connect()
    last = base.last_year
    mineral_last = base.land_areas[base.land_areas["year"] == last]
    organic_last = base.organic_soils[base.organic_soils["year"] == last]
    moves, organic_moves = projection.measure_moves(
        measures, mineral_last, organic_last, base_year=last, horizon=horizon, shares=shares
    )
    areas = projection.project(con, base.land_areas, moves, projection.MINERAL_KEYS,
                               last_year=last, horizon=horizon)  # fmt: skip
    options = EngineOptions(base.transition_years, None, None, n_draws, base.seed)
    result = mineral.compute_mineral_inventory(areas, candidates(base), options, con=con)
    years = np.sort(areas["year"].unique())
    # national dC of every draw and year: the categories added in their order (not in the
    # order of a multi-threaded SQL sum), draws x years
    if result.category_draws is None:  # compute_mineral_inventory always keeps them
        raise RuntimeError("the Approach 1 engine returned no per-draw changes")
    national = result.category_draws.group_sums(["year"])
    dC = pd.DataFrame(national.values.T, columns=national.keys["year"].to_numpy())
    dC = dC.reindex(columns=years)
    dC_values = dC.fillna(0.0).to_numpy()
    strata, per_ha = montecarlo.stratum_stock_draws(
        result.stratum_factors, n_draws=n_draws, seed=base.seed
    )
    first = areas[areas["year"] == years[0]].merge(
        strata.assign(j=np.arange(len(strata))), on=projection.MINERAL_KEYS
    )
    initial = per_ha[:, first["j"].to_numpy()] @ first["area_ha"].to_numpy()
    stock = initial[:, None] + np.cumsum(dC_values, axis=1)
    organic_t, organic_co2e = _organic(con, base, organic_moves, horizon, years, n_draws)
    n2o = nitrogen.soc_loss_n2o(con, result.stock_changes, edition=base.edition,
                                gwp_set=base.gwp_set, tier=base.tier,
                                ef1_option=base.ef1_option, areas=result.soc_stocks)  # fmt: skip
    by_year = n2o.groupby("year")[["n2o_t", "co2e_t"]].sum().reindex(years, fill_value=0.0)
    return Pathway(
        years=years, dC=dC_values, stock=stock,
        organic_t=organic_t, organic_co2e=organic_co2e,
        soc_n2o_t=by_year["n2o_t"].to_numpy(), soc_n2o_co2e=by_year["co2e_t"].to_numpy(),
        areas=areas, moves=moves, organic_moves=organic_moves,
        stratum_stock=strata.assign(stock_per_ha=per_ha[0]),
    )  # fmt: skip


def _organic(
    con: duckdb.DuckDBPyConnection,
    base: BaseInventory,
    moves: pd.DataFrame,
    horizon: int,
    years: np.ndarray,
    n_draws: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Organic-soil emissions by gas [t gas yr-1] and CO2e [t CO2e yr-1], (draws, years).

    Draw 0 is ``organic_soil_emissions`` (the inventory's Tier 1 values); draws 1..N draw the
    Wetlands Supplement factors from their printed 95 % intervals, one stream per printed
    factor row seeded by the run's seed
    (:func:`inventory.engine.reporting_tables.propagation.organic_emission_draws`, the
    inventory's own organic draws), so BAU, the scenario and each measure share every draw.
    """  # fmt: skip
    shape = (n_draws + 1, len(years))
    gases = ("CO2", "CH4", "N2O")
    if base.organic_soils.empty:
        return {g: np.zeros(shape) for g in gases}, np.zeros(shape)
    areas = projection.project(con, base.organic_soils, moves, projection.ORGANIC_KEYS,
                               last_year=base.last_year, horizon=horizon)  # fmt: skip
    emissions = organic.organic_soil_emissions(con, areas, gwp_set=base.gwp_set)
    emissions = emissions[emissions["year"].isin(years)].reset_index(drop=True)
    draws = propagation.organic_emission_draws(emissions, n_draws=n_draws, seed=base.seed)
    draws[0] = emissions["emission"].to_numpy("float64")  # the inventory's values exactly
    # (rows x years) indicator: each row's emission to its year, summed by a matrix product
    at_year = np.zeros((len(emissions), len(years)))
    at_year[np.arange(len(emissions)), np.searchsorted(years, emissions["year"])] = 1.0
    gwp = organic.gwp_table(base.gwp_set).set_index("gas")["value"]
    by_gas = {}
    for gas in gases:
        rows = (emissions["gas"] == gas).to_numpy()
        by_gas[gas] = np.nan_to_num(draws[:, rows]) @ at_year[rows]
    co2e = sum(by_gas[g] * float(gwp[g]) for g in gases)
    return by_gas, np.asarray(co2e)


def interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(draw 0, 2.5th, 97.5th percentile of draws 1..N) along axis 0; NaN bounds without draws."""
    if values.shape[0] < 2:
        nan = np.full(values.shape[1:], np.nan)
        return values[0], nan, nan
    low, high = np.quantile(values[1:], CI_QUANTILES, axis=0)
    return values[0], low, high


@dataclass
class CountryAnswers:
    """The answer tables of one country (see :func:`answer_country`)."""

    pathways: pd.DataFrame
    measures: pd.DataFrame
    adoption: pd.DataFrame
    bau: Pathway
    scenario: Pathway
    effects: dict[str, Pathway]


def pathway_rows(label: str, p: Pathway, *, base_year: int, target: float) -> pd.DataFrame:
    """Rows of ``scenario_pathways`` for one pathway, both scopes."""
    frames = []
    s, s_lo, s_hi = interval(p.stock)
    prev = np.concatenate([[np.nan], s[:-1]])
    for scope in ("mineral", "mineral_and_organic"):
        d, d_lo, d_hi = interval(p.total_change(scope))
        r, r_lo, r_hi = interval(p.rate(scope))
        frames.append(pd.DataFrame({
            "pathway": label, "scope": scope, "year": p.years.astype("int64"),
            "projected": p.years > base_year,
            "stock_tc": s, "stock_ci_low_tc": s_lo, "stock_ci_high_tc": s_hi,
            "dC_tc_per_yr": d, "dC_ci_low_tc_per_yr": d_lo, "dC_ci_high_tc_per_yr": d_hi,
            "rate_permille_per_yr": r, "rate_ci_low_permille_per_yr": r_lo,
            "rate_ci_high_permille_per_yr": r_hi,
            "target_permille_per_yr": target,
            "target_tc_per_yr": target / PERMILLE * prev,
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def difference_rows(scen: Pathway, bau: Pathway, *, base_year: int) -> pd.DataFrame:
    """``scenario_pathways`` rows of scenario - BAU, taken draw by draw."""
    frames = []
    s, s_lo, s_hi = interval(scen.stock - bau.stock)
    for scope in ("mineral", "mineral_and_organic"):
        d, d_lo, d_hi = interval(scen.total_change(scope) - bau.total_change(scope))
        r, r_lo, r_hi = interval(scen.rate(scope) - bau.rate(scope))
        frames.append(pd.DataFrame({
            "pathway": "difference", "scope": scope, "year": scen.years.astype("int64"),
            "projected": scen.years > base_year,
            "stock_tc": s, "stock_ci_low_tc": s_lo, "stock_ci_high_tc": s_hi,
            "dC_tc_per_yr": d, "dC_ci_low_tc_per_yr": d_lo, "dC_ci_high_tc_per_yr": d_hi,
            "rate_permille_per_yr": r, "rate_ci_low_permille_per_yr": r_lo,
            "rate_ci_high_permille_per_yr": r_hi,
            "target_permille_per_yr": np.nan, "target_tc_per_yr": np.nan,
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def measure_rows(m: Measure, effect: Pathway, bau: Pathway, *, base_year: int) -> pd.DataFrame:
    """``scenario_measures`` rows of one measure: its pathway alone minus BAU, per year."""
    to_co2 = units.carbon_to_co2(1.0)
    diff = effect.dC - bau.dC
    d, d_lo, d_hi = interval(diff)
    organic_co2e = effect.organic_co2e - bau.organic_co2e  # draw by draw
    co2e = -diff * to_co2 + (effect.soc_n2o_co2e - bau.soc_n2o_co2e)[None, :] + organic_co2e
    c, c_lo, c_hi = interval(co2e)
    gases: dict[str, np.ndarray] = {}
    for gas in ("CO2", "CH4", "N2O"):
        g, g_lo, g_hi = interval(effect.organic_t[gas] - bau.organic_t[gas])
        name = f"organic_{gas.lower()}_t"
        gases |= {f"{name}_per_yr": g, f"{name}_ci_low_per_yr": g_lo,
                  f"{name}_ci_high_per_yr": g_hi}  # fmt: skip
    o, o_lo, o_hi = interval(organic_co2e)
    moves = effect.organic_moves if m.kind == "rewetting" else effect.moves
    moved = projection.moved_area(moves, effect.years)
    area = moved.set_index("year")["area_moved_ha"].reindex(effect.years, fill_value=0.0)
    frame = pd.DataFrame({
        "measure": m.name, "kind": m.kind, "year": effect.years.astype("int64"),
        "area_moved_ha": area.to_numpy(),
        "dC_tc_per_yr": d, "dC_ci_low_tc_per_yr": d_lo, "dC_ci_high_tc_per_yr": d_hi,
        "mineral_co2_t_per_yr": -d * to_co2,
        "soc_n2o_t_per_yr": effect.soc_n2o_t - bau.soc_n2o_t,
        **gases,
        "organic_co2e_t_per_yr": o, "organic_co2e_ci_low_t_per_yr": o_lo,
        "organic_co2e_ci_high_t_per_yr": o_hi,
        "co2e_t_per_yr": c, "co2e_ci_low_t_per_yr": c_lo, "co2e_ci_high_t_per_yr": c_hi,
    })  # fmt: skip
    return frame[frame["year"] > base_year].reset_index(drop=True)


def solve_adoption(
    without: Pathway,
    alone: Pathway,
    bau: Pathway,
    *,
    year: int,
    scope: str,
    target: float,
    room: float = 1.0,
    selected_area_ha: float | None = None,
) -> dict:
    r"""The share of a measure that reaches ``target`` per mille in ``year``, solved exactly.

    Areas moved are linear in the share, so dC(s) and S(s) are linear too (Eq. 2.25 is linear
    in the areas, and the measures' moves add up): with the pathway without the measure
    (s = 0, the other measures at their shares) and its effect at 100 % (``alone`` - ``bau``)
    added for s = 1,

    .. math:: 1000 \, [\Delta C_0 + s (\Delta C_1 - \Delta C_0)]
        = t \, [S_0 + s (S_1 - S_0)] \;\Rightarrow\;
        s = \frac{t S_0 - 1000 \Delta C_0}{1000 (\Delta C_1 - \Delta C_0) - t (S_1 - S_0)}

    with S taken in year - 1 and t the target [per mille yr-1] (draw 0, the reported values).
    ``room`` [0-1] is the largest share the other measures leave free on the strata this one
    selects; a solved share above it is no answer either. ``selected_area_ha`` [ha], the area
    the measure selects (at share 1), turns the share into the area it means
    (``area_needed_ha`` = share x selected area), said in the statement too.

    Returns
    -------
    dict
        ``rate_without_permille_per_yr``, ``rate_full_permille_per_yr``, ``share_needed``
        [0-1, NaN when no share up to 100 % reaches it], ``area_needed_ha`` [ha; NaN without
        ``selected_area_ha`` or without a share] and ``statement``.
    """
    index = int(np.searchsorted(without.years, year))
    if index >= len(without.years) or without.years[index] != year or index == 0:
        raise ScenarioError(f"adoption year {year} is not a projected year of the scenario",
                            "choose a year after the base year, up to the horizon")  # fmt: skip
    d0 = without.total_change(scope)[0, index]
    d1 = d0 + alone.total_change(scope)[0, index] - bau.total_change(scope)[0, index]
    s0 = without.stock[0, index - 1]
    s1 = s0 + alone.stock[0, index - 1] - bau.stock[0, index - 1]
    rate0, rate1 = PERMILLE * d0 / s0, PERMILLE * d1 / s1
    denominator = PERMILLE * (d1 - d0) - target * (s1 - s0)
    share = (target * s0 - PERMILLE * d0) / denominator if denominator != 0 else np.nan
    if rate0 >= target:
        share, statement = 0.0, f"{target:g} per mille is reached in {year} without the measure"
    elif np.isfinite(share) and 0 <= share <= room:
        area = "" if selected_area_ha is None else (
            f" ({share * selected_area_ha:,.0f} ha of {selected_area_ha:,.0f} ha)")  # fmt: skip
        statement = (f"{share:.1%} of the selected area{area} reaches {target:g} per mille "
                     f"in {year}")  # fmt: skip
    else:
        share = np.nan
        limit = "100 %" if room >= 1 else f"{room:.0%} (the rest is moved by other measures)"
        statement = (f"no share up to {limit} reaches {target:g} per mille in {year} "
                     f"(at 100 %: {rate1:.3f} per mille)")  # fmt: skip
    area_needed = share * selected_area_ha if selected_area_ha is not None else np.nan
    return {"rate_without_permille_per_yr": rate0, "rate_full_permille_per_yr": rate1,
            "share_needed": share, "area_needed_ha": area_needed,
            "statement": statement}  # fmt: skip


def _combine(a: Pathway, effect: Pathway, bau: Pathway, factor: float) -> Pathway:
    """``a`` + factor x (``effect`` - ``bau``): dC, S and the gases (areas and moves of
    ``a``, the moves scaled for :func:`_room`)."""
    gases = {g: a.organic_t[g] + factor * (effect.organic_t[g] - bau.organic_t[g])
             for g in a.organic_t}  # fmt: skip
    moves = effect.moves.assign(share=effect.moves["share"] * abs(factor))
    organic_moves = effect.organic_moves.assign(share=effect.organic_moves["share"] * abs(factor))
    if factor < 0:  # a - effect: the other measures' moves
        names = set(effect.moves["measure"]) | set(effect.organic_moves["measure"])
        moves = a.moves[~a.moves["measure"].isin(names)]
        organic_moves = a.organic_moves[~a.organic_moves["measure"].isin(names)]
    return Pathway(
        years=a.years, dC=a.dC + factor * (effect.dC - bau.dC),
        stock=a.stock + factor * (effect.stock - bau.stock), organic_t=gases,
        organic_co2e=a.organic_co2e + factor * (effect.organic_co2e - bau.organic_co2e),
        soc_n2o_t=a.soc_n2o_t + factor * (effect.soc_n2o_t - bau.soc_n2o_t),
        soc_n2o_co2e=a.soc_n2o_co2e + factor * (effect.soc_n2o_co2e - bau.soc_n2o_co2e),
        areas=a.areas, moves=moves, organic_moves=organic_moves, stratum_stock=a.stratum_stock,
    )  # fmt: skip


def _room(alone: Pathway, without: Pathway) -> float:
    """1 - the largest share the other measures move of a stratum the measure selects."""
    moves = alone.moves if not alone.moves.empty else alone.organic_moves
    others = without.moves if not alone.moves.empty else without.organic_moves
    keys = projection.ORGANIC_KEYS if alone.moves.empty else projection.MINERAL_KEYS
    if others.empty:
        return 1.0
    taken = others.groupby(keys, as_index=False)["share"].sum()
    shared = moves[keys].merge(taken, on=keys)
    return float(1.0 - shared["share"].max()) if len(shared) else 1.0


def check_reproduces(base: BaseInventory, bau: Pathway) -> None:
    """Refuse an Approach 2/3 base whose business as usual does not reproduce the published
    national dC of its reported years (draw 0, ``REPRODUCE_RTOL`` / ``REPRODUCE_ATOL_TC``).

    The projection works on stratum areas; Approach 2/3 countries were computed on land units
    or change matrices. Eq. 2.25 is linear in the areas, so the stratum sums give the same
    national totals when the base holds the whole history (land units: their own history,
    :func:`inventory.scenarios.base.unit_history_areas`); a base that cannot (history lost) is
    refused rather than projected approximately.
    """
    if base.approach == 1 or base.reported_dC is None or base.reported_dC.empty:
        return
    years = [y for y in base.reported_dC.index if y in set(bau.years.tolist())]
    ours = pd.Series(bau.dC[0], index=bau.years)[years].to_numpy()
    theirs = base.reported_dC[years].to_numpy("float64")
    off = ~np.isclose(ours, theirs, rtol=REPRODUCE_RTOL, atol=REPRODUCE_ATOL_TC)
    if off.any():
        year = years[int(np.argmax(off))]
        raise ScenarioError(
            f"{base.country} was computed with Approach {base.approach}; projected on its "
            f"stratum areas, business as usual gives dC {ours[off][0]:,.3f} t C/yr in {year}, "
            f"the published inventory {theirs[off][0]:,.3f}: the areas the release holds miss "
            "changes still working through their D years, so the scenario would be wrong",
            f"run the inventory of {base.country} again (`soc-inventory run --country "
            f"{base.country}`) so that its inputs are in the lake as read, or leave it out of "
            "the base countries",
        )  # fmt: skip


def _share(effect: Pathway, name: str) -> float:
    """The share [0-1] a measure moves (``projection.measure_moves``: its own, or its rewetting
    area over the selected drained area)."""
    moves = pd.concat([effect.moves, effect.organic_moves], ignore_index=True)
    return float(moves.loc[moves["measure"] == name, "share"].iloc[0])


def answer_country(scenario: Scenario, base: BaseInventory) -> CountryAnswers:
    """Pathways (BAU, scenario, difference), per-measure effects and the adoption solve.

    Parameters
    ----------
    scenario : Scenario
        The checked scenario.
    base : BaseInventory
        One country of the base release.

    Returns
    -------
    CountryAnswers
        ``pathways`` (``scenario_pathways`` rows), ``measures`` (``scenario_measures`` rows),
        ``adoption`` (``scenario_adoption`` rows) and the pathways themselves.
    """
    check_base_year(scenario, base.country, base.last_year)
    n_draws = base.mc_draws if scenario.mc_draws is None else scenario.mc_draws
    target = scenario.target_permille
    run = lambda measures, shares=None: run_pathway(  # noqa: E731
        base, measures, horizon=scenario.horizon, n_draws=n_draws, shares=shares
    )
    here = [m for m in scenario.measures if m.applies_to(base.country)]
    bau = run([])
    check_reproduces(base, bau)
    scen = run(here) if here else bau
    effects = {m.name: run([m]) for m in here}
    last = base.last_year
    shown = base.first_year if base.first_year is not None else int(bau.years[0])
    pathways = pd.concat([
        pathway_rows("bau", bau, base_year=last, target=target),
        pathway_rows("scenario", scen, base_year=last, target=target),
        difference_rows(scen, bau, base_year=last),
    ], ignore_index=True)  # fmt: skip
    pathways = pathways[pathways["year"] >= shown].reset_index(drop=True)
    measures = [measure_rows(m, effects[m.name], bau, base_year=last) for m in here]
    adoption = pd.DataFrame()
    chosen = scenario.adoption
    if chosen is not None and chosen.measure in effects:
        measure = next(m for m in here if m.name == chosen.measure)
        # linear in the areas: without = scenario - the measure's effect, and the effect at
        # 100 % is the effect at its share / share (run once more only for a share of 0)
        effect = effects[measure.name]
        share = _share(effect, measure.name)  # a rewetting area_ha as its share
        if share > 0:
            without = _combine(scen, effect, bau, -1.0)
            alone = _combine(bau, effect, bau, 1.0 / share)
        else:
            without, alone = scen, run([measure], {measure.name: 1.0})
        moves = effect.organic_moves if measure.kind == "rewetting" else effect.moves
        selected = float(moves.loc[moves["measure"] == measure.name, "area_ha"].sum())
        solved = solve_adoption(without, alone, bau, year=chosen.year, scope=chosen.scope,
                                target=target, room=_room(alone, without),
                                selected_area_ha=selected)  # fmt: skip
        adoption = pd.DataFrame([{"measure": chosen.measure, "year": chosen.year,
                                  "scope": chosen.scope, "target_permille_per_yr": target,
                                  **solved}])  # fmt: skip
    measure_frame = pd.concat(measures, ignore_index=True) if measures else pd.DataFrame()
    return CountryAnswers(pathways, measure_frame, adoption, bau, scen, effects)
