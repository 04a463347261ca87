"""Uncertainty (IPCC 2006 Vol.1 Ch.3): Approach 1 propagation, Monte Carlo trend, Table 3.2.

Hand-computed cases, no Prefect. Numbers are t CO2e per year (+ = emission).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory.core import units
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral
from inventory.engine.options import EngineOptions
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import propagation
from inventory.engine.uncertainty.draw_matrix import DrawMatrix

# Table 3.2 example: categories P (mineral soils) and Q (organic soils), base year 2000, year
# 2010; each category's emissions proportional to one parameter (c_f = E): U_P = 10 %,
# U_Q = 20 %.
P = {"category": "cropland_remaining_cropland", "gas": "CO2", "land_use": "cropland",
     "source": "mineral_soils", "e": {2000: 100.0, 2010: 150.0}, "u": 10.0}  # fmt: skip
Q = {"category": "organic_soils_grassland", "gas": "CO2", "land_use": "grassland",
     "source": "organic_soils", "e": {2000: 50.0, 2010: 40.0}, "u": 20.0}  # fmt: skip


def _table_3_2(q_base: float | None = None, mc: bool = False, q_u: float = Q["u"]) -> pd.DataFrame:
    q = Q if q_base is None else {**Q, "e": {**Q["e"], 2000: q_base}}
    rows = [{"country": "KEN", "year": y, "category": c["category"], "gas": c["gas"],
             "land_use": c["land_use"], "source": c["source"], "emissions_co2e_t": e}
            for c in (P, q) for y, e in c["e"].items()]  # fmt: skip
    emissions = pd.DataFrame(rows)
    contributions = emissions.assign(factor=emissions["category"] + "_f",
                                     uncertainty_pct=[P["u"]] * 2 + [q_u] * 2)  # fmt: skip
    contributions = contributions.rename(columns={"emissions_co2e_t": "contribution_co2e_t"})
    mineral_rows = emissions[emissions["source"] == "mineral_soils"]
    draws = mineral_rows.assign(draw=0, land_use_category=mineral_rows["category"],
                                dCO2_t_per_yr=mineral_rows["emissions_co2e_t"])  # fmt: skip
    if mc:  # draws 1..5 of P: 100 in 2000, 150 + 10 (k - 3) in 2010
        sampled = [draws.assign(draw=k, dCO2_t_per_yr=draws["dCO2_t_per_yr"].where(
            draws["year"] == 2000, 150.0 + 10 * (k - 3))) for k in range(1, 6)]  # fmt: skip
        draws = pd.concat([draws, *sampled], ignore_index=True)
    organic = emissions[emissions["source"] == "organic_soils"]  # Q held at its value
    organic_draws = pd.concat(
        [organic.assign(draw=k) for k in range(6 if mc else 1)], ignore_index=True
    ).rename(columns={"emissions_co2e_t": "e"})[["draw", "country", "year", "category", "gas", "e"]]
    con = sql_models.connect()
    sql_models.register(con, {
        "soil_category_emissions": emissions,
        "uncertainty_contributions": contributions[
            ["country", "year", "category", "gas", "factor", "uncertainty_pct",
             "contribution_co2e_t"]],
        "stock_change_draws": draws, "organic_emission_draws": organic_draws,
    })  # fmt: skip
    propagation.register_draw_intervals(con, base_year=2000)  # the Monte Carlo columns' input
    return sql_models.run_model(con, "uncertainty_analysis", {
        "base_year": 2000, "type_a_step": propagation.TYPE_A_STEP,
        "ad_uncertainty_pct": propagation.ACTIVITY_DATA_UNCERTAINTY_PCT,
        "table_3_2_max_uncertainty_pct": propagation.TABLE_3_2_MAX_UNCERTAINTY_PCT,
    }).set_index(["year", "category"])  # fmt: skip


def test_table_3_2_sensitivities_and_trend_uncertainty():
    table = _table_3_2()
    p, q, total = (table.loc[(2010, c)] for c in (P["category"], Q["category"], "soils_total"))
    # SC = 100 + 50 = 150, SD = 150 + 40 = 190; trend (190 - 150) / 150 = 26.667 %
    assert total["trend_pct"] == pytest.approx(40 / 150 * 100)
    # I_P = [(0.01 x 150 + 190 - (0.01 x 100 + 150)) / (0.01 x 100 + 150) - 40 / 150] x 100
    #     = [40.5 / 151 - 0.266667] x 100 = 0.154525
    i_p = (40.5 / 151 - 40 / 150) * 100
    # I_Q = [(0.01 x 40 + 190 - (0.01 x 50 + 150)) / (0.01 x 50 + 150) - 40 / 150] x 100
    #     = [39.9 / 150.5 - 0.266667] x 100 = -0.155039
    i_q = (39.9 / 150.5 - 40 / 150) * 100
    assert p["type_a_sensitivity"] == pytest.approx(i_p)
    assert q["type_a_sensitivity"] == pytest.approx(i_q)
    # J = |D_x| / |SC|: 150 / 150 = 1, 40 / 150 = 0.266667
    assert (p["type_b_sensitivity"], q["type_b_sensitivity"]) == pytest.approx((1.0, 40 / 150))
    # K = |I| x F: 0.154525 x 10 = 1.545, 0.155039 x 20 = 3.101; L = J x E x sqrt(2) = 0 (E = 0)
    assert p["trend_u_parameters_pct"] == pytest.approx(abs(i_p) * 10)
    assert q["trend_u_parameters_pct"] == pytest.approx(abs(i_q) * 20)
    assert p["trend_u_activity_pct"] == 0.0
    # total: sqrt(1.545^2 + 3.101^2) = 3.4645 % points
    expected = math.sqrt((i_p * 10) ** 2 + (i_q * 20) ** 2)
    assert total["trend_a1_uncertainty_pct"] == pytest.approx(expected)
    assert expected == pytest.approx(3.4645, abs=1e-4)
    assert math.isnan(p["trend_a1_uncertainty_pct"])  # reported for the totals only
    # one category alone: its fully correlated parameter cancels in the trend, I = 0
    assert table.loc[(2010, "mineral_soils_total"), "trend_a1_uncertainty_pct"] == pytest.approx(
        0.0, abs=1e-12
    )


def test_approach_1_of_the_total_eq_3_2():
    total = _table_3_2().loc[(2010, "soils_total")]
    # sqrt((10 % x 150)^2 + (20 % x 40)^2) = sqrt(15^2 + 8^2) = 17 t CO2e; 17 / 190 = 8.947 %
    assert total["a1_uncertainty_pct"] == pytest.approx(17 / 190 * 100)
    assert (total["a1_ci_low"], total["a1_ci_high"]) == pytest.approx((173.0, 207.0))


def _conversion_areas(years=(2000, 2001)) -> pd.DataFrame:
    """100 ha of grassland (nominal) in 2000, cropland (full tillage, medium) from 2001."""
    uses = {2000: ("grassland", "nominal", "not_applicable")}
    rows = [{"country": "IRL", "year": y, "climate_zone": "cool_temperate_moist",
             "soil_class": "hac", "land_use": uses.get(y, ("cropland",))[0],
             "management": uses.get(y, (None, "full_tillage"))[1],
             "input": uses.get(y, (None, None, "medium"))[2], "area_ha": 100.0}
            for y in years]  # fmt: skip
    return pd.DataFrame(rows)


def _organic_cropland(years=(2000, 2001), area_ha: float = 100.0) -> pd.DataFrame:
    """100 ha of drained organic cropland, cool temperate moist (WS Ch.2 Tables 2.1-2.5)."""
    return pd.DataFrame([{"country": "IRL", "year": y, "climate_zone": "cool_temperate_moist",
                          "land_use": "cropland", "drainage": "drained",
                          "nutrient_status": "not_applicable",
                          "drainage_depth": "not_applicable", "area_ha": area_ha}
                         for y in years])  # fmt: skip


def _analysis(
    areas: pd.DataFrame, *, draws: int, base_year: int, organic_soils: pd.DataFrame | None = None
) -> pd.DataFrame:
    con = sql_models.connect()
    mineral.compute_mineral_inventory(
        areas, factors.factor_table("2019"), EngineOptions(mc_draws=draws, seed=7), con=con
    )
    params = {"transition_years": 20, "c_to_co2": units.carbon_to_co2(1.0), "first_year": None,
              "last_year": None}  # fmt: skip
    empty = organic.organic_soil_emissions(con, pd.DataFrame({
        "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
        **{k: pd.Series(dtype="str") for k in ("climate_zone", "land_use", "drainage",
                                                "nutrient_status", "drainage_depth")},
        "area_ha": pd.Series(dtype="float64")}))  # fmt: skip
    if organic_soils is not None:
        empty = organic.organic_soil_emissions(con, organic_soils)
    result = propagation.uncertainty_analysis(
        con, engine="stratum", params=params, base_year=base_year, organic_emissions=empty, seed=7
    )
    return result.set_index(["year", "category"])


def test_approach_1_groups_strata_sharing_soc_ref():
    # 2019 defaults: SOC_REF 81 t C/ha +/- 5 % (shared by both strata), cropland F_LU 0.70
    # +/- 12 %; grassland factors and full tillage / medium input have no uncertainty.
    # 2001: dC = 100 x 81 x (0.70 - 1) / 20 = -121.5 t C/yr -> dCO2 = 121.5 x 44/12 = 445.5
    # c_SOC_REF = 445.5 (the whole change scales with SOC_REF);
    # c_F_LU = dCO2(F_LU doubled) - dCO2 = -(100 x 81 x 1.4 - 8100) / 20 x 44/12 - 445.5 = -1039.5
    # U = sqrt((5 x 445.5)^2 + (12 x 1039.5)^2) / 445.5 = 28.443 %
    row = _analysis(_conversion_areas(), draws=0, base_year=2000).loc[
        (2001, "land_converted_to_cropland")
    ]
    assert row["emissions_co2e_t"] == pytest.approx(445.5)
    expected = math.sqrt((5 * 445.5) ** 2 + (12 * 1039.5) ** 2) / 445.5  # U in %
    assert row["a1_uncertainty_pct"] == pytest.approx(expected)
    assert expected == pytest.approx(28.443, abs=1e-3)


def test_approach_1_carries_the_area_uncertainty_of_each_stratum():
    # The case above with area uncertainties: the 2001 cropland stratum +/- 10 %, the 2000
    # grassland stratum +/- 20 %. dC(2001) = (A_c p_c - A_g p_g) / 20 with p_c = 81 x 0.70 =
    # 56.7 and p_g = 81 t C/ha: A_c p_c / 20 = 283.5 and A_g p_g / 20 = 405 t C/yr, so in CO2
    # (dCO2 = -dC x 44/12) c_A,crop = -283.5 x 44/12 = -1039.5 and c_A,grass = 405 x 44/12 =
    # 1485 t CO2/yr. U = sqrt((5 x 445.5)^2 + (12 x 1039.5)^2 + (10 x 1039.5)^2
    # + (20 x 1485)^2) / 445.5 = 76.14 %; without areas it was 28.443 %.
    areas = _conversion_areas().assign(area_uncertainty_pct=[20.0, 10.0])
    row = _analysis(areas, draws=0, base_year=2000).loc[(2001, "land_converted_to_cropland")]
    assert row["emissions_co2e_t"] == pytest.approx(445.5)
    expected = math.sqrt((5 * 445.5) ** 2 + (12 * 1039.5) ** 2 + (10 * 1039.5) ** 2
                         + (20 * 1485.0) ** 2) / 445.5  # fmt: skip
    assert row["a1_uncertainty_pct"] == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(76.14, abs=0.01)


def test_monte_carlo_next_to_approach_1():
    row = _analysis(_conversion_areas(), draws=4000, base_year=2000).loc[
        (2001, "land_converted_to_cropland")
    ]
    # the change is nearly linear in the factors: both half-widths agree within sampling noise
    assert row["mc_uncertainty_pct"] == pytest.approx(row["a1_uncertainty_pct"], rel=0.1)
    assert row["mc_draws"] == 4000


def test_trend_uses_the_same_draws_in_both_years():
    # 2001 and 2002 both carry the same conversion (within D = 20 years): -121.5 t C/yr, so
    # with the same draw in both years every draw's trend is exactly 0 %; independent draws
    # for the two years would give a wide interval.
    table = _analysis(_conversion_areas((2000, 2001, 2002)), draws=200, base_year=2001)
    row = table.loc[(2002, "land_converted_to_cropland")]
    assert row["trend_pct"] == 0.0
    assert row["trend_mc_low_pct"] == pytest.approx(0.0, abs=1e-9)
    assert row["trend_mc_high_pct"] == pytest.approx(0.0, abs=1e-9)
    assert row["mc_uncertainty_pct"] > 20  # while the level itself is uncertain


def test_sensitivity_draws_perturb_one_source_row_each():
    """One draw per uncertain source row, the row (and every factor from it) at mean x (1 + h);
    the parameters carry the rows' printed +/- %: 2019 SOC_REF cool temperate moist HAC 81
    +/- 5 %, F_LU cropland 0.70 +/- 12 %; rows without uncertainty are not parameters."""
    from inventory.engine.uncertainty import montecarlo as draws_module

    con = sql_models.connect()
    inventory = mineral.compute_mineral_inventory(
        _conversion_areas(), factors.factor_table("2019"), EngineOptions(mc_draws=0), con=con
    )
    stratum_factors = inventory.stratum_factors
    draws, parameters = draws_module.sensitivity_factor_draws(stratum_factors)
    h = draws_module.SENSITIVITY_STEP
    table = draws.pivot(index="draw", columns="factor_id", values="value")
    values = stratum_factors.drop_duplicates("factor_id").set_index("factor_id")["value"]
    assert table.loc[0].to_dict() == pytest.approx(values.to_dict())  # draw 0: table values
    assert sorted(parameters["uncertainty_pct"].round(9)) == [5.0, 12.0]
    for draw in parameters["draw"]:
        ratio = table.loc[draw] / table.loc[0]
        changed = ratio[ratio != 1.0]
        assert len(changed) == 1 and changed.iloc[0] == pytest.approx(1 + h, rel=1e-12)


@pytest.mark.parametrize("country", ["KEN", "IRL"])
def test_uncertainty_analysis_is_reproducible_bit_for_bit(tmp_path, country):
    """Two runs of an example give every table to the last bit (IRL: fourp1000_indicators'
    sums followed the threads' schedule in 3 rows until they ran on one thread).

    The forward differences (E(f (1 + 2^-20)) - E(f)) x 2^20 and the Table 3.2 type A
    sensitivity difference sums of nearly equal size; summed on several DuckDB threads their
    last bits followed the threads' schedule (two runs differed by up to 6e-8 relative in
    type_a_sensitivity and trend_u_parameters_pct), so they run on one thread.
    """
    from pathlib import Path

    from inventory.engine.run import RunParameters, compute_country
    from inventory.harmonise import store
    from inventory.intake.submission import read_submission
    from inventory.lake.zones import Lake
    from inventory.validation.validate import validate_submission

    lake = Lake.at(tmp_path)
    package = Path(__file__).resolve().parents[1] / "examples" / country
    validation = validate_submission(read_submission(package))
    assert store.file_outcome(lake, country, f"sub-{country}", validation)["accepted"]
    params = RunParameters(mc_draws=20)
    first, second = (compute_country(lake, country, params).tables for _ in range(2))
    assert len(first["uncertainty_analysis"]) > 100
    # the mineral-soil areas are fractional (the organic area taken out pro rata) and so are
    # the Tier 2 stocks: their sums run on one thread (area groups, Tier 2 means, D-year
    # weights, draws, key categories), so every table is the same to the last bit (two runs
    # differed in 20 % of emissions_co2e_t, in soc_ref and in key-category shares before)
    assert sorted(first) == sorted(second)
    for table in sorted(first):
        pd.testing.assert_frame_equal(first[table], second[table], check_exact=True, obj=table)


def test_monte_carlo_trend_is_the_primary_figure():
    # P's draws: trend (E_2010 - 100) / 100 = 30, 40, 50, 60, 70 %; quantile_cont over 5 values:
    # 2.5 %: position 0.025 x 4 = 0.1 -> 31 %; 97.5 %: position 3.9 -> 69 %; half-width 19
    table = _table_3_2(mc=True)
    for category in (P["category"], "mineral_soils_total"):
        row = table.loc[(2010, category)]
        assert (row["trend_mc_low_pct"], row["trend_mc_high_pct"]) == pytest.approx((31.0, 69.0))
        assert row["trend_uncertainty_pct"] == pytest.approx(19.0)
        assert row["trend_uncertainty_source"] == "monte_carlo"
    # soils_total, draw by draw P + Q (Q held at 50 and 40): trend (40 + 10 (k - 3)) / 150 =
    # 13.333, 20, 26.667, 33.333, 40 %; 2.5 %: 13.333 + 0.1 x 6.667 = 14; 97.5 %: 33.333 + 0.9
    # x 6.667 = 39.333; half-width 12.667 % points, the primary figure beside Table 3.2's
    # 3.4645, whose assumptions hold (base 150 +/- sqrt(10^2 + 10^2) = 14.1, year 190 +/- 17)
    total = table.loc[(2010, "soils_total")]
    assert (total["trend_mc_low_pct"], total["trend_mc_high_pct"]) == pytest.approx(
        (14.0, 39.0 + 1 / 3)
    )
    assert total["trend_uncertainty_pct"] == pytest.approx(12.0 + 2 / 3)
    assert total["trend_uncertainty_source"] == "monte_carlo"
    assert total["trend_a1_uncertainty_pct"] == pytest.approx(3.4645, abs=1e-4)
    assert total["table_3_2_valid"]
    # without draws Table 3.2 is the figure
    plain = _table_3_2().loc[(2010, "soils_total")]
    assert plain["trend_uncertainty_source"] == "table_3_2"
    assert plain["trend_uncertainty_pct"] == pytest.approx(3.4645, abs=1e-4)
    assert table.loc[(2010, P["category"]), "table_3_2_failure"] is None


def test_table_3_2_flagged_when_the_base_year_interval_spans_zero():
    # Q in 2000 a removal of -90 (U 20 %): base total SC = 100 - 90 = 10 t CO2e with an Approach
    # 1 half-width sqrt((10 % x 100)^2 + (20 % x 90)^2) = sqrt(100 + 324) = 20.6 >= 10: the
    # base-year interval [-10.6, 30.6] spans zero, so the first-order Table 3.2 does not hold.
    table = _table_3_2(q_base=-90.0)
    total = table.loc[(2010, "soils_total")]
    assert total["base_emissions_co2e_t"] == pytest.approx(10.0)
    assert not total["table_3_2_valid"]
    assert total["table_3_2_failure"] == "base_interval_spans_zero"
    for category in (P["category"], Q["category"]):  # categories: against soils_total's base
        assert not table.loc[(2010, category), "table_3_2_valid"]
        assert table.loc[(2010, category), "table_3_2_failure"] == "base_interval_spans_zero"
    # mineral_soils_total alone (P: base 100 +/- 10, year 150 +/- 15) keeps a valid Table 3.2
    assert table.loc[(2010, "mineral_soils_total"), "table_3_2_valid"]


def test_table_3_2_flagged_above_the_approach_1_range():
    # range: 0.3 (sd / mean) x 1.96 = 58.8 %. Q at U = 80 % is above it: Q's rows are flagged.
    # soils_total stays within it: base 150 +/- sqrt((10 % x 100)^2 + (80 % x 50)^2) = 41.2
    # (27.5 %), year 190 +/- sqrt(15^2 + 32^2) = 35.3 (18.6 %): valid.
    assert propagation.TABLE_3_2_MAX_UNCERTAINTY_PCT == pytest.approx(58.799, abs=1e-3)
    table = _table_3_2(q_u=80.0)
    q = table.loc[(2010, Q["category"])]
    assert not q["table_3_2_valid"] and q["table_3_2_failure"] == "uncertainty_above_range"
    assert table.loc[(2010, P["category"]), "table_3_2_valid"]
    assert table.loc[(2010, "soils_total"), "a1_uncertainty_pct"] == pytest.approx(
        math.sqrt(15**2 + 32**2) / 190 * 100
    )  # 18.6 %
    assert table.loc[(2010, "soils_total"), "table_3_2_valid"]


def test_two_piece_normal_reproduces_the_printed_interval():
    # WS Ch.2 Table 2.1, cropland drained, temperate: 7.9 (6.5-9.4) t CO2-C/ha/yr x 44/12 =
    # 28.9667 (23.8333-34.4667) t CO2/ha/yr: the 2.5th / 97.5th percentiles of the draws are the
    # printed bounds (MC error of a tail percentile at 100 000 draws ~0.02, tolerance 0.1)
    from inventory.engine.uncertainty import montecarlo

    specs = pd.DataFrame({"key": ["on_site"], "value": [7.9 * 44 / 12],
                          "ci_low": [6.5 * 44 / 12], "ci_high": [9.4 * 44 / 12]})  # fmt: skip
    values = montecarlo.two_piece_normal_draws(specs, n_draws=100_000, seed=3)[:, 0]
    assert values[0] == 7.9 * 44 / 12  # draw 0: the printed value
    low, high = np.quantile(values[1:], [0.025, 0.975])
    assert low == pytest.approx(23.8333, abs=0.1) and high == pytest.approx(34.4667, abs=0.1)
    assert np.median(values[1:]) == pytest.approx(28.9667, abs=0.05)


def test_organic_emission_interval_is_that_of_its_factor():
    # N2O of 100 ha drained organic cropland: WS Ch.2 Table 2.5 EF 13 (8.2-18) kg N2O-N/ha/yr;
    # x 44/28 / 1000 x 100 ha x GWP 265 (AR5) = 541.36 t CO2e (341.47-749.57), one factor:
    # the category's interval is the factor's (MC tolerance 2 %, 20 000 draws)
    from inventory.engine.organic_soils import organic as organic_module

    con = sql_models.connect()
    emissions = organic_module.organic_soil_emissions(con, _organic_cropland())
    draws = propagation.organic_category_draws(emissions, n_draws=20_000, seed=5)
    n2o = draws[(draws["year"] == 2001) & (draws["gas"] == "N2O")]
    assert set(n2o["category"]) == {"organic_soils_cropland"}
    per_t = 100 * 44 / 28 / 1000 * 265
    assert n2o.loc[n2o["draw"] == 0, "e"].item() == pytest.approx(13 * per_t)  # 541.36
    low, high = np.quantile(n2o.loc[n2o["draw"] > 0, "e"], [0.025, 0.975])
    assert low == pytest.approx(8.2 * per_t, rel=0.02)  # 341.47
    assert high == pytest.approx(18 * per_t, rel=0.02)  # 749.57
    # draw 0 of every category and gas = the published emissions
    published = emissions.groupby(["year", "gas"])["co2e_t"].sum()
    central = draws[draws["draw"] == 0].groupby(["year", "gas"])["e"].sum()
    assert central.to_dict() == pytest.approx(published.to_dict(), rel=1e-12)
    # the same factor row in both years is one draw: the years move together
    both = draws[draws["gas"] == "N2O"]
    by_year = both.pivot(index="draw", columns="year", values="e")
    assert np.array_equal(by_year[2000].to_numpy(), by_year[2001].to_numpy())


def test_organic_categories_and_soils_total_carry_monte_carlo_intervals():
    table = _analysis(
        _conversion_areas(), draws=400, base_year=2000, organic_soils=_organic_cropland()
    )
    for category in ("organic_soils_cropland", "soils_total"):
        rows = table.loc[(2001, category)]
        rows = rows if isinstance(rows, pd.DataFrame) else rows.to_frame().T
        assert (rows["mc_draws"] == 400).all()
        assert (rows["mc_ci_low"] < rows["emissions_co2e_t"]).all()
        assert (rows["mc_ci_high"] > rows["emissions_co2e_t"]).all()
    n2o = table.loc[(2001, "organic_soils_cropland")].set_index("gas").loc["N2O"]
    # 341.47-749.57 t CO2e (above), within the MC error of 400 draws (10 %)
    assert n2o["mc_ci_low"] == pytest.approx(341.47, rel=0.1)
    assert n2o["mc_ci_high"] == pytest.approx(749.57, rel=0.1)


# The Monte Carlo part of uncertainty_analysis.sql before it moved to draw_interval_table
# (c512e6f): the reference the matrices must equal to the bit.
_DRAW_SQL = """
WITH draw_rows AS (
    SELECT draw, country, year, land_use_category AS category, 'CO2' AS gas,
        sum(dCO2_t_per_yr) AS e
    FROM stock_change_draws GROUP BY ALL
    UNION ALL
    SELECT draw, country, year, 'mineral_soils_total', 'CO2', sum(dCO2_t_per_yr)
    FROM stock_change_draws GROUP BY ALL
    UNION ALL
    SELECT draw, country, year, category, gas, sum(e) FROM organic_emission_draws GROUP BY ALL
    UNION ALL
    SELECT draw, country, year, 'soils_total', 'CO2e', sum(e)
    FROM (SELECT draw, country, year, dCO2_t_per_yr AS e FROM stock_change_draws
          UNION ALL SELECT draw, country, year, e FROM organic_emission_draws)
    GROUP BY ALL
),
monte_carlo AS (
    SELECT country, year, category, gas, quantile_cont(e, 0.025) AS mc_ci_low,
        quantile_cont(e, 0.975) AS mc_ci_high, count(*) AS mc_draws
    FROM draw_rows WHERE draw > 0 GROUP BY ALL
),
trend AS (
    SELECT d.country, d.year, d.category, d.gas,
        quantile_cont((d.e - b.e) / abs(b.e) * 100, 0.025) AS trend_mc_low_pct,
        quantile_cont((d.e - b.e) / abs(b.e) * 100, 0.975) AS trend_mc_high_pct
    FROM draw_rows AS d
    JOIN draw_rows AS b ON b.draw = d.draw AND b.country = d.country
        AND b.category = d.category AND b.gas = d.gas AND b.year = $base_year
    WHERE d.draw > 0 AND b.e <> 0
    GROUP BY ALL
)
SELECT * FROM monte_carlo LEFT JOIN trend USING (country, year, category, gas)
ORDER BY country, year, category, gas
"""


def _random_draws(n: int, *, gaps: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long mineral and organic draws: several land uses per category, base-year draws at 0,
    an organic-only year, and (``gaps``) a category missing in some draws."""
    rng = np.random.default_rng(7)
    years = [2000, 2001, 2002]
    mineral = pd.DataFrame([
        {"draw": k, "country": "KEN", "year": y, "land_use": lu, "land_use_category": cat,
         "dCO2_t_per_yr": float(rng.normal(100.0, 30.0))}
        for k in range(n + 1) for y in years
        for lu, cat in (("cropland", "cropland_remaining_cropland"),
                        ("grassland", "land_converted_to_cropland"),
                        ("settlements", "land_converted_to_cropland"),
                        ("forest", "forest_land_remaining_forest_land"))
        if not (gaps and cat == "forest_land_remaining_forest_land" and k % 7 == 3)
    ])  # fmt: skip
    base_zero = (mineral["year"] == 2000) & (mineral["land_use"] == "cropland")
    mineral.loc[base_zero & (mineral["draw"] % 5 == 1), "dCO2_t_per_yr"] = 0.0
    mineral = mineral.astype({"draw": "int32"})
    organic = pd.DataFrame([
        {"draw": k, "country": "KEN", "year": y, "category": c, "gas": g,
         "e": float(rng.normal(50.0, 20.0))}
        for k in range(n + 1) for y in [*years, 2003]
        for c, g in (("organic_soils_cropland", "CO2"), ("organic_soils_cropland", "CH4"),
                     ("organic_soils_grassland", "N2O"))
    ]).astype({"draw": "int32"})  # fmt: skip
    return mineral, organic


