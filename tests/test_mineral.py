"""Hand-computed Tier 1 cases for the mineral-soil engine (IPCC 2006 Vol.4 Ch.2 Eq. 2.25).

Factors used (2019 Refinement defaults, inventory/data/ipcc/):
  SOC_REF warm temperate moist, HAC = 64 t C/ha   (2019 Vol.4 Ch.2 Table 2.3)
  F_LU cropland long-term cultivated, warm temperate moist = 0.69   (2019 Vol.4 Ch.5 Table 5.5)
  F_MG full tillage = 1.00, no-till warm temperate moist = 1.10       (Table 5.5)
  F_I medium = 1.00; grassland nominal: F_LU = F_MG = F_I = 1        (Table 5.5, Table 6.2)
These match worked example 5 of inventory/data/ipcc/README.md.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.core import units
from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import MissingFactorError, compute_mineral_inventory
from inventory.engine.options import EngineOptions

SOC_REF_WTM_HAC_2019 = 64.0
F_LU_CROP_WTM_2019 = 0.69
F_MG_NOTILL_WTM_2019 = 1.10
SOC_REF_WTM_HAC_2006 = 88.0
F_MG_NOTILL_TEMP_MOIST_2006 = 1.15
D = 20


def _areas(rows: list[tuple[int, int, str, str, str, float]]) -> pd.DataFrame:
    """rows: (first_year, last_year, land_use, management, input, area_ha)."""
    records = [
        {"country": "URY", "year": y, "climate_zone": "warm_temperate_moist", "soil_class": "hac",
         "land_use": lu, "management": mg, "input": inp, "area_ha": area}
        for first, last, lu, mg, inp, area in rows
        for y in range(first, last + 1)
    ]  # fmt: skip
    return pd.DataFrame.from_records(records)


def _change(result, year: int, category: str) -> pd.Series:
    rows = result.stock_changes
    return rows[(rows.year == year) & (rows.land_use_category == category)].iloc[0]


@pytest.fixture(scope="module")
def tillage_change():
    # Stratum A: 100 ha cropland, full tillage 1980-1999, no-till from 2000 (medium input).
    # Stratum B: 50 ha nominal grassland throughout.
    areas = _areas([
        (1980, 1999, "cropland", "full_tillage", "medium", 100.0),
        (2000, 2024, "cropland", "no_tillage", "medium", 100.0),
        (1980, 2024, "grassland", "nominal", "not_applicable", 50.0),
    ])  # fmt: skip
    return compute_mineral_inventory(
        areas,
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=200),
    )


def test_stocks_of_both_strata(tillage_change):
    stocks = tillage_change.soc_stocks
    crop = stocks[(stocks.year == 2000) & (stocks.land_use == "cropland")].iloc[0]
    grass = stocks[(stocks.year == 2000) & (stocks.land_use == "grassland")].iloc[0]
    # 100 ha x 64 x 0.69 x 1.10 x 1.00 = 4857.6 t C
    assert crop.stock_tc == pytest.approx(4857.6, abs=1e-9)
    assert (crop.soc_ref, crop.f_lu, crop.f_mg, crop.f_i) == (64.0, 0.69, 1.10, 1.0)
    assert crop.factor_tier == "tier1_default"
    # 50 ha x 64 x 1 x 1 x 1 = 3200 t C
    assert grass.stock_tc == pytest.approx(3200.0, abs=1e-9)
    assert set(stocks.year) == set(range(2000, 2025))  # history years are not reported


@pytest.mark.parametrize("year", [2000, 2001, 2019])
def test_transition_years_carry_one_twentieth(tillage_change, year):
    # dC = (SOC(y) - SOC(y-20)) / 20; SOC(y-20) for y <= 2019 is the full-tillage stock:
    # (100 x 64 x 0.69 x 1.10 - 100 x 64 x 0.69) / 20 = (4857.6 - 4416.0) / 20 = 22.08 t C/yr
    row = _change(tillage_change, year, "cropland_remaining_cropland")
    assert row.dC_tc_per_yr == pytest.approx(22.08, abs=1e-9)
    # removal reported negative: -22.08 x 44/12 = -80.96 t CO2/yr
    assert row.dCO2_t_per_yr == pytest.approx(-80.96, abs=1e-9)
    assert row.area_ha == 100.0


@pytest.mark.parametrize("year", [2020, 2021, 2024])
def test_change_ends_after_twenty_years(tillage_change, year):
    assert _change(tillage_change, year, "cropland_remaining_cropland").dC_tc_per_yr == 0.0


def test_grassland_unchanged(tillage_change):
    assert _change(tillage_change, 2005, "grassland_remaining_grassland").dC_tc_per_yr == 0.0


def test_monte_carlo_interval_brackets_the_estimate(tillage_change):
    row = _change(tillage_change, 2005, "cropland_remaining_cropland")
    assert row.mc_draws == 200
    assert row.ci_low < 22.08 < row.ci_high
    # the mean of the draws stays close to the deterministic value (normal, symmetric draws)
    assert row.mc_mean == pytest.approx(22.08, rel=0.1)


@pytest.fixture(scope="module")
def conversion():
    # 10 ha of nominal grassland become full-tillage cropland in 2010.
    areas = _areas([
        (1990, 2009, "cropland", "full_tillage", "medium", 100.0),
        (2010, 2031, "cropland", "full_tillage", "medium", 110.0),
        (1990, 2009, "grassland", "nominal", "not_applicable", 50.0),
        (2010, 2031, "grassland", "nominal", "not_applicable", 40.0),
    ])  # fmt: skip
    return compute_mineral_inventory(
        areas,
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2031, mc_draws=0),
    )


@pytest.mark.parametrize("year", [2010, 2011, 2029])  # years 0, 1 and 19 after the change
def test_conversion_loses_one_twentieth_per_year(conversion, year):
    # total = [(110 - 100) x 44.16 + (40 - 50) x 64] / 20 = (441.6 - 640) / 20 = -9.92 t C/yr
    # = 10 ha x (64 x 0.69 - 64) / 20 (worked example 5: -0.992 t C/ha/yr x 10 ha)
    converted = _change(conversion, year, "land_converted_to_cropland")
    assert converted.dC_tc_per_yr == pytest.approx(-9.92, abs=1e-9)
    assert converted.area_ha == 10.0
    assert converted.dCO2_t_per_yr == pytest.approx(9.92 * units.carbon_to_co2(1.0), abs=1e-9)
    assert _change(conversion, year, "cropland_remaining_cropland").dC_tc_per_yr == 0.0
    assert _change(conversion, year, "grassland_remaining_grassland").dC_tc_per_yr == 0.0


@pytest.mark.parametrize("year", [2030, 2031])  # years 20 and 21 after the change
def test_conversion_done_after_twenty_years(conversion, year):
    rows = conversion.stock_changes[conversion.stock_changes.year == year]
    assert rows.dC_tc_per_yr.abs().sum() == 0.0
    assert "land_converted_to_cropland" not in set(rows.land_use_category)


def test_before_conversion_nothing_changes(conversion):
    rows = conversion.stock_changes[conversion.stock_changes.year == 2009]
    assert rows.dC_tc_per_yr.abs().sum() == 0.0


def test_2006_edition_selectable():
    # worked example 5, 2006: 88 x 0.69 = 60.72 -> 88 x 0.69 x 1.15 = 69.828 t C/ha;
    # dC = (69.828 - 60.72) / 20 = 0.4554 t C/ha/yr for 1 ha
    areas = _areas([
        (1980, 1999, "cropland", "full_tillage", "medium", 1.0),
        (2000, 2001, "cropland", "no_tillage", "medium", 1.0),
    ])  # fmt: skip
    result = compute_mineral_inventory(
        areas,
        factors.factor_table("2006"),
        EngineOptions(first_year=2000, last_year=2001, mc_draws=0),
    )
    row = _change(result, 2000, "cropland_remaining_cropland")
    assert row.dC_tc_per_yr == pytest.approx(0.4554, abs=1e-12)


def test_submitted_factor_wins_and_is_recorded():
    areas = _areas([(2000, 2001, "cropland", "no_tillage", "medium", 1.0)])
    submitted = pd.DataFrame({
        "country": ["URY"], "factor": ["F_MG"], "climate_zone": ["warm_temperate_moist"],
        "soil_class": [None], "land_use": ["cropland"], "level": ["no_tillage"],
        "value": [1.2], "uncertainty_pct": [10.0], "source": ["national trial network"],
    })  # fmt: skip
    table = factors.factor_table("2019", submitted=submitted)
    stocks = compute_mineral_inventory(areas, table, EngineOptions(mc_draws=0)).soc_stocks
    row = stocks.iloc[0]
    assert row.f_mg == 1.2
    assert row.stock_tc == pytest.approx(64 * 0.69 * 1.2, abs=1e-12)
    assert row.f_mg_tier == "tier2_submitted"
    assert row.factor_tier == "tier1_default,tier2_submitted"
    assert row.f_mg_source == "submitted: national trial network"


def test_missing_factor_names_the_stratum():
    # 2019 Table 2.3 has no spodic value for warm temperate dry: a clear error, not a NaN.
    areas = _areas([(2000, 2001, "grassland", "nominal", "not_applicable", 1.0)])
    areas["climate_zone"] = "warm_temperate_dry"
    areas["soil_class"] = "spodic"
    with pytest.raises(MissingFactorError, match="warm_temperate_dry/spodic/grassland.*SOC_REF"):
        compute_mineral_inventory(areas, factors.factor_table("2019"), EngineOptions(mc_draws=0))


SOC_REF_WTM_LAC_2019 = 55.0  # 2019 Vol.4 Ch.2 Table 2.3, warm temperate moist, LAC


def test_conversions_are_found_within_climate_soil_cells():
    """Cropland and grassland swap soils in 2010 while both keep 100 ha nationally: that is land
    conversion (per cell), not a change of stock on remaining land.

    Cell HAC: cropland 100 ha (2000-2009) -> grassland 100 ha (2010 on).
    Cell LAC: grassland 100 ha (2000-2009) -> cropland 100 ha (2010 on).
    Year 2010, history = first year 2000, so SOC(y - D) = SOC(2000):
      HAC: crop  0 - 100 x 64 x 0.69 = -4416 t C; grass 100 x 64 - 0 = +6400 t C
           -> land_converted_to_grassland (6400 - 4416) / 20 = 99.2 t C/yr
      LAC: grass 0 - 100 x 55 = -5500 t C; crop 100 x 55 x 0.69 - 0 = +3795 t C
           -> land_converted_to_cropland (3795 - 5500) / 20 = -85.25 t C/yr
      remaining categories: 0 ha persisting in either cell -> 0 t C/yr
      national: (10195 - 9916) / 20 = 13.95 t C/yr = 99.2 - 85.25
    """
    rows = []
    for year in range(2000, 2025):
        swapped = year >= 2010
        crop_soil, grass_soil = ("lac", "hac") if swapped else ("hac", "lac")
        rows += [
            {"country": "URY", "year": year, "climate_zone": "warm_temperate_moist",
             "soil_class": crop_soil, "land_use": "cropland", "management": "full_tillage",
             "input": "medium", "area_ha": 100.0},
            {"country": "URY", "year": year, "climate_zone": "warm_temperate_moist",
             "soil_class": grass_soil, "land_use": "grassland", "management": "nominal",
             "input": "not_applicable", "area_ha": 100.0},
        ]  # fmt: skip
    result = compute_mineral_inventory(
        pd.DataFrame(rows), factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    assert _change(result, 2010, "land_converted_to_grassland").dC_tc_per_yr == pytest.approx(
        (SOC_REF_WTM_HAC_2019 * 100 - SOC_REF_WTM_HAC_2019 * F_LU_CROP_WTM_2019 * 100) / D
    )
    assert _change(result, 2010, "land_converted_to_cropland").dC_tc_per_yr == pytest.approx(-85.25)
    assert _change(result, 2010, "land_converted_to_grassland").area_ha == 100.0
    assert _change(result, 2010, "cropland_remaining_cropland").dC_tc_per_yr == 0.0
    national = result.stock_changes.groupby("year")["dC_tc_per_yr"].sum()
    assert national[2010] == pytest.approx(13.95)
    assert national[2009] == 0.0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # T = 10 <= D = 20: (SOC(2010) - SOC(2000)) / D = (1100 - 1000) / 20 = 5 t C/yr
        (2000, 2010, 5.0),
        # T = 30 > D: divide by T (Eq. 2.25 text): (1300 - 1000) / 30 = 10 t C/yr
        (2000, 2030, 10.0),
    ],
)
def test_period_variant_divides_by_t_when_t_exceeds_d(start, end, expected):
    from inventory.engine.mineral_soils.mineral import period_stock_change

    stocks = pd.DataFrame({
        "country": "URY", "year": [2000, 2010, 2030], "land_use": "cropland",
        "stock_tc": [1000.0, 1100.0, 1300.0],
    })  # fmt: skip
    out = period_stock_change(stocks, start_year=start, end_year=end).set_index("land_use")
    assert out.loc["cropland", "dC_tc_per_yr"] == pytest.approx(expected, abs=1e-12)
    assert out.loc["all", "dC_tc_per_yr"] == pytest.approx(expected, abs=1e-12)
    assert out.loc["all", "divisor_years"] == max(end - start, D)
