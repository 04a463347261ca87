"""Reporting indicators over the inventory results: 4p1000, peatland offsets, CRT-style tables.

Thin Python entry points over the SQL models of ``inventory/engine/sql`` (each file's header
states its method, grain, parameters and columns). Every function registers its inputs as views
on the given DuckDB connection and returns a pandas frame.
"""

from __future__ import annotations

from typing import Literal, get_args

import duckdb
import numpy as np
import pandas as pd

from inventory.core import units, vocab
from inventory.engine import sql_models
from inventory.engine.organic_soils import organic
from inventory.engine.uncertainty import montecarlo
from inventory.engine.uncertainty.draw_matrix import DrawMatrix

# "4 per 1000" initiative (Le Foll 2015, COP21; Minasny et al. 2017, Geoderma 292:59-86):
# aspirational annual increase of the soil organic carbon stock, per mille per year.
TARGET_PERMILLE = 4.0
# Land coded 'native' (the IPCC reference condition, unmanaged) is reported under one IPCC land
# category so that the CRT areas cover the whole land (every land area belongs to one of the six
# categories, unmanaged land included: IPCC 2006 Vol.4 Ch.3 Sec. 3.2, recalled). Grassland by
# default: most native reference land of Tier 1 strata is non-forest; forest_land selectable.
NativeLandUse = Literal["grassland", "forest_land"]
NATIVE_CATEGORIES: tuple[str, ...] = get_args(NativeLandUse)
NATIVE_LAND_USE: NativeLandUse = "grassland"