def _assert_same_bits(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    got = got.sort_values(["country", "year", "category", "gas"], ignore_index=True)
    assert len(got) == len(expected)
    for column in expected.columns:
        u, v = expected[column], got[column]
        if pd.api.types.is_float_dtype(u):
            a = u.to_numpy(dtype="float64", na_value=np.nan)
            b = v.to_numpy(dtype="float64", na_value=np.nan)
            assert np.array_equal(a.view("int64"), b.view("int64")), column
        else:
            assert list(u.astype(object)) == list(v.astype(object)), column


def test_draw_intervals_equal_the_sql_to_the_bit():
    """Several land uses per category, a category missing in some draws, base-year draws at 0
    (left out of the trend), an organic-only year: intervals and trend intervals as the SQL's
    grouped sums, self-join and quantile_cont, to the last bit; the organic draws read from
    the table or given as a matrix."""
    n = 40
    mineral, organic = _random_draws(n, gaps=True)
    con = sql_models.connect(threads=1)
    sql_models.register(con, {"stock_change_draws": mineral, "organic_emission_draws": organic})
    expected = con.execute(_DRAW_SQL, {"base_year": 2000}).df()
    matrix = DrawMatrix.from_long(organic, propagation.DRAW_INTERVAL_KEYS, "e")
    for frame in (None, matrix):
        got = propagation.draw_interval_table(con, base_year=2000, organic_draws=frame)
        _assert_same_bits(expected, got)
    partial = got.set_index(["year", "category"])
    assert partial.loc[(2001, "forest_land_remaining_forest_land"), "mc_draws"] < n
    assert partial.loc[(2003, "soils_total"), "mc_draws"] == n  # organic only that year


def test_draw_intervals_from_matrices_equal_the_sql_to_the_bit():
    """Both sides given as (quantities x draws) matrices (an Approach 1 run): the same bits as
    the SQL over the long tables, categories of one land-use category added in their order."""
    n = 40
    mineral, organic = _random_draws(n, gaps=False)
    con = sql_models.connect(threads=1)
    sql_models.register(con, {"stock_change_draws": mineral, "organic_emission_draws": organic})
    expected = con.execute(_DRAW_SQL, {"base_year": 2000}).df()
    con.execute("DROP VIEW stock_change_draws")  # the matrices are read, not the tables
    con.execute("DROP VIEW organic_emission_draws")
    got = propagation.draw_interval_table(
        con, base_year=2000,
        organic_draws=DrawMatrix.from_long(organic, propagation.DRAW_INTERVAL_KEYS, "e"),
        mineral_draws=DrawMatrix.from_long(
            mineral, ["country", "year", "land_use", "land_use_category"], "dCO2_t_per_yr"),
    )  # fmt: skip
    _assert_same_bits(expected, got)
    assert set(got["mc_draws"]) == {n}
