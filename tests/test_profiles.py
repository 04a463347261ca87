"""inventory.harmonise.profiles: worked example with every intermediate value, flags, contracts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from inventory.harmonise import depth, methods, profiles

SITE = {
    "lat": -1.5,
    "lon": 36.8,
    "year": 2020,
    "land_use": "cropland",
    "management": "full_tillage",
    "input": "medium",
    "climate_zone": "tropical_montane",
    "soil_class": "hac",
}


def _row(pid, upper, lower, soc, soc_unit, method, bd, bd_unit, coarse):
    return {
        "profile_id": pid,
        **SITE,
        "upper_cm": upper,
        "lower_cm": lower,
        "soc": soc,
        "soc_unit": soc_unit,
        "soc_method": method,
        "bulk_density": bd,
        "bd_unit": bd_unit,
        "coarse_fragments_pct": coarse,
    }


def minimal() -> pd.DataFrame:
    """A: two horizons (one Walkley-Black, no BD, no coarse); B: organic layer + LOI in kg/m3;
    C: overlapping horizons (dropped)."""
    return pd.DataFrame(
        [
            _row("A", 0, 20, 2.0, "%", "dry_combustion", 1.2, "g/cm3", 10.0),
            _row("A", 20, 50, 10.0, "g/kg", "walkley_black", None, None, None),
            _row("B", -5, 0, 300.0, "g/kg", "dry_combustion", 0.1, "g/cm3", 0.0),
            _row("B", 0, 40, 3.0, "%", "loss_on_ignition", 1300.0, "kg/m3", 0.0),
            _row("C", 0, 20, 1.0, "%", "dry_combustion", 1.3, "g/cm3", 0.0),
            _row("C", 10, 30, 1.0, "%", "dry_combustion", 1.3, "g/cm3", 0.0),
        ]
    )


# Worked example, profile A (hand arithmetic):
A1_SOC = 20.0  # 2.0 % x 10 g/kg per %
A1_STOCK = 20.0 * 1.2 * 20 * (1 - 0.10) / 10  # = 43.2 t C/ha
A2_SOC = 10.0 * 1.33  # Walkley-Black x 1.33 = 13.3 g/kg
A2_BD = 1.660 - 0.318 * math.sqrt(1.33)  # Manrique & Jones (1991), OC = 1.33 % -> 1.29326...
A2_STOCK = A2_SOC * A2_BD * 30 / 10  # coarse defaulted to 0 %
A_0_30 = A1_STOCK + A2_STOCK * 10 / 30
A_30_100 = A2_STOCK * 20 / 30
# Profile B: LOI 30 g/kg x 0.58 = 17.4 g/kg, BD 1300 kg/m3 = 1.3 g/cm3, 0-40 cm.
B_STOCK = 17.4 * 1.3 * 40 / 10  # = 90.48


def test_worked_example_horizons():
    out = profiles.harmonise_profiles(minimal())
    a = out.horizons[out.horizons.profile_id == "A"]
    np.testing.assert_allclose(a.soc_g_per_kg, [A1_SOC, A2_SOC])
    np.testing.assert_allclose(a.method_factor, [1.0, 1.33])
    assert a.method_converted.tolist() == [False, True]
    np.testing.assert_allclose(a.bd_g_per_cm3, [1.2, A2_BD])
    assert a.bd_imputed.tolist() == [False, True]
    assert a.bd_method.tolist() == ["measured", "manrique_jones_1991"]
    np.testing.assert_allclose(a.coarse_fraction, [0.1, 0.0])
    assert a.coarse_defaulted.tolist() == [False, True]
    np.testing.assert_allclose(a.stock_tc_per_ha, [A1_STOCK, A2_STOCK])
    b = out.horizons[out.horizons.profile_id == "B"]
    assert len(b) == 1 and b.stock_tc_per_ha.iloc[0] == pytest.approx(B_STOCK)
    assert list(out.horizons.columns) == profiles.HORIZON_COLUMNS


def test_worked_example_intervals_overlap():
    out = profiles.harmonise_profiles(minimal())
    a = out.intervals[out.intervals.profile_id == "A"]
    np.testing.assert_allclose(a.stock_tc_per_ha, [A_0_30, A_30_100])
    np.testing.assert_allclose(a.coverage_fraction, [1.0, 20 / 70])
    assert a.any_bd_imputed.tolist() == [True, True]  # the imputed 20-50 cm touches both
    b = out.intervals[out.intervals.profile_id == "B"]
    np.testing.assert_allclose(b.stock_tc_per_ha, [B_STOCK * 30 / 40, B_STOCK * 10 / 40])
    assert b.any_bd_imputed.tolist() == [False, False]
    assert set(out.intervals.profile_id) == {"A", "B"}
    assert list(out.intervals.columns) == profiles.INTERVAL_COLUMNS
    assert (out.intervals.depth_method == "overlap").all()


def test_cleaning_report_names_rows():
    out = profiles.harmonise_profiles(minimal())
    assert out.cleaning[["row", "action"]].values.tolist() == [
        [2, "dropped_organic_above_surface"],
        [4, "dropped_profile_overlapping_horizons"],
        [5, "dropped_profile_overlapping_horizons"],
    ]


def test_spline_method_matches_depth_module():
    out = profiles.harmonise_profiles(minimal(), depth_method="spline", targets=depth.GSM_INTERVALS)
    a = out.intervals[out.intervals.profile_id == "A"]
    expected, coverage = depth.spline_stocks(
        np.zeros(2, int),
        np.array([0.0, 20.0]),
        np.array([20.0, 50.0]),
        np.array([A1_STOCK, A2_STOCK]),
        targets=depth.GSM_INTERVALS,
    )
    np.testing.assert_allclose(a.stock_tc_per_ha, expected[0], equal_nan=True)
    np.testing.assert_allclose(a.coverage_fraction, [1, 1, 1, 2 / 3, 0, 0])
    assert a.stock_tc_per_ha.iloc[:4].sum() == pytest.approx(A1_STOCK + A2_STOCK, rel=0.02)


def test_total_carbon_refused_unless_declared_inorganic_free():
    frame = minimal()
    frame.loc[1, "soc_method"] = "total_carbon"
    with pytest.raises(methods.MethodError) as err:
        profiles.harmonise_profiles(frame)
    assert err.value.errors["row"].tolist() == [1]
    ok = profiles.harmonise_profiles(frame, method_options={"total_carbon_inorganic_free": True})
    assert ok.horizons.method_factor.iloc[1] == 1.0


def test_pedotransfer_option_and_organic_material_not_imputed():
    frame = minimal()
    frame.loc[3, ["bulk_density", "bd_unit", "soc", "soc_unit"]] = [None, None, 400.0, "g/kg"]
    out = profiles.harmonise_profiles(frame, method_options={"bd_pedotransfer": "alexander_1980"})
    a2 = out.horizons.iloc[1]
    assert a2.bd_g_per_cm3 == pytest.approx(1.72 - 0.294 * math.sqrt(1.33))
    b = out.horizons[out.horizons.profile_id == "B"].iloc[0]  # LOI 400 x 0.58 = 232 g/kg
    assert math.isnan(b.stock_tc_per_ha) and b.bd_method == "none_organic_material"
    assert "bd_not_imputed_organic_material" in set(out.cleaning.action)
    b_int = out.intervals[out.intervals.profile_id == "B"]
    assert b_int.stock_tc_per_ha.isna().all() and (b_int.coverage_fraction == 0).all()


def test_missing_soc_is_dropped_and_reported():
    frame = minimal()
    frame.loc[0, "soc"] = None
    out = profiles.harmonise_profiles(frame)
    assert out.cleaning.action.iloc[0] == "dropped_missing_soc"
    a = out.intervals[out.intervals.profile_id == "A"]
    assert a.coverage_fraction.iloc[0] == pytest.approx(10 / 30)


def test_empty_submission():
    out = profiles.harmonise_profiles(minimal().iloc[:0])
    assert out.horizons.empty and out.intervals.empty and out.cleaning.empty
    assert int(out.horizons["bd_imputed"].sum()) == 0
    assert list(out.intervals.columns) == profiles.INTERVAL_COLUMNS


def test_bad_arguments():
    with pytest.raises(ValueError, match="depth_method"):
        profiles.harmonise_profiles(minimal(), depth_method="linear")
    with pytest.raises(ValueError, match="bd_pedotransfer"):
        profiles.harmonise_profiles(minimal(), method_options={"bd_pedotransfer": "guess"})
