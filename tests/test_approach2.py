"""Hand-computed cases for land units with annual histories (IPCC Approach 2/3, Eq. 2.25).

IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per unit: dC(y) = (SOC(y) - SOC(y - D)) / D, D = 20 yr.
Factors (2019 Refinement defaults, as in tests/test_mineral.py):
  SOC_REF warm temperate moist, HAC = 64 t C/ha            (2019 Vol.4 Ch.2 Table 2.3)
  F_LU cropland long-term cultivated, WTM = 0.69           (2019 Vol.4 Ch.5 Table 5.5)
  F_MG full tillage = 1.00, no-till WTM = 1.10; F_I medium = 1.00
  grassland nominal: F_LU = F_MG = F_I = 1                 (Table 6.2)
so cropland (full tillage, medium) holds 64 x 0.69 = 44.16 t C/ha and grassland 64 t C/ha.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.core import units, vocab
from inventory.engine import sql_models
from inventory.engine.land import approach2
from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions

CROPLAND_TC_PER_HA = 64.0 * 0.69  # 44.16
GRASSLAND_TC_PER_HA = 64.0
NOTILL_TC_PER_HA = 64.0 * 0.69 * 1.10  # 48.576
C_TO_CO2 = 44.0 / 12.0
CROP = ("cropland", "full_tillage", "medium")
NOTILL = ("cropland", "no_tillage", "medium")
GRASS = ("grassland", "nominal", "not_applicable")


def _units(spec: dict[int, tuple[float, list[tuple[int, int, tuple[str, str, str]]]]]):
    """spec: unit_id -> (area_ha, [(first_year, last_year, (land_use, management, input))])."""
    records = [
        {"country": "URY", "unit_id": uid, "year": y, "climate_zone": "warm_temperate_moist",
         "soil_class": "hac", "land_use": lu, "management": mg, "input": inp, "area_ha": area}
        for uid, (area, spans) in spec.items()
        for first, last, (lu, mg, inp) in spans
        for y in range(first, last + 1)
    ]  # fmt: skip
    return pd.DataFrame.from_records(records)


def _as_land_areas(land_units: pd.DataFrame) -> pd.DataFrame:
    """The same land for Approach 1: unit areas summed by stratum and year (plain pandas)."""
    keys = ["country", "year", *vocab.STRATUM_KEYS]
    return land_units.groupby(keys, as_index=False)["area_ha"].sum()


def _row(frame: pd.DataFrame, year: int, category: str) -> pd.Series:
    rows = frame[(frame.year == year) & (frame.land_use_category == category)]
    assert len(rows) == 1, f"{category} {year}: {len(rows)} rows"
    return rows.iloc[0]


# 10 ha of nominal grassland become full-tillage cropland in 2010; 100 ha stay cropland and
# 40 ha stay grassland throughout 1990-2031.
CONVERSION = {
    1: (100.0, [(1990, 2031, CROP)]),
    2: (10.0, [(1990, 2009, GRASS), (2010, 2031, CROP)]),
    3: (40.0, [(1990, 2031, GRASS)]),
}


@pytest.fixture(scope="module")
def conversion():
    land_units = _units(CONVERSION)
    result = approach2.compute_land_unit_inventory(
        land_units,
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2031, mc_draws=0),
    )
    return land_units, result


@pytest.mark.parametrize("year", [2010, 2011, 2029])  # years 0, 1 and 19 after the change
def test_converted_unit_loses_one_twentieth_per_year(conversion, year):
    _, result = conversion
    # unit 2: 10 ha x (44.16 - 64) / 20 = 10 x -19.84 / 20 = -9.92 t C/yr (past state: grassland,
    # the state in y - 20 = 1990, 1991, 2009)
    row = _row(result.stock_changes, year, "land_converted_to_cropland")
    assert row.dC_tc_per_yr == pytest.approx(-9.92, abs=1e-9)
    assert row.area_ha == 10.0
    # emission reported positive: 9.92 x 44/12 = 36.3733... t CO2/yr
    assert row.dCO2_t_per_yr == pytest.approx(9.92 * C_TO_CO2, abs=1e-9)
    assert row.dCO2_t_per_yr == pytest.approx(-units.carbon_to_co2(row.dC_tc_per_yr), abs=1e-12)
    remaining = _row(result.stock_changes, year, "cropland_remaining_cropland")
    assert (remaining.dC_tc_per_yr, remaining.area_ha) == (0.0, 100.0)
    assert _row(result.stock_changes, year, "grassland_remaining_grassland").dC_tc_per_yr == 0.0


def test_subcategory_names_previous_land_use(conversion):
    _, result = conversion
    sub = result.stock_change_subcategories
    row = sub[(sub.year == 2010) & (sub.land_use_category == "land_converted_to_cropland")]
    assert row.land_use_subcategory.tolist() == ["grassland_converted_to_cropland"]
    assert row.previous_land_use.tolist() == ["grassland"]
    assert row.dC_tc_per_yr.iloc[0] == pytest.approx(-9.92, abs=1e-9)


@pytest.mark.parametrize("year", [2030, 2031])  # years 20 and 21 after the change
def test_converted_unit_becomes_remaining_after_twenty_years(conversion, year):
    _, result = conversion
    rows = result.stock_changes[result.stock_changes.year == year]
    assert "land_converted_to_cropland" not in set(rows.land_use_category)
    # SOC(2030) - SOC(2010): both cropland, 10 ha x (44.16 - 44.16) = 0
    assert rows.dC_tc_per_yr.abs().sum() == 0.0
    assert _row(result.stock_changes, year, "cropland_remaining_cropland").area_ha == 110.0


def test_year_before_change_has_no_change(conversion):
    _, result = conversion
    rows = result.stock_changes[result.stock_changes.year == 2009]
    assert rows.dC_tc_per_yr.abs().sum() == 0.0
    assert _row(result.stock_changes, 2009, "grassland_remaining_grassland").area_ha == 50.0


def test_stocks_are_summed_to_strata(conversion):
    _, result = conversion
    stocks = result.soc_stocks[result.soc_stocks.year == 2010].set_index("land_use")
    # cropland: 110 ha x 44.16 = 4857.6 t C; grassland: 40 ha x 64 = 2560 t C
    assert stocks.loc["cropland", "stock_tc"] == pytest.approx(110 * CROPLAND_TC_PER_HA, abs=1e-9)
    assert stocks.loc["grassland", "stock_tc"] == pytest.approx(2560.0, abs=1e-9)
    assert stocks.loc["cropland", "factor_tier"] == "tier1_default"
    assert set(result.soc_stocks.year) == set(range(2000, 2032))  # history years not reported


def test_same_columns_as_approach_1(conversion):
    land_units, result = conversion
    approach1 = compute_mineral_inventory(
        _as_land_areas(land_units),
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2031, mc_draws=0),
    )
    assert list(result.soc_stocks.columns) == list(approach1.soc_stocks.columns)
    assert list(result.stock_changes.columns) == list(approach1.stock_changes.columns)
    assert list(result.stock_change_totals.columns) == list(approach1.stock_change_totals.columns)


# A richer history: a tillage change, a conversion each way, a unit that returns to its earlier
# land use (grassland -> cropland 2000-2004 -> grassland), a unit that appears in 1990 only.
MIXED = {
    1: (100.0, [(1980, 1999, CROP), (2000, 2031, NOTILL)]),
    2: (10.0, [(1980, 2009, GRASS), (2010, 2031, CROP)]),
    3: (5.0, [(1980, 2014, CROP), (2015, 2031, GRASS)]),
    4: (1.0, [(1980, 1999, GRASS), (2000, 2004, CROP), (2005, 2031, GRASS)]),
    5: (40.0, [(1980, 2031, GRASS)]),
}


@pytest.fixture(scope="module")
def mixed():
    land_units = _units(MIXED)
    table = factors.factor_table("2019")
    two = approach2.compute_land_unit_inventory(
        land_units, table, EngineOptions(first_year=1990, mc_draws=0)
    )
    one = compute_mineral_inventory(
        _as_land_areas(land_units), table, EngineOptions(first_year=1990, mc_draws=0)
    )
    return two, one


def test_approach_1_and_2_agree_on_national_totals(mixed):
    two, one = mixed
    national = ["year", "dC_tc_per_yr", "dCO2_t_per_yr", "area_ha"]
    a2 = two.stock_change_totals.query("scope == 'national'")[national].reset_index(drop=True)
    a1 = one.stock_change_totals.query("scope == 'national'")[national].reset_index(drop=True)
    pd.testing.assert_frame_equal(a2, a1, check_exact=False, atol=1e-9, rtol=0)
    # and the stocks are the same rows
    pd.testing.assert_frame_equal(two.soc_stocks, one.soc_stocks, check_exact=False, atol=1e-9)


def test_returning_unit_is_converted_each_way(mixed):
    two, _ = mixed
    sub = two.stock_change_subcategories
    unit4 = sub[sub.land_use_subcategory.isin(
        ["grassland_converted_to_cropland", "cropland_converted_to_grassland"])]  # fmt: skip
    # 2000-2004: unit 4 (1 ha) is cropland converted from grassland:
    #   1 x (44.16 - 64) / 20 = -0.992 t C/yr (unit 2 adds its own -9.92 from 2010 on)
    row = _row(unit4, 2003, "land_converted_to_cropland")
    assert row.dC_tc_per_yr == pytest.approx(-0.992, abs=1e-12)
    assert row.area_ha == 1.0
    # 2005-2024 it is grassland converted from cropland, together with unit 3 from 2015;
    # 2005-2019: past state (y - 20 <= 1999) is grassland again: 0 for unit 4
    assert _row(unit4, 2010, "land_converted_to_grassland").dC_tc_per_yr == 0.0
    # 2020-2024: past state in 2000-2004 is cropland: 1 x (64 - 44.16) / 20 = +0.992, plus
    # unit 3 (5 ha, cropland until 2014): 5 x (64 - 44.16) / 20 = +4.96
    assert _row(unit4, 2022, "land_converted_to_grassland").dC_tc_per_yr == pytest.approx(
        0.992 + 4.96, abs=1e-12
    )
    # 2025 is year 20 after unit 4 went back: grassland remaining (unit 3 still converted)
    row = _row(unit4, 2025, "land_converted_to_grassland")
    assert row.area_ha == 5.0


def test_histories_over_64_years_give_the_same_runs(mixed):
    # a unit reaching back to 1950 makes the data span 82 years: the returning unit 4 is then
    # split from its rows (approach2_recurring_runs) instead of the year bit sets
    longer = {**MIXED, 9: (2.0, [(1950, 2031, GRASS)])}
    result = approach2.compute_land_unit_inventory(
        _units(longer), factors.factor_table("2019"), EngineOptions(first_year=1990, mc_draws=0)
    )
    two, _ = mixed
    keep = result.stock_change_subcategories.columns.drop("area_ha")
    pd.testing.assert_frame_equal(
        result.stock_change_subcategories[keep].reset_index(drop=True),
        two.stock_change_subcategories[keep].reset_index(drop=True),
    )


def test_tillage_change_is_remaining_land(mixed):
    two, _ = mixed
    # unit 1: 100 ha x (48.576 - 44.16) / 20 = 22.08 t C/yr in 2000-2019, 0 from 2020
    assert _row(two.stock_changes, 2005, "cropland_remaining_cropland").dC_tc_per_yr == (
        pytest.approx(22.08, abs=1e-9)
    )
    assert _row(two.stock_changes, 2020, "cropland_remaining_cropland").dC_tc_per_yr == (
        pytest.approx(0.0, abs=1e-9)
    )


def test_history_before_first_year_is_first_state():
    # a unit first seen in 2000 as cropland: taken as cropland before 2000, so no change
    land_units = _units({1: (3.0, [(2000, 2005, CROP)])})
    result = approach2.compute_land_unit_inventory(
        land_units, factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    assert result.stock_changes.dC_tc_per_yr.abs().sum() == 0.0
    assert set(result.stock_changes.land_use_category) == {"cropland_remaining_cropland"}


def test_gap_in_history_names_the_unit():
    land_units = _units({7: (1.0, [(2000, 2002, CROP), (2004, 2005, CROP)])})
    with pytest.raises(approach2.LandUnitHistoryError, match="unit 7.*missing years"):
        approach2.compute_land_unit_inventory(
            land_units, factors.factor_table("2019"), EngineOptions(mc_draws=0)
        )


def test_parquet_input(tmp_path):
    path = tmp_path / "land_units.parquet"
    _units(CONVERSION).to_parquet(path)
    result = approach2.compute_land_unit_inventory(
        path,
        factors.factor_table("2019"),
        EngineOptions(first_year=2010, last_year=2010, mc_draws=0),
    )
    row = _row(result.stock_changes, 2010, "land_converted_to_cropland")
    assert row.dC_tc_per_yr == pytest.approx(-9.92, abs=1e-9)


@pytest.fixture(scope="module")
def monte_carlo():
    def run(seed: int):
        return approach2.compute_land_unit_inventory(
            _units(CONVERSION),
            factors.factor_table("2019"),
            EngineOptions(first_year=2010, last_year=2012, mc_draws=1000, seed=seed),
            con=sql_models.connect(),
        )

    return run(7), run(7), run(8)


def test_monte_carlo_interval_and_mean(monte_carlo):
    first, _, _ = monte_carlo
    for table in (first.stock_changes, first.stock_change_totals):
        moving = table[table.dC_tc_per_yr != 0]
        assert len(moving) > 0 and (moving.mc_draws == 1000).all()
        assert (moving.ci_low < moving.dC_tc_per_yr).all()
        assert (moving.dC_tc_per_yr < moving.ci_high).all()
        # the draws' mean stays near the deterministic -9.92 (normal draws, linear in each
        # factor): within 5 % here, where the 95 % interval is about +/- 35 %
        assert (moving.mc_mean / moving.dC_tc_per_yr).between(0.95, 1.05).all()
    national = first.stock_change_totals.query("scope == 'national' and year == 2011").iloc[0]
    assert national.dC_tc_per_yr == pytest.approx(-9.92, abs=1e-9)
    # CO2 interval is the carbon interval mirrored: low CO2 = -high C x 44/12
    assert national.dco2_ci_low == pytest.approx(-national.ci_high * C_TO_CO2, rel=1e-9)


def test_monte_carlo_is_seeded(monte_carlo):
    first, again, other = monte_carlo
    pd.testing.assert_frame_equal(first.stock_change_totals, again.stock_change_totals)
    pd.testing.assert_frame_equal(first.stock_changes, again.stock_changes)
    assert not first.stock_change_totals.ci_low.equals(other.stock_change_totals.ci_low)


def test_monte_carlo_mean_check_query_passes(monte_carlo):
    con = sql_models.connect()
    con.register("stock_change_totals", monte_carlo[0].stock_change_totals)
    assert sql_models.run_check(con, "mc_mean_near_deterministic").empty
