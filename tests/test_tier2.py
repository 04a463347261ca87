"""Tier 2 factors from harmonised profiles, worked by hand (IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1).

Statistics per stratum: mean, s (n - 1), SE = s / sqrt(n); uncertainty = 95 % half-width in %:
U = t(0.975, n - 1) x SE / mean x 100 (SOC_REF; Student t, 2.776445 for n = 5, where the normal
1.96 would give an interval 29 % too narrow), U = sqrt(U_num^2 + U_ref^2) for a ratio (IPCC 2006
Vol.1 Ch.3 Eq. 3.1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory.core import vocab
from inventory.engine.mineral_soils import factors, tier2
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.uncertainty import montecarlo

ZONE, SOIL = "warm_temperate_moist", "hac"
# native: 50, 55, 60, 65, 70 -> mean 60; deviations -10, -5, 0, 5, 10 -> s^2 = 250 / 4 = 62.5,
# s = 7.905694, SE = 7.905694 / sqrt(5) = 3.535534 t C/ha
NATIVE = [50.0, 55.0, 60.0, 65.0, 70.0]
NATIVE_MEAN, NATIVE_SE = 60.0, math.sqrt(62.5 / 5)
# cropland, full tillage, medium input: 30 .. 50 -> mean 40, same spread: SE = 3.535534
CROP = [30.0, 35.0, 40.0, 45.0, 50.0]
CROP_MEAN, CROP_SE = 40.0, math.sqrt(62.5 / 5)
# Student t quantile for n = 5 profiles, df = 4 (printed t tables: 2.776)
T_975_DF4 = 2.7764451051977934
# SOC_REF U = 2.776445 x 3.535534 / 60 x 100 = 16.3604 % (with 1.96: 11.5492 %, 29 % narrower)
U_SOC_REF = 100 * T_975_DF4 * NATIVE_SE / NATIVE_MEAN
# F_LU = 40 / 60 = 0.666667; U_num = 2.776445 x 3.535534 / 40 x 100 = 24.5405 %,
# U = sqrt(24.5405^2 + 16.3604^2) = 29.4941 %
F_LU = CROP_MEAN / NATIVE_MEAN
U_F_LU = math.hypot(100 * T_975_DF4 * CROP_SE / CROP_MEAN, U_SOC_REF)


def _interval(profile: str, land_use: str, management: str, inp: str, stock: float, **extra):
    row = {
        "country": "URY", "profile_id": profile, "year": 2015, "lat": -33.0, "lon": -56.0,
        "climate_zone": ZONE, "soil_class": SOIL, "land_use": land_use,
        "management": management, "input": inp, "upper_cm": 0.0, "lower_cm": 30.0,
        "stock_tc_per_ha": stock, "coverage_fraction": 1.0, "depth_method": "spline",
    }  # fmt: skip
    return row | extra


def _intervals() -> pd.DataFrame:
    rows = [_interval(f"n{i}", "native", "not_applicable", "not_applicable", v)
            for i, v in enumerate(NATIVE)]  # fmt: skip
    rows += [
        _interval(f"c{i}", "cropland", "full_tillage", "medium", v) for i, v in enumerate(CROP)
    ]
    # rows that must not count:
    rows += [
        # poorly covered 0-30 cm layer (coverage 0.8 < 0.9)
        _interval("n-low", "native", "not_applicable", "not_applicable", 500.0,
                  coverage_fraction=0.8),
        # a deeper interval of a counted profile
        _interval("n0", "native", "not_applicable", "not_applicable", 900.0,
                  upper_cm=30.0, lower_cm=100.0),
    ]  # fmt: skip
    # profile c0 re-sampled: 28 in 2015 and 32 in 2020 count once, as (28 + 32) / 2 = 30
    rows[len(NATIVE)]["stock_tc_per_ha"] = 28.0
    rows.append(_interval("c0", "cropland", "full_tillage", "medium", 32.0, year=2020))
    # only 4 no-till profiles: below min_profiles = 5, so no F_MG for no-till
    rows += [_interval(f"z{i}", "cropland", "no_tillage", "medium", 44.0 + i) for i in range(4)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def derived():
    return tier2.derive_factors(_intervals())


def _factor(table: pd.DataFrame, factor: str, level: str = "*") -> pd.Series:
    rows = table[(table.factor == factor) & (table.level == level)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_stratum_statistics(derived):
    diag = derived.diagnostics.set_index(["land_use", "management", "input"])
    native = diag.loc[("native", "*", "*")]
    assert native.n_profiles == 5  # n-low (coverage) and the 30-100 cm row left out
    assert native.mean_tc_per_ha == pytest.approx(NATIVE_MEAN, abs=1e-12)
    assert native.sd_tc_per_ha == pytest.approx(math.sqrt(62.5), abs=1e-12)
    assert native.se_tc_per_ha == pytest.approx(NATIVE_SE, abs=1e-12)
    crop = diag.loc[("cropland", "full_tillage", "medium")]
    assert crop.n_profiles == 5  # c0 once
    assert crop.mean_tc_per_ha == pytest.approx(CROP_MEAN, abs=1e-12)
    notill = diag.loc[("cropland", "no_tillage", "medium")]
    # 44, 45, 46, 47: mean 45.5, s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3
    assert (notill.n_profiles, notill.sufficient) == (4, False)
    assert notill.se_tc_per_ha == pytest.approx(math.sqrt(5 / 3 / 4), abs=1e-12)


def test_soc_ref_from_native_profiles(derived):
    row = _factor(derived.factors, "SOC_REF")
    assert (row.country, row.climate_zone, row.soil_class, row.land_use) == ("URY", ZONE, SOIL, "*")
    assert row.value == pytest.approx(60.0, abs=1e-12)
    assert row.uncertainty_pct == pytest.approx(U_SOC_REF, abs=1e-9)  # 16.3604 %
    assert row.uncertainty_pct == pytest.approx(16.3604, abs=1e-4)
    assert (row.tier, row.priority) == ("tier2_derived", vocab.FACTOR_PRIORITY["tier2_derived"])
    assert "n=5 mean=60.00 SE=3.54 t C/ha" in row.source


def test_land_use_factor_is_a_ratio_of_means(derived):
    for level in ("full_tillage", "reduced_tillage", "no_tillage"):  # long-term cultivated
        row = _factor(derived.factors, "F_LU", level)
        assert row.land_use == "cropland"
        assert row.value == pytest.approx(F_LU, abs=1e-12)  # 40 / 60
        assert row.uncertainty_pct == pytest.approx(U_F_LU, abs=1e-9)  # 29.4941 %
        assert row.uncertainty_pct == pytest.approx(29.4941, abs=1e-4)
        assert "cropland/full_tillage/medium n=5 mean=40.00" in row.source
        assert "native/*/* n=5 mean=60.00" in row.source


def test_no_factor_from_too_few_profiles(derived):
    assert not ((derived.factors.factor == "F_MG") & (derived.factors.level == "no_tillage")).any()
    assert set(derived.factors.factor) == {"SOC_REF", "F_LU"}
    assert list(derived.factors.columns) == [*vocab.FACTOR_COLUMNS, *vocab.DRAW_COLUMNS]


def test_min_profiles_is_a_parameter():
    more = tier2.derive_factors(_intervals(), min_profiles=4).factors
    # F_MG no-till = 45.5 / 40 = 1.1375 once 4 profiles suffice
    assert _factor(more, "F_MG", "no_tillage").value == pytest.approx(45.5 / 40, abs=1e-12)
    none = tier2.derive_factors(_intervals(), min_profiles=6).factors
    assert none.empty


def test_derived_factor_wins_in_a_run(derived):
    # 2 ha of full-tillage cropland in the derived stratum; IPCC default would be
    # 2 x 64 x 0.69 = 88.32 t C, derived: 2 x 60 x 0.666667 x 1 x 1 = 80 t C
    areas = pd.DataFrame({
        "country": "URY", "year": [2000, 2001], "climate_zone": ZONE, "soil_class": SOIL,
        "land_use": "cropland", "management": "full_tillage", "input": "medium", "area_ha": 2.0,
    })  # fmt: skip
    table = factors.factor_table("2019", derived=derived.factors)
    row = compute_mineral_inventory(areas, table, EngineOptions(mc_draws=0)).soc_stocks.iloc[0]
    assert (row.soc_ref, row.f_lu) == (pytest.approx(60.0), pytest.approx(F_LU))
    assert row.stock_tc == pytest.approx(80.0, abs=1e-9)
    assert (row.soc_ref_tier, row.f_lu_tier, row.f_mg_tier) == (
        "tier2_derived", "tier2_derived", "tier1_default")  # fmt: skip
    assert row.factor_tier == "tier1_default,tier2_derived"
    # a submitted factor still wins over the derived one
    submitted = pd.DataFrame({
        "country": ["URY"], "factor": ["SOC_REF"], "climate_zone": [ZONE], "soil_class": [SOIL],
        "land_use": [None], "level": [None], "value": [70.0], "uncertainty_pct": [8.0],
        "source": ["national soil survey 2019"],
    })  # fmt: skip
    table = factors.factor_table("2019", submitted=submitted, derived=derived.factors)
    row = compute_mineral_inventory(areas, table, EngineOptions(mc_draws=0)).soc_stocks.iloc[0]
    assert (row.soc_ref, row.soc_ref_tier) == (70.0, "tier2_submitted")
    assert row.f_lu_tier == "tier2_derived"


def test_derived_factor_leaves_other_countries_alone(derived):
    areas = pd.DataFrame({
        "country": "ARG", "year": [2000], "climate_zone": ZONE, "soil_class": SOIL,
        "land_use": "cropland", "management": "full_tillage", "input": "medium", "area_ha": 1.0,
    })  # fmt: skip
    table = factors.factor_table("2019", derived=derived.factors)
    row = compute_mineral_inventory(areas, table, EngineOptions(mc_draws=0)).soc_stocks.iloc[0]
    assert (row.soc_ref, row.factor_tier) == (64.0, "tier1_default")


def test_ratio_definitions_are_checked():
    table = tier2.ratio_definitions()
    assert set(table.factor) == set(vocab.FACTORS)
    assert table.source.notna().all()


def test_student_t_quantiles_match_printed_tables():
    # two-sided 95 % t quantiles, df = 1, 4, 9, 29 (any t table): 12.706, 2.776, 2.262, 2.045;
    # 1.96 is the limit for df -> infinity
    got = montecarlo.student_t_975([1, 4, 9, 29])
    assert got == pytest.approx([12.7062, 2.7764, 2.2622, 2.0452], abs=1e-4)
    assert float(montecarlo.student_t_975(1e9)) == pytest.approx(montecarlo.Z_95, abs=1e-6)


def test_partial_coverage_is_scaled_to_the_full_layer():
    """A 0-27 cm profile (coverage 0.9) holding 54 t C/ha enters as 54 / 0.9 = 60 t C/ha.

    Native stocks 50, 55, 65, 70 and the scaled 60: mean 60, n 5, one profile flagged; entered
    unscaled it would give (50 + 55 + 54 + 65 + 70) / 5 = 58.8 t C/ha (2 % low).
    """
    rows = [_interval(f"n{i}", "native", "not_applicable", "not_applicable", v)
            for i, v in enumerate([50.0, 55.0, 65.0, 70.0])]  # fmt: skip
    rows.append(_interval("n-27cm", "native", "not_applicable", "not_applicable", 54.0,
                          coverage_fraction=0.9))  # fmt: skip
    out = tier2.derive_factors(pd.DataFrame(rows))
    native = out.diagnostics.iloc[0]
    assert (native.n_profiles, native.n_scaled) == (5, 1)
    assert native.mean_tc_per_ha == pytest.approx(60.0, abs=1e-12)
    assert _factor(out.factors, "SOC_REF").value == pytest.approx(60.0, abs=1e-12)


def test_soc_ref_and_land_use_ratio_are_drawn_jointly(derived):
    """SOC_REF = native mean, F_LU = crop mean / native mean: in every Monte Carlo draw their
    product is the drawn crop mean, so the cropland stock carries only the crop mean's
    uncertainty (U_num = 24.5405 %), not U_SOC_REF and U_F_LU compounded (sqrt(16.3604^2 +
    29.4941^2) = 33.7282 %, as independent draws would give)."""
    areas = pd.DataFrame({
        "country": "URY", "year": [2000], "climate_zone": ZONE, "soil_class": SOIL,
        "land_use": "cropland", "management": "full_tillage", "input": "medium", "area_ha": 1.0,
    })  # fmt: skip
    table = factors.factor_table("2019", derived=derived.factors)
    result = compute_mineral_inventory(areas, table, EngineOptions(mc_draws=0))
    strata, per_ha = montecarlo.stratum_stock_draws(result.stratum_factors, n_draws=4000, seed=7)
    rows = montecarlo.source_row_draws(result.stratum_factors, n_draws=4000, seed=7)
    crop = rows[rows.source_row == f"tier2 URY {ZONE}/{SOIL} cropland/full_tillage/medium"]
    # SOC_REF x F_LU x F_MG x F_I = native x (crop / native) x 1 x 1 = crop, draw by draw
    assert per_ha[:, 0] == pytest.approx(crop.value.to_numpy(), rel=1e-12)
    assert per_ha[0, 0] == pytest.approx(40.0, abs=1e-12)  # draw 0: 60 x 0.666667
    # the crop mean's draws: 40 + 3.535534 x t(4): 95 % half-width 2.776445 x 3.535534 = 9.8162
    half_width = (np.quantile(per_ha[1:, 0], 0.975) - np.quantile(per_ha[1:, 0], 0.025)) / 2
    assert half_width == pytest.approx(T_975_DF4 * CROP_SE, rel=0.06)
