"""Hand-computed cases for the reporting SQL: 4p1000, rewetting, peatland offsets, CRT tables.

Tiny input tables, arithmetic in comments. Organic-soil factors as in tests/test_organic.py
(IPCC 2014 Wetlands Supplement Ch.2/3; worked examples of inventory/data/ipcc/README.md).
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from inventory.core import units
from inventory.engine import sql_models
from inventory.engine.mineral_soils import nitrogen
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import indicators
from inventory.engine.uncertainty.draw_matrix import DrawMatrix

C_TO_CO2 = 44 / 12  # hand arithmetic only
# Worked examples 1 and 2 (AR4), t CO2e/ha/yr, unrounded (see tests/test_organic.py):
EX1_DRAINED, EX1_REWETTED = 29.179526, 9.913333  # temperate grassland, nutrient-rich, deep
EX2_DRAINED, EX2_REWETTED = 1.765940, 0.413333  # boreal forest, nutrient-poor


def _stock_changes(rows) -> pd.DataFrame:
    """rows: (country, year, land_use, land_use_category, area_ha, dC t C/yr or None)."""
    frame = pd.DataFrame(
        rows, columns=["country", "year", "land_use", "land_use_category", "area_ha",
                       "dC_tc_per_yr"])  # fmt: skip
    frame["dC_tc_per_yr"] = frame["dC_tc_per_yr"].astype("float64")
    frame["dCO2_t_per_yr"] = -units.carbon_to_co2(frame["dC_tc_per_yr"])
    frame["ci_low"] = frame["ci_high"] = math.nan
    return frame


def _row(frame: pd.DataFrame, **keys) -> pd.Series:
    mask = pd.concat([frame[k] == v for k, v in keys.items()], axis=1).all(axis=1)
    assert mask.sum() == 1, keys
    return frame[mask].iloc[0]


# ---------------------------------------------------------------- 4p1000
def _inventory_stocks(rows) -> pd.DataFrame:
    """rows: (year, land_use, S(y), S(y-1), dC, area, prev_area, converted_area)."""
    frame = pd.DataFrame(rows, columns=["year", "land_use", "stock_tc", "prev_stock_tc",
                                        "change_tc", "area_ha", "prev_area_ha",
                                        "converted_area_ha"])  # fmt: skip
    scope = frame.land_use.map(lambda lu: "national" if lu == "all" else "land_use")
    return frame.assign(country="KEN", scope=scope, equilibrium_stock_tc=0.0, transfer_tc=0.0)


@pytest.fixture(scope="module")
def fourp1000():
    stocks = _inventory_stocks([
        (2020, "cropland", 1000.0, 999.0, 1.0, 10.0, 10.0, 0.0),
        (2020, "grassland", 3000.0, 3000.0, 0.0, 30.0, 30.0, 0.0),
        (2020, "all", 4000.0, 3999.0, 1.0, 40.0, 40.0, 0.0),
        (2021, "cropland", 1010.0, 1000.0, 10.0, 10.0, 10.0, 0.0),
        (2021, "grassland", 2994.0, 3000.0, -6.0, 30.0, 30.0, 0.0),
        (2021, "all", 4004.0, 4000.0, 4.0, 40.0, 40.0, 0.0),
    ])  # fmt: skip
    # drained grassland on organic soil: on-site 11 t CO2 = 11 x 12/44 = 3 t C lost in 2021
    emissions = pd.DataFrame({
        "country": ["KEN"], "year": [2021], "land_use": ["grassland"], "gas": ["CO2"],
        "component": ["on_site"], "emission": [11.0],
    })  # fmt: skip
    return indicators.fourp1000_indicators(duckdb.connect(), stocks, emissions)


def test_fourp1000_by_land_use(fourp1000):
    crop = _row(fourp1000, year=2021, land_use="cropland", scope="mineral")
    # change 10 t C/yr on S(2020) = 1000 t C -> 1000 x 10 / 1000 = 10 per mille;
    # target 4/1000 x 1000 = 4 t C/yr; gap 4 - 10 = -6 (target exceeded)
    assert (crop.stock_tc, crop.prev_stock_tc, crop.change_tc) == (1010.0, 1000.0, 10.0)
    assert crop.rate_permille == pytest.approx(10.0)
    assert (crop.target_permille, crop.target_tc, crop.gap_tc) == pytest.approx((4.0, 4.0, -6.0))
    # base year = first reported year 2020, S = 1000: 1000 x 10 / 1000 = 10 per mille
    assert (crop.base_year, crop.base_stock_tc, crop.rate_vs_base_permille) == (2020, 1000, 10)
    grass = _row(fourp1000, year=2021, land_use="grassland", scope="mineral")
    # -6 / 3000 x 1000 = -2 per mille; target 12; gap 12 - (-6) = 18
    assert (grass.rate_permille, grass.target_tc, grass.gap_tc) == pytest.approx((-2.0, 12, 18))
    organic = _row(fourp1000, year=2021, land_use="grassland", scope="mineral_and_organic")
    # organic-soil loss counts: -6 - 3 = -9 t C/yr -> -9 / 3000 x 1000 = -3 per mille
    assert (organic.change_tc, organic.rate_permille) == pytest.approx((-9.0, -3.0))


def test_fourp1000_national_and_first_year(fourp1000):
    total = _row(fourp1000, year=2021, land_use="all", scope="mineral")
    # S 4004, S(y-1) 4000; change 10 - 6 = 4 -> 1 per mille; target 16; gap 12
    assert (total.stock_tc, total.prev_stock_tc, total.change_tc) == (4004.0, 4000.0, 4.0)
    assert (total.rate_permille, total.target_tc, total.gap_tc) == pytest.approx((1.0, 16, 12))
    both = _row(fourp1000, year=2021, land_use="all", scope="mineral_and_organic")
    # 4 - 3 = 1 t C/yr -> 1000 x 1 / 4000 = 0.25 per mille; gap 16 - 1 = 15
    assert (both.change_tc, both.rate_permille, both.gap_tc) == pytest.approx((1.0, 0.25, 15))
    first = _row(fourp1000, year=2020, land_use="all", scope="mineral")
    # the first reported year has S(y-1) from the history: 1000 x 1 / 3999 = 0.250063
    assert first.rate_permille == pytest.approx(1000 / 3999)
    assert (first.base_stock_tc, first.rate_vs_base_permille) == (4000.0, pytest.approx(0.25))
    assert len(fourp1000) == 12  # 2 years x (cropland, grassland, all) x 2 scopes


def test_fourp1000_target_and_base_year_parameters():
    stocks = _inventory_stocks([
        (2020, "all", 500.0, 499.0, 1.0, 5.0, 5.0, 0.0),
        (2021, "all", 501.0, 500.0, 1.0, 5.0, 5.0, 0.0),
    ])  # fmt: skip
    out = indicators.fourp1000_indicators(
        duckdb.connect(), stocks, _organic_none(), target_permille=2, base_year=2021
    )
    row = _row(out, year=2021, land_use="all", scope="mineral")
    # target 2/1000 x 500 = 1.0 t C/yr; change 1.0 -> gap 0; rate 1000 x 1 / 500 = 2 per mille
    assert (row.target_tc, row.gap_tc, row.rate_permille) == pytest.approx((1.0, 0.0, 2.0))
    # base year 2021: S = 501 -> 1000 x 1 / 501 = 1.996008 per mille
    assert row.rate_vs_base_permille == pytest.approx(1000 / 501)


def test_fourp1000_land_use_rows_only_on_unchanged_land():
    """Forest land gained 2 ha by conversion in 2021: its stock moved with land, so its ratio
    would mix area transfer with carbon change; no per-land-use row, the national one stays."""
    stocks = _inventory_stocks([
        (2021, "forest_land", 100.0, 98.0, 2.0, 5.0, 3.0, 2.0),
        (2021, "all", 100.0, 98.0, 2.0, 5.0, 5.0, 2.0),
    ])  # fmt: skip
    out = indicators.fourp1000_indicators(duckdb.connect(), stocks, _organic_none())
    assert set(out.land_use) == {"all"}


def _organic_none() -> pd.DataFrame:
    return pd.DataFrame({
        "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
        "land_use": pd.Series(dtype="str"), "component": pd.Series(dtype="str"),
        "emission": pd.Series(dtype="float64"),
    })  # fmt: skip


# ---------------------------------------------------------------- rewetting + offsets
def _organic_soils() -> pd.DataFrame:
    rows = [
        ("cool_temperate_moist", "grassland", "drained", "nutrient_rich", "deep", 10.0),
        ("boreal_moist", "forest_land", "drained", "nutrient_poor", "not_applicable", 4.0),
        ("boreal_moist", "forest_land", "rewetted", "nutrient_poor", "not_applicable", 3.0),
    ]
    cols = ["climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth",
            "area_ha"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols).assign(country="IRL", year=2020)


@pytest.fixture(scope="module")
def scenario():
    con = duckdb.connect()
    return indicators.rewetting_scenario(con, _organic_soils(), rewet_share=0.5, gwp_set="AR4")


def test_rewetting_scenario(scenario):
    assert len(scenario) == 2  # drained strata only
    grass = _row(scenario, land_use="grassland")
    # 10 ha x 0.5 = 5 ha; 5 x (29.179526 - 9.913333) = 5 x 19.266193 = 96.330964 t CO2e/yr
    assert grass.rewetted_area_ha == 5.0
    assert (grass.drained_co2e_per_ha, grass.rewetted_co2e_per_ha) == pytest.approx(
        (EX1_DRAINED, EX1_REWETTED), abs=1e-6
    )
    assert grass.avoided_co2e == pytest.approx(96.330964, abs=1e-5)
    forest = _row(scenario, land_use="forest_land")
    # 4 ha x 0.5 = 2 ha; 2 x (1.765940 - 0.413333) = 2 x 1.352607 = 2.705213
    assert forest.avoided_co2e == pytest.approx(2.705213, abs=1e-5)


def test_rewetting_share_is_validated():
    with pytest.raises(ValueError, match="rewet_share"):
        indicators.rewetting_scenario(duckdb.connect(), _organic_soils(), rewet_share=1.5)


def test_peatland_offsets(scenario):
    con = duckdb.connect()
    emissions = pd.DataFrame({
        "country": ["IRL", "IRL"], "year": 2020, "gas": ["CO2", "CH4"],
        "component": ["on_site", "land"], "co2e_t": [100.0, 20.0],
    })  # fmt: skip
    changes = _stock_changes([
        ("IRL", 2020, "cropland", "cropland_remaining_cropland", 50.0, 30 / C_TO_CO2),
        ("IRL", 2020, "grassland", "land_converted_to_grassland", 5.0, -5 / C_TO_CO2),
        ("NOR", 2020, "cropland", "cropland_remaining_cropland", 50.0, 50 / C_TO_CO2),
    ])  # fmt: skip
    out = indicators.peatland_offsets(con, emissions, changes, rewetting=scenario)
    irl = _row(out, country="IRL")
    # organic 100 + 20 = 120; mineral dCO2 = -30 + 5 = -25 -> sequestration 25
    # ratio 25 / 120 = 0.208333; net 120 - 25 = 95 = required additional sequestration
    assert (irl.organic_emissions_co2e, irl.mineral_sequestration_co2e) == pytest.approx((120, 25))
    assert irl.offset_ratio == pytest.approx(25 / 120)
    assert (irl.net_co2e, irl.required_additional_sequestration_co2e) == pytest.approx((95, 95))
    # avoided: 96.330964 + 2.705213 = 99.036177
    assert irl.avoided_co2e_if_rewetted == pytest.approx(99.036177, abs=1e-5)
    nor = _row(out, country="NOR")
    # no organic soils: ratio NULL, net 0 - 50 = -50 (net sink), required 0, avoided 0
    assert pd.isna(nor.offset_ratio) and nor.organic_emissions_co2e == 0
    assert (nor.net_co2e, nor.required_additional_sequestration_co2e) == pytest.approx((-50, 0))
    assert nor.avoided_co2e_if_rewetted == 0
    sql_models.register(con, {"peatland_offsets": out})
    assert sql_models.run_check(con, "peatland_offsets_balance").empty


def test_peatland_offsets_carry_monte_carlo_intervals():
    # IRL 2020: organic draws 1..5 = 100, 110, 120, 130, 140 t CO2e (draw 0 = 120), mineral
    # draws dCO2 = -25 each (a 25 t sink), so net = 75, 85, 95, 105, 115. quantile_cont over 5
    # values: 2.5 % at position 0.1, 97.5 % at 3.9: organic 101 / 139, net 76 / 114.
    con = duckdb.connect()
    emissions = pd.DataFrame({"country": ["IRL"], "year": 2020, "gas": ["CO2"],
                              "component": ["on_site"], "co2e_t": [120.0]})  # fmt: skip
    changes = _stock_changes([
        ("IRL", 2020, "cropland", "cropland_remaining_cropland", 50.0, 25 / C_TO_CO2),
    ])  # fmt: skip
    organic_draws = DrawMatrix(pd.DataFrame({"country": ["IRL"], "year": [2020]}),
                               np.array([[120.0, 100, 110, 120, 130, 140]]))  # fmt: skip
    mineral_draws = DrawMatrix(pd.DataFrame({"country": ["IRL"], "year": [2020]}),
                               np.full((1, 6), -25.0))  # fmt: skip
    out = indicators.peatland_offsets(
        con, emissions, changes, organic_draws=organic_draws, mineral_draws=mineral_draws
    )
    irl = _row(out, country="IRL")
    assert (irl.organic_emissions_co2e, irl.net_co2e) == pytest.approx((120, 95))
    assert (irl.organic_ci_low_co2e, irl.organic_ci_high_co2e) == pytest.approx((101, 139))
    assert (irl.net_ci_low_co2e, irl.net_ci_high_co2e) == pytest.approx((76, 114))
    without = _row(indicators.peatland_offsets(con, emissions, changes), country="IRL")
    assert pd.isna(without.organic_ci_low_co2e) and pd.isna(without.net_ci_high_co2e)


# ---------------------------------------------------------------- UNFCCC CRT-style rows
@pytest.fixture(scope="module")
def crt():
    con = duckdb.connect()
    soils = pd.DataFrame([{
        "country": "KEN", "year": 2020, "climate_zone": "cool_temperate_moist",
        "land_use": "cropland", "drainage": "drained", "nutrient_status": "not_applicable",
        "drainage_depth": "not_applicable", "area_ha": 2.0,
    }])  # fmt: skip
    emissions = organic.organic_soil_emissions(con, soils, gwp_set="AR5")
    changes = _stock_changes([
        ("KEN", 2020, "cropland", "cropland_remaining_cropland", 100.0, 2.0),
        ("KEN", 2020, "cropland", "land_converted_to_cropland", 10.0, -1.0),
        ("KEN", 2020, "grassland", "grassland_remaining_grassland", 50.0, None),
    ])  # fmt: skip
    soc_loss = nitrogen.soc_loss_n2o(con, changes, edition="2019", gwp_set="AR5")
    agriculture = nitrogen.agriculture_n2o(con, emissions, soc_loss)
    out = indicators.unfccc_tables(con, changes, emissions, soc_loss)
    sql_models.register(con, {"unfccc_tables": out})
    return out, sql_models.run_check(con, "unfccc_notation_keys"), agriculture


def test_unfccc_cropland_total(crt):
    out, _, agriculture = crt
    assert len(out) == 18  # 6 land uses x (total, remaining, converted)
    total = _row(out, category_code="4.B")
    assert (total.subcategory, total.area_mineral_ha, total.mineral_dc_tc_per_yr) == (
        "total",
        110.0,
        1.0,
    )  # 100 + 10 ha; 2.0 - 1.0 t C/yr
    # organic: -(on-site + DOC) CO2-C = -2 ha x (7.9 + 0.31) t C = -16.42 t C/yr (Tables 2.1/2.2)
    assert total.area_organic_ha == 2.0
    assert total.organic_dc_tc_per_yr == pytest.approx(-16.42)
    # CH4 = 2 x (0.95 x 0 + 0.05 x 1165) / 1000 = 0.1165 t
    assert total.organic_ch4_t == pytest.approx(0.1165)
    # organic-soil N2O of cropland is Agriculture 3.D: IE here, the value in agriculture_n2o,
    # 2 ha x 13 kg N2O-N x 44/28 / 1000 = 0.040857 t N2O (WS Ch.2 Table 2.5)
    assert pd.isna(total.organic_n2o_t) and total.organic_n2o_notation == "IE"
    assert "Agriculture 3.D" in total.notation_explanation
    organic_3d = _row(agriculture, source_category="cultivation_of_organic_soils")
    assert organic_3d.n2o_t == pytest.approx(2 * 13 * 44 / 28 / 1000)
    assert (organic_3d.category_code, organic_3d.area_ha) == ("3.D", 2.0)
    # CO2 = mineral -(1.0) x 44/12 + organic 16.42 x 44/12 = 15.42 x 44/12 = 56.54 t CO2/yr
    assert total.co2_t == pytest.approx(15.42 * C_TO_CO2)
    # N2O from soil carbon loss (Eq. 11.8 and its note): land converted to cropland loses
    # 1 t C/yr, but at Tier 1 the change is the national net, +2 - 1 = +1 t C/yr, a gain:
    # F_SOM = 0, so 0 N2O in 4(III) (it was 1 / 15 x 0.010 x 44/28 = 0.00104762 t netted per
    # category, issue 21); cropland remaining cropland is reported in 3.D -> IE here
    converted = _row(out, category_code="4.B.2")
    assert converted.mineral_n2o_t == 0.0
    assert total.mineral_n2o_t == 0.0
    remaining = _row(out, category_code="4.B.1")
    assert pd.isna(remaining.mineral_n2o_t) and remaining.mineral_n2o_notation == "IE"
    som_3d = _row(agriculture, source_category="soil_organic_matter_loss")
    assert (som_3d.n_mineralised_t, som_3d.n2o_t) == (0.0, 0.0)
    numbers = ["area_mineral_notation", "mineral_dc_notation", "area_organic_notation",
               "organic_dc_notation", "organic_ch4_notation", "co2_notation"]  # fmt: skip
    assert total[numbers].isna().all()


def test_unfccc_subcategories_and_notation_keys(crt):
    out, violations, _ = crt
    remaining = _row(out, category_code="4.B.1")
    assert remaining.subcategory == "cropland_remaining_cropland"
    assert (remaining.area_mineral_ha, remaining.mineral_dc_tc_per_yr) == (100.0, 2.0)
    assert remaining.co2_t == pytest.approx(-2.0 * C_TO_CO2)
    assert pd.isna(remaining.area_organic_ha) and remaining.area_organic_notation == "IE"
    grass = _row(out, category_code="4.C.1")  # area reported, no estimate -> NE
    assert grass.area_mineral_ha == 50.0 and pd.isna(grass.mineral_dc_tc_per_yr)
    assert (grass.mineral_dc_notation, grass.co2_notation) == ("NE", "NE")
    assert _row(out, category_code="4.C").mineral_dc_notation == "NE"
    assert _row(out, category_code="4.C").area_organic_notation == "NO"
    forest = _row(out, category_code="4.A")  # nothing reported
    assert (forest.area_mineral_notation, forest.mineral_dc_notation, forest.co2_notation) == (
        "NO",
        "NO",
        "NO",
    )
    assert _row(out, category_code="4.F.1").mineral_dc_notation == "NA"
    assert out.area_mineral_ha.dtype == "float64" and out.co2_t.dtype == "float64"
    assert violations.empty


def test_rewetting_without_rewetted_factor_is_null_not_zero():
    # boreal cropland is mapped for drained soils with any nutrient status, but WS Table 3.1/3.3
    # split boreal rewetted soils by nutrient status: 'not_applicable' has no rewetted factor.
    soils = pd.DataFrame([{
        "country": "FIN", "year": 2020, "climate_zone": "boreal_dry", "land_use": "cropland",
        "drainage": "drained", "nutrient_status": "not_applicable",
        "drainage_depth": "not_applicable", "area_ha": 1.0,
    }])  # fmt: skip
    con = duckdb.connect()
    scenario = indicators.rewetting_scenario(con, soils, rewet_share=1.0)
    assert pd.isna(scenario.avoided_co2e.iloc[0]) and scenario.drained_co2e_t.iloc[0] > 0
    emissions = organic.organic_soil_emissions(con, soils)
    out = indicators.peatland_offsets(con, emissions, _stock_changes([]), rewetting=scenario)
    assert pd.isna(out.avoided_co2e_if_rewetted.iloc[0])


def test_native_land_is_reported_under_its_ipcc_category():
    """Native land had no 4.A-4.F code: its area fell out of the CRT. Reported as grassland
    (default) or forest land, the six categories add up to the land area (50 + 30 = 80 ha)."""
    changes = _stock_changes([
        ("KEN", 2020, "cropland", "cropland_remaining_cropland", 50.0, 0.0),
        ("KEN", 2020, "native", "native_remaining_native", 30.0, 0.0),
    ])  # fmt: skip
    con = duckdb.connect()
    no_organic = organic.organic_soil_emissions(
        con,
        pd.DataFrame(
            columns=[
                "country",
                "year",
                "climate_zone",
                "land_use",
                "drainage",
                "nutrient_status",
                "drainage_depth",
                "area_ha",
            ]
        ).astype({"year": "int64", "area_ha": "float64"}),
    )
    for native_as, code in (("grassland", "4.C"), ("forest_land", "4.A")):
        out = indicators.unfccc_tables(con, changes, no_organic, native_land_use=native_as)
        assert _row(out, category_code=code).area_mineral_ha == 30.0
        assert _row(out, category_code=f"{code}.1").area_mineral_ha == 30.0
        stocks = pd.DataFrame({"country": ["KEN"], "year": [2020], "scope": ["national"],
                               "area_ha": [80.0]})  # fmt: skip
        sql_models.register(con, {"unfccc_tables": out, "inventory_stocks": stocks})
        assert sql_models.run_check(con, "unfccc_land_area_identity").empty
    with pytest.raises(ValueError, match="native land"):
        indicators.unfccc_tables(con, changes, no_organic, native_land_use="wetlands")


def test_land_area_identity_catches_a_missing_category():
    # before the mapping: native's 30 ha had no CRT row, 4.A-4.F summed to 50 of 80 ha
    out = pd.DataFrame(
        {
            "country": "KEN",
            "year": 2020,
            "subcategory": "total",
            "category_code": ["4.B", "4.C"],
            "area_mineral_ha": [50.0, None],
        }
    )
    stocks = pd.DataFrame({"country": ["KEN"], "year": [2020], "scope": ["national"],
                           "area_ha": [80.0]})  # fmt: skip
    con = duckdb.connect()
    sql_models.register(con, {"unfccc_tables": out, "inventory_stocks": stocks})
    found = sql_models.run_check(con, "unfccc_land_area_identity")
    assert found[["land_area_ha", "category_area_ha"]].values.tolist() == [[80.0, 50.0]]