def fourp1000_indicators(
    con: duckdb.DuckDBPyConnection,
    inventory_stocks: pd.DataFrame,
    organic_soil_emissions: pd.DataFrame,
    *,
    target_permille: float = TARGET_PERMILLE,
    base_year: int | None = None,
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> pd.DataFrame:
    r"""Annual change [per mille yr-1] of the inventory stock vs the 4p1000 target.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``inventory_stocks`` and ``organic_soil_emissions`` are
        (re)placed.
    inventory_stocks : pandas.DataFrame
        ``inventory_stocks.sql`` output
        (:func:`inventory.engine.mineral_soils.stocks.inventory_stocks`):
        ``country``, ``year`` [yr], ``scope``, ``land_use``, ``area_ha``, ``prev_area_ha``,
        ``converted_area_ha`` [ha], ``stock_tc`` = S(y), ``prev_stock_tc`` = S(y - 1) [t C],
        ``change_tc`` [t C yr-1], + = gain.
    organic_soil_emissions : pandas.DataFrame
        :func:`inventory.engine.organic_soils.organic.organic_soil_emissions` output (``country``,
        ``year``,
        ``land_use``, ``component``, ``emission`` [t CO2 yr-1 for on_site and doc]).
    target_permille : float, default 4.0
        Aspirational annual increase [per mille yr-1]; 4 for the 4p1000 initiative.
    base_year : int, optional
        Year whose stock the ``rate_vs_base_permille`` refers to [yr]; None = the first
        reported year.
    organic_draws : DrawMatrix, optional
        Monte Carlo draws of the organic-soil categories
        (:func:`inventory.engine.reporting_tables.propagation.organic_category_draw_matrix`:
        keys country, year, gas, ...; values ``e`` [t CO2e yr-1]), for the
        ``mineral_and_organic`` intervals.
    mineral_draws : DrawMatrix, optional
        The mineral-soil change of every category and draw (keys country, year, ...; values
        ``dC_tc_per_yr`` [t C yr-1], the numbers of ``stock_change_draws``), instead of reading
        that table.

    Returns
    -------
    pandas.DataFrame
        ``fourp1000_indicators``, one row per (country, year, land_use, scope), land_use
        ``all`` = national total, scope ``mineral`` or ``mineral_and_organic``: ``stock_tc``,
        ``prev_stock_tc`` [t C], ``change_tc`` [t C yr-1], ``rate_permille`` [per mille
        yr-1], ``base_year`` [yr], ``base_stock_tc`` [t C], ``rate_vs_base_permille`` [per
        mille yr-1], ``target_permille`` [per mille yr-1], ``target_tc`` and ``gap_tc``
        [t C yr-1, + = short of the target]. Per-land-use rows only in years when no land was
        converted to the land use within D years and its area did not change. National rows
        carry the 95 % Monte Carlo intervals of the change and the rate
        (:func:`fourp1000_intervals`) when ``con`` holds the draws.

    Notes
    -----
    .. math::

        r(y) = 1000 \, \frac{\Delta C(y)}{S(y - 1)}, \qquad
        r_{base}(y) = 1000 \, \frac{\Delta C(y)}{S(y_b)}, \qquad
        target(y) = \frac{t}{1000} \, S(y - 1), \qquad gap(y) = target(y) - \Delta C(y)

    with S the inventory stock (the D-year mean of equilibrium stocks, so that S(y) - S(y-1)
    = :math:`\Delta C(y)`, Eq. 2.25 of [2]_), t = ``target_permille`` (4 for the 4p1000
    aspiration [1]_) and y_b the base year. Dividing by the previous year's *equilibrium*
    stock instead would overstate a conversion's rate: 64 t C/ha native land converted to
    cropland (44.16 t C/ha) loses 0.992 t C/ha/yr, -15.5 per mille of the 64 t C it holds in
    the first year, not -22.5 per mille of 44.16.

    References
    ----------
    .. [1] Minasny, B. et al. (2017). Soil carbon 4 per mille. Geoderma 292, 59-86. (The
       4p1000 initiative was launched at COP21 by S. Le Foll, French Minister of Agriculture,
       2015.)
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25.
    """
    sql_models.register(con, {
        "inventory_stocks": inventory_stocks, "organic_soil_emissions": organic_soil_emissions,
    })  # fmt: skip
    params = {
        "target_permille": target_permille, "base_year": base_year,
        "c_per_co2": units.conversion_factor("t CO2", "t C"),
    }  # fmt: skip
    with sql_models.one_thread(con):  # its sums give the same bits every run
        table = sql_models.run_model(con, "fourp1000_indicators", params)
    return fourp1000_intervals(con, table, organic_draws, mineral_draws)


# Published beside fourp1000_indicators.sql's columns (published_schema: extra columns).
FOURP1000_INTERVAL_COLUMNS = ("change_ci_low_tc_per_yr", "change_ci_high_tc_per_yr",
                              "rate_ci_low_permille_per_yr",
                              "rate_ci_high_permille_per_yr")  # fmt: skip
# per mille = parts per thousand (definition of the unit, not a factor)
PER_MILLE = 1000.0


def fourp1000_draws(
    con: duckdb.DuckDBPyConnection,
    organic_draws: DrawMatrix | None,
    mineral_draws: DrawMatrix | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray] | None:
    r"""National change [t C yr-1] and 4p1000 rate [per mille yr-1] of every Monte Carlo draw.

    Returns None unless ``con`` holds ``inventory_stock_draws`` and ``stock_change_draws``
    (or ``mineral_draws``, the same numbers as a matrix) with draws 1..N. Otherwise the keys
    (``country``, ``year``, ``scope``; one row per country and year with a mineral-soil change
    and a stock, each scope) and two (keys, N) matrices of draws 1..N: the change and the rate.

    Notes
    -----
    Draw by draw, as ``fourp1000_indicators.sql`` for draw 0:

    .. math:: r_k(y) = 1000 \, \frac{\Delta C_k(y) + O_k(y)}{S_k(y) - \Delta C_k(y)}

    with :math:`\Delta C_k` the national mineral-soil change (sum of ``stock_change_draws``,
    categories in their order), :math:`S_k(y) - \Delta C_k(y) = S_k(y - 1)` (the identity of
    ``inventory_stocks.sql``, IPCC 2006 Vol.4 Ch.2 Eq. 2.25), and :math:`O_k` = 0 for scope
    ``mineral``, the organic-soil carbon change :math:`-E_{CO_2,k} \times 12/44` (on-site and
    DOC CO2 of the 2013 Wetlands Supplement Ch.2/3, the only CO2 components) for
    ``mineral_and_organic``. Factor and area draws are shared by the numerator and the
    denominator, so their correlation is kept.
    """
    names = sql_models.tables_on(con)
    if "inventory_stock_draws" not in names or (
        mineral_draws is None and "stock_change_draws" not in names
    ):
        return None
    if mineral_draws is None:
        mineral_draws = DrawMatrix.from_long(con.execute(
            "SELECT draw, country, year, sum(dC_tc_per_yr) AS dC_tc_per_yr"
            " FROM stock_change_draws GROUP BY ALL ORDER BY ALL").df(),
            ["country", "year"], "dC_tc_per_yr")  # fmt: skip
    change = mineral_draws.group_sums(["country", "year"])
    stock = DrawMatrix.from_long(
        con.execute("SELECT draw, country, year, stock_tc FROM inventory_stock_draws").df(),
        ["country", "year"], "stock_tc",
    )  # fmt: skip
    # the (country, year) with both, as the join of the two long tables
    both = change.keys.reset_index().merge(stock.keys.reset_index(), on=["country", "year"],
                                           suffixes=("", "_stock"))  # fmt: skip
    n_draws = min(change.n_draws, stock.n_draws)
    if both.empty or n_draws <= 0:
        return None
    delta = change.values[both["index"].to_numpy(), 1 : n_draws + 1]
    previous = stock.values[both["index_stock"].to_numpy(), 1 : n_draws + 1] - delta
    organic_tc = np.zeros_like(delta)  # O_k = 0 where no organic soil is reported
    if organic_draws is not None and not organic_draws.empty:
        organic = _organic_co2_tc(organic_draws)
        at = both[["country", "year"]].merge(
            organic.keys.reset_index(), on=["country", "year"], how="left"
        )["index"].to_numpy()  # fmt: skip
        has = ~np.isnan(at)
        organic_tc[has] = organic.values[at[has].astype("int64"), 1 : n_draws + 1]
    with_organic = delta + organic_tc  # the fillna(0.0) of a missing side: + 0.0
    keys = pd.concat([both[["country", "year"]].assign(scope="mineral"),
                      both[["country", "year"]].assign(scope="mineral_and_organic")],
                     ignore_index=True)  # fmt: skip
    changes = np.concatenate([delta, with_organic])
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = PER_MILLE * changes / np.concatenate([previous, previous])
    return keys, changes, rates


def _organic_co2_tc(organic_draws: DrawMatrix) -> DrawMatrix:
    """The organic-soil carbon change [t C yr-1] of every draw, country and year: -(sum of the
    CO2 categories' ``e``) x 12/44. The sum is pandas' grouped sum (compensated, categories in
    their order) over the (categories x draws) matrix: the arithmetic of a grouped sum of the
    long table per draw, country and year."""
    co2 = organic_draws.select((organic_draws.keys["gas"] == "CO2").to_numpy())
    wide = pd.DataFrame(co2.values)
    sums = wide.groupby([co2.keys["country"].rename("country"),
                         co2.keys["year"].rename("year")], sort=True).sum()  # fmt: skip
    tc = -sums * units.conversion_factor("t CO2", "t C")
    return DrawMatrix(sums.index.to_frame(index=False), tc.to_numpy())


def fourp1000_intervals(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                        organic_draws: DrawMatrix | None,
                        mineral_draws: DrawMatrix | None = None) -> pd.DataFrame:  # fmt: skip
    """``table`` (fourp1000_indicators) with the 95 % Monte Carlo intervals of the national
    change and rate of both scopes (:func:`fourp1000_draws`): ``change_ci_low_tc_per_yr``,
    ``change_ci_high_tc_per_yr`` [t C yr-1], ``rate_ci_low_permille_per_yr``,
    ``rate_ci_high_permille_per_yr`` [per mille yr-1]; NULL without draws and on land-use
    rows. Percentiles as pandas' grouped quantile over the draws
    (:func:`inventory.engine.uncertainty.montecarlo.grouped_quantile_intervals`)."""
    out = table.assign(**dict.fromkeys(FOURP1000_INTERVAL_COLUMNS, float("nan")))
    draws = fourp1000_draws(con, organic_draws, mineral_draws)
    if draws is None:
        return out
    keys, changes, rates = draws
    bounds = [*montecarlo.grouped_quantile_intervals(changes),
              *montecarlo.grouped_quantile_intervals(rates)]  # fmt: skip
    national = out["land_use"].eq("all").to_numpy()
    at = out.loc[national, ["country", "year", "scope"]].merge(
        keys.reset_index(), on=["country", "year", "scope"], how="left"
    )["index"].to_numpy()  # fmt: skip
    has = ~np.isnan(at)
    rows = np.flatnonzero(national)[has]
    for column, values in zip(FOURP1000_INTERVAL_COLUMNS, bounds, strict=True):
        filled = out[column].to_numpy(dtype="float64", copy=True)
        filled[rows] = values[at[has].astype("int64")]
        out[column] = filled
    return out


def rewetting_scenario(
    con: duckdb.DuckDBPyConnection,
    organic_soils: pd.DataFrame,
    *,
    rewet_share: float,
    gwp_set: str = organic.DEFAULT_GWP_SET,
) -> pd.DataFrame:
    r"""Avoided emissions [t CO2e yr-1] if a share of each drained organic-soil stratum is rewetted.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``organic_soils``, ``organic_ef`` and ``gwp`` are
        (re)placed.
    organic_soils : pandas.DataFrame
        Columns ``country``, ``year`` [yr], the five organic-soil stratum keys
        (``climate_zone``, ``land_use``, ``drainage``, ``nutrient_status``,
        ``drainage_depth``) and ``area_ha`` [ha].
    rewet_share : float
        Fraction of each drained stratum's area rewetted [0-1].
    gwp_set : {"AR4", "AR5", "AR6"}, default "AR5"
        GWP100 set (:func:`inventory.engine.organic_soils.organic.gwp_table`).

    Returns
    -------
    pandas.DataFrame
        ``rewetting_scenario``, one row per drained stratum (country, year, climate_zone,
        land_use, nutrient_status, drainage_depth): ``area_ha`` [ha drained],
        ``rewetted_area_ha`` [ha], ``drained_co2e_per_ha``, ``rewetted_co2e_per_ha``
        [t CO2e ha-1 yr-1], ``drained_co2e_t``, ``rewetted_co2e_t`` and ``avoided_co2e``
        [t CO2e yr-1; NaN when the stratum has no rewetted factor, e.g. nutrient status not
        stated].

    Raises
    ------
    ValueError
        When ``rewet_share`` is outside [0, 1].
    OrganicFactorError
        For strata without a factor.

    Notes
    -----
    Tier 1 factors of [1]_ on both sides, for the same climate zone, land use, nutrient status
    and drainage depth:

    .. math::

        e_{drained} = \sum_c EF_c \, w_c \, GWP(gas_c), \qquad
        e_{rewetted} = \sum_c EF'_c \, GWP(gas_c)

        avoided = A \, s \, (e_{drained} - e_{rewetted})

    with s = ``rewet_share`` and the area shares w of WS Ch. 2 Eq. 2.6 (1 - Frac_ditch for CH4
    from the land, Frac_ditch for ditches, 1 otherwise); drained EFs from WS Ch. 2 Tables
    2.1-2.5, rewetted EFs from Ch. 3 Tables 3.1-3.3 (no ditch term, N2O = 0). Tier 1 treats the
    site as undrained from the year of rewetting (WS Ch. 3), so there is no transition period.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands (WS), Ch. 2 Eq. 2.6, Tables 2.1-2.5; Ch. 3 Tables 3.1-3.3.
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
    organic_draws: DrawMatrix | None = None,
    mineral_draws: DrawMatrix | None = None,
) -> pd.DataFrame:
    """Organic-soil emissions against mineral-soil sequestration [t CO2e yr-1] per country and year.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``organic_soil_emissions``, ``stock_changes`` and
        ``rewetting_scenario`` are (re)placed.
    organic_soil_emissions : pandas.DataFrame
        Output of :func:`inventory.engine.organic_soils.organic.organic_soil_emissions`:
        ``country``,
        ``year`` [yr], ``co2e_t`` [t CO2e yr-1], ...
    stock_changes : pandas.DataFrame
        Mineral-soil changes: ``country``, ``year`` [yr], ``dCO2_t_per_yr`` [t CO2 yr-1],
        + = emission, ...
    rewetting : pandas.DataFrame, optional
        Output of :func:`rewetting_scenario` (``country``, ``year``, ``avoided_co2e``
        [t CO2e yr-1]); without it the avoided emissions column is 0 (no scenario).
    organic_draws : DrawMatrix, optional
        Monte Carlo draws of the organic-soil categories (keys ``country``, ``year``, ...;
        values ``e`` [t CO2e yr-1]; ``propagation.organic_category_draw_matrix``).
    mineral_draws : DrawMatrix, optional
        Mineral-soil draws (keys ``country``, ``year``, ...; values ``dCO2_t_per_yr``
        [t CO2 yr-1], the numbers of ``stock_change_draws``). Without draws the interval
        columns are NULL. Each side is summed per draw, country and year in its row order
        (:meth:`DrawMatrix.group_sums`) before the SQL reads it.

    Returns
    -------
    pandas.DataFrame
        ``peatland_offsets``, one row per (country, year): ``organic_emissions_co2e``,
        ``mineral_sequestration_co2e`` (+ = sink), ``net_co2e`` (+ = net source),
        ``required_additional_sequestration_co2e``, ``avoided_co2e_if_rewetted``
        [t CO2e yr-1], ``offset_ratio`` [-] and the 95 % Monte Carlo intervals of the organic
        emissions and of ``net_co2e`` [t CO2e yr-1].

    Notes
    -----
    Organic-soil emissions ([1]_, as CO2e) set against mineral-soil net removals (Eq. 2.25 of
    [2]_, as CO2)::

        organic_emissions_co2e     = sum of co2e_t of organic_soil_emissions
        mineral_sequestration_co2e = - sum of dCO2_t_per_yr of stock_changes
        offset_ratio               = mineral_sequestration / organic_emissions
                                     (NULL unless emissions > 0)
        net_co2e                   = organic_emissions - mineral_sequestration
        required_additional_sequestration_co2e = max(net_co2e, 0)
        avoided_co2e_if_rewetted   = sum of avoided_co2e of the rewetting scenario

    A missing side counts as 0 (no organic soils reported, or no mineral-soil change). Mineral
    CO2 and organic CO2e are added as they are (CO2 has GWP 1). This is a project indicator,
    not an IPCC equation.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands, Ch. 2 and 3.
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25.
    """
    if rewetting is None:
        rewetting = pd.DataFrame({
            "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
            "avoided_co2e": pd.Series(dtype="float64"),
        })  # fmt: skip
    sql_models.register(con, {
        "organic_soil_emissions": organic_soil_emissions, "stock_changes": stock_changes,
        "rewetting_scenario": rewetting,
        "peatland_draw_intervals": peatland_draw_intervals(con, organic_draws, mineral_draws),
    })  # fmt: skip
    return sql_models.run_model(con, "peatland_offsets")


PEATLAND_INTERVAL_COLUMNS = ("organic_ci_low_co2e", "organic_ci_high_co2e", "net_ci_low_co2e",
                             "net_ci_high_co2e")  # fmt: skip


def peatland_draw_intervals(
    con: duckdb.DuckDBPyConnection,
    organic_draws: DrawMatrix | None,
    mineral_draws: DrawMatrix | None,
) -> pd.DataFrame:
    r"""95 % Monte Carlo intervals [t CO2e yr-1] of the organic-soil emissions and of
    ``net_co2e`` per country and year (the input ``peatland_draw_intervals`` of
    ``peatland_offsets.sql``; rows with draws 1..N only).

    Notes
    -----
    Per draw k, country and year, :math:`O_k` = the sum of the organic-soil categories and
    :math:`M_k` = - the sum of the mineral-soil categories' dCO2 (each side's categories in
    their order, :meth:`DrawMatrix.group_sums`; a side without the country-year counts 0), and
    :math:`net_k = O_k - M_k` (+ = net source, IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3.2: the same draw
    on both sides). The bounds are the 2.5th and 97.5th percentiles of draws 1..N
    (:func:`inventory.engine.uncertainty.montecarlo.draw_intervals`, DuckDB's
    ``quantile_cont``).
    """
    sides = {}
    for name, draws in (("organic", organic_draws), ("mineral", mineral_draws)):
        if draws is not None and not draws.empty:
            sides[name] = draws.group_sums(["country", "year"])
    empty = pd.DataFrame({"country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
                          **{c: pd.Series(dtype="float64")
                             for c in PEATLAND_INTERVAL_COLUMNS}})  # fmt: skip
    if not sides:
        return empty
    keys = (pd.concat([m.keys[["country", "year"]] for m in sides.values()])
            .drop_duplicates().sort_values(["country", "year"]).reset_index(drop=True))  # fmt: skip
    width = max(m.values.shape[1] for m in sides.values())
    aligned = {}
    for name in ("organic", "mineral"):
        aligned[name] = np.zeros((len(keys), width))  # a missing side counts 0
        if name in sides:
            at = keys.merge(sides[name].keys.reset_index(), on=["country", "year"],
                            how="left")["index"].to_numpy()  # fmt: skip
            has = ~np.isnan(at)
            values = sides[name].values[at[has].astype("int64")]
            aligned[name][has, : values.shape[1]] = values
    organic = aligned["organic"]
    net = organic - (-aligned["mineral"])  # O - M, M = -sum dCO2 (+ = sink)
    with sql_models.one_thread(con):
        organic_low, organic_high, _ = montecarlo.draw_intervals(organic, con, mean=False)
        net_low, net_high, _ = montecarlo.draw_intervals(net, con, overwrite=True, mean=False)
    return keys.assign(**dict(zip(PEATLAND_INTERVAL_COLUMNS,
                                  (organic_low, organic_high, net_low, net_high),
                                  strict=True)))  # fmt: skip


def unfccc_categories() -> pd.DataFrame:
    """UNFCCC CRT sector 4 category code (4.A-4.F) of each land use.

    Returns
    -------
    pandas.DataFrame
        Columns ``land_use`` and ``category_code``, from
        ``inventory.core.vocab.UNFCCC_CATEGORY``, sorted by land use.
    """
    return pd.DataFrame(
        sorted(vocab.UNFCCC_CATEGORY.items()), columns=["land_use", "category_code"]
    )


def unfccc_tables(
    con: duckdb.DuckDBPyConnection,
    stock_changes: pd.DataFrame,
    organic_soil_emissions: pd.DataFrame,
    soc_loss_n2o: pd.DataFrame | None = None,
    *,
    native_land_use: str = NATIVE_LAND_USE,
) -> pd.DataFrame:
    """CRT-style soil rows (4.A-4.F x total/remaining/converted x year) with notation keys.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``stock_changes``, ``organic_soil_emissions`` and
        ``unfccc_categories`` are (re)placed.
    stock_changes : pandas.DataFrame
        Mineral-soil changes: ``country``, ``year`` [yr], ``land_use``, ``land_use_category``,
        ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1], + = removal, ``dCO2_t_per_yr``
        [t CO2 yr-1], + = emission.
    organic_soil_emissions : pandas.DataFrame
        Output of :func:`inventory.engine.organic_soils.organic.organic_soil_emissions`
        (``country``,
        ``year``, ``land_use``, ``area_ha`` [ha], ``gas``, ``component``, ``emission``
        [t gas yr-1]).
    soc_loss_n2o : pandas.DataFrame, optional
        :func:`inventory.engine.mineral_soils.nitrogen.soc_loss_n2o` output (``country``, ``year``,
        ``land_use``, ``land_use_category``, ``n2o_t`` [t N2O yr-1]); without it the N2O from
        soil carbon loss is NE.
    native_land_use : {"grassland", "forest_land"}, default "grassland"
        IPCC land category under which land coded ``native`` (unmanaged land at the reference
        condition) is reported.

    Returns
    -------
    pandas.DataFrame
        ``unfccc_tables``, one row per (country, year, category_code): ``area_mineral_ha``
        [ha], ``mineral_dc_tc_per_yr`` [t C yr-1], ``area_organic_ha`` [ha],
        ``organic_dc_tc_per_yr`` [t C yr-1], ``organic_ch4_t``, ``organic_n2o_t``
        [t gas yr-1], ``co2_t`` [t CO2 yr-1, + = emission, UNFCCC sign], ``mineral_n2o_t``
        [t N2O yr-1, LULUCF 4(III)], each with a ``*_notation`` column (NULL when the value is
        present), and ``notation_explanation`` (where an IE value is reported).

    Notes
    -----
    Reporting of results already computed, no new estimation:

    * mineral soils: area and net carbon stock change of Eq. 2.25 [1]_ (+ = gain of carbon);
    * organic soils: net carbon stock change = -(on-site CO2 + DOC CO2) x 12/44 (WS Ch. 2
      Tables 2.1/2.2, Ch. 3 Tables 3.1/3.2 [2]_; - = loss), plus CH4 (land + ditch) and N2O
      of the same areas;
    * ``co2_t`` = mineral dCO2 + organic CO2 [t CO2 yr-1];
    * N2O of drained organic soils of cropland and grassland and the F_SOM N2O of cropland
      remaining cropland are reported in Agriculture 3.D
      (:func:`inventory.engine.mineral_soils.nitrogen.agriculture_n2o`) and are IE here;
    * land coded ``native`` is reported under ``native_land_use``, so that the 4.A-4.F areas
      add up to the country's land area.

    Rows: every land use (4.A-4.F) x {total, ``<lu>_remaining_<lu>`` (.1),
    ``land_converted_to_<lu>`` (.2)} x each country-year with data. Notation keys [3]_ fill
    the ``*_notation`` column whenever the value is NULL: NO (not occurring: no row or area 0),
    NE (not estimated: area > 0 but no estimate), IE (included elsewhere: organic soils are
    estimated per land use only, so they appear in the land-use total row) and NA (not
    applicable: other land remaining other land when absent; IPCC 2006 Vol.4 Ch.9 gives no
    method for unmanaged land; recalled, verify against the text).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25.
    .. [2] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands (WS), Ch. 2 Tables 2.1/2.2, Ch. 3 Tables 3.1/3.2.
    .. [3] UNFCCC decision 18/CMA.1, annex, para. 31 (notation keys).
    """
    if native_land_use not in NATIVE_CATEGORIES:
        raise ValueError(f"native land is reported as one of {NATIVE_CATEGORIES}")
    if soc_loss_n2o is None:
        soc_loss_n2o = pd.DataFrame({
            "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
            "land_use": pd.Series(dtype="str"), "land_use_category": pd.Series(dtype="str"),
            "n2o_t": pd.Series(dtype="float64"),
        })  # fmt: skip
    sql_models.register(con, {
        "stock_changes": stock_changes, "organic_soil_emissions": organic_soil_emissions,
        "unfccc_categories": unfccc_categories(), "soc_loss_n2o": soc_loss_n2o,
    })  # fmt: skip
    params = {
        "c_per_co2": units.conversion_factor("t CO2", "t C"), "native_land_use": native_land_use,
    }  # fmt: skip
    return sql_models.run_model(con, "unfccc_tables", params)
