"""N2O from soil carbon loss (IPCC 2006 Vol.4 Ch.11 Eq. 11.8) next to the stock changes.

F_SOM = C loss / R [t N], N2O = F_SOM x EF1 x 44/28. Defaults (inventory/data/ipcc/
n2o_soil_parameters.csv): R = 15 for land-use change, 10 for cropland remaining cropland
(2006 Ch.11 text of Eq. 11.8); EF1 = 0.010 (2019 Table 11.1 aggregated), 0.01 (2006).
Stock changes as in tests/test_mineral.py (SOC_REF 64, F_LU 0.69, no-till 1.10, D = 20).
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, nitrogen
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions

N2O_PER_N = 44 / 28  # hand arithmetic only


def _areas(rows):
    """rows: (first_year, last_year, land_use, management, input, area_ha)."""
    return pd.DataFrame([
        {"country": "URY", "year": y, "climate_zone": "warm_temperate_moist", "soil_class": "hac",
         "land_use": lu, "management": mg, "input": inp, "area_ha": area}
        for first, last, lu, mg, inp, area in rows for y in range(first, last + 1)
    ])  # fmt: skip


def _n2o(stock_changes: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return nitrogen.soc_loss_n2o(sql_models.connect(), stock_changes, **kwargs)


def _category(frame: pd.DataFrame, year: int, category: str) -> pd.Series:
    rows = frame[(frame.year == year) & (frame.land_use_category == category)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_conversion_to_cropland_is_lulucf_with_cn_15():
    # 1 ha native -> cropland in 2001: loss (64 - 44.16) / 20 = 0.992 t C/yr for 20 years
    # F_SOM = 0.992 / 15 = 0.0661333 t N; N2O = 0.0661333 x 0.010 x 44/28 = 0.00103924 t N2O
    areas = _areas([(2000, 2000, "native", "not_applicable", "not_applicable", 1.0),
                    (2001, 2024, "cropland", "full_tillage", "medium", 1.0)])  # fmt: skip
    changes = compute_mineral_inventory(
        areas, factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    out = _n2o(changes.stock_changes)
    row = _category(out, 2005, "land_converted_to_cropland")
    assert (row.reporting_category, row.cn_ratio, row.ef1) == ("4(III)", 15.0, 0.010)
    assert row.soc_loss_tc_per_yr == pytest.approx(0.992, abs=1e-12)
    assert row.f_som_t_n_per_yr == pytest.approx(0.992 / 15, abs=1e-12)
    assert row.n2o_t == pytest.approx(0.992 / 15 * 0.010 * N2O_PER_N, abs=1e-12)
    assert row.n2o_t == pytest.approx(0.00103924, abs=1e-8)
    # AR5 GWP100 of N2O = 265: 0.00103924 x 265 = 0.275399 t CO2e
    assert row.co2e_t == pytest.approx(0.00103924 * 265, abs=1e-5)
    assert _category(out, 2024, "cropland_remaining_cropland").n2o_t == 0.0  # loss over


def test_tillage_loss_on_cropland_remaining_is_agriculture_with_cn_10():
    # 100 ha no-till until 2009, full tillage from 2010: (44.16 - 48.576) x 100 / 20
    # = -22.08 t C/yr; F_SOM = 22.08 / 10 = 2.208 t N; N2O = 2.208 x 0.010 x 44/28
    # = 0.0346971 t N2O/yr, reported in 3.D
    areas = _areas([(1990, 2009, "cropland", "no_tillage", "medium", 100.0),
                    (2010, 2020, "cropland", "full_tillage", "medium", 100.0)])  # fmt: skip
    changes = compute_mineral_inventory(
        areas, factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    out = _n2o(changes.stock_changes)
    row = _category(out, 2012, "cropland_remaining_cropland")
    assert (row.reporting_category, row.cn_ratio) == ("3.D", 10.0)
    assert row.soc_loss_tc_per_yr == pytest.approx(22.08, abs=1e-9)
    assert row.n2o_t == pytest.approx(2.208 * 0.010 * N2O_PER_N, abs=1e-12)
    con = sql_models.connect()
    agriculture = nitrogen.agriculture_n2o(con, _no_organic(), out)
    som = agriculture[(agriculture.year == 2012)].iloc[0]
    assert (som.category_code, som.source_category) == ("3.D", "soil_organic_matter_loss")
    assert som.crt_code == "3.D.1.e"  # CRT: mineralization associated with loss of SOM
    assert (som.n_mineralised_t, som.n2o_t) == pytest.approx((2.208, 0.0346971), abs=1e-7)


def test_gains_mineralise_nothing_and_country_cn_wins():
    changes = pd.DataFrame({
        "country": "URY", "year": 2020, "land_use": ["cropland", "grassland"],
        "land_use_category": ["cropland_remaining_cropland", "grassland_remaining_grassland"],
        "dC_tc_per_yr": [5.0, -12.0],
    })  # fmt: skip
    out = _n2o(changes, edition="2006", tier=2, cn_ratios=pd.DataFrame({
        "country": ["URY"], "land_use_category": ["grassland_remaining_grassland"],
        "cn_ratio": [12.0], "source": ["national soil survey C:N"]}))  # fmt: skip
    assert _category(out, 2020, "cropland_remaining_cropland").n2o_t == 0.0  # a gain
    grass = _category(out, 2020, "grassland_remaining_grassland")
    # Tier 2 C:N 12: F_SOM = 12 / 12 = 1 t N; 2006 EF1 0.01: N2O = 1 x 0.01 x 44/28 = 0.0157143
    assert (grass.cn_ratio, grass.cn_source) == (12.0, "country-specific: national soil survey C:N")
    assert grass.n2o_t == pytest.approx(0.01 * N2O_PER_N, abs=1e-12)
    assert grass.reporting_category == "4(III)"


def _three_categories(cropland_remaining=-12.0, converted=-8.0, grassland=10.0):
    return pd.DataFrame({
        "country": "URY", "year": 2020, "land_use": ["cropland", "cropland", "grassland"],
        "land_use_category": ["cropland_remaining_cropland", "land_converted_to_cropland",
                              "grassland_remaining_grassland"],
        "dC_tc_per_yr": [cropland_remaining, converted, grassland],
    })  # fmt: skip


def test_tier1_nets_the_national_change_and_attributes_it_to_the_losing_categories():
    out = _n2o(_three_categories(), tier=1).set_index("land_use_category")
    # national net: -12 - 8 + 10 = -10 t C/yr, a loss of 10; losing categories 12 + 8 = 20:
    # cropland remaining 10 x 12/20 = 6, converted 10 x 8/20 = 4 t C/yr
    assert out["scope_net_loss_tc_per_yr"].tolist() == [10.0, 10.0, 10.0]
    assert set(out["netting_scope"]) == {"national"}
    assert out.loc["cropland_remaining_cropland", "attributed_loss_tc_per_yr"] == 6.0
    assert out.loc["land_converted_to_cropland", "attributed_loss_tc_per_yr"] == 4.0
    # F_SOM = 6 / 10 = 0.6 t N (R 10) and 4 / 15 = 0.266667 t N (R 15);
    # N2O = 0.6 x 0.010 x 44/28 = 0.00942857, 0.266667 x 0.010 x 44/28 = 0.00419048 t N2O
    assert out["n2o_t"].tolist() == pytest.approx([0.00942857, 0.00419048, 0.0], abs=1e-8)
    assert out["crt_code"].tolist() == ["3.D.1.e", "4(III).B.2", "4(III).C.1"]
    assert set(out["ef1_option"]) == {"aggregated"}


def test_tier1_national_net_gain_gives_no_n2o_tier2_nets_by_land_use():
    # cropland remaining -3 (a loss), grassland +5: national net +2, a gain -> 0 at Tier 1
    changes = _three_categories(cropland_remaining=-3.0, converted=0.0, grassland=5.0)
    assert _n2o(changes, tier=1)["n2o_t"].tolist() == [0.0, 0.0, 0.0]
    # Tier 2: cropland nets -3 + 0 = -3: F_SOM = 3 / 10 = 0.3 t N,
    # N2O = 0.3 x 0.010 x 44/28 = 0.00471429 t N2O; grassland's gain mineralises nothing
    tier2 = _n2o(changes, tier=2).set_index("land_use_category")
    assert tier2.loc["cropland_remaining_cropland", "netting_scope"] == "cropland"
    assert tier2["n2o_t"].tolist() == pytest.approx([0.00471429, 0.0, 0.0], abs=1e-8)


def test_disaggregated_ef1_weights_wet_and_dry_climate_by_area():
    areas = pd.DataFrame({
        "country": "URY", "year": 2020, "land_use": ["cropland", "cropland", "grassland"],
        "climate_zone": ["warm_temperate_moist", "warm_temperate_dry", "warm_temperate_dry"],
        "area_ha": [75.0, 25.0, 50.0],
    })  # fmt: skip
    out = _n2o(_three_categories(), tier=2, ef1_option="disaggregated", areas=areas)
    crop = _category(out, 2020, "cropland_remaining_cropland")
    # 2019 Table 11.1: wet (other N inputs) 0.006, dry 0.005; cropland 75 % wet:
    # EF1 = 0.75 x 0.006 + 0.25 x 0.005 = 0.00575; Tier 2 cropland net loss 20, all of the
    # remaining's 12: F_SOM = 12 / 10 = 1.2 t N, N2O = 1.2 x 0.00575 x 44/28 = 0.0108429
    assert crop.ef1 == pytest.approx(0.00575, abs=1e-12)
    assert crop.n2o_t == pytest.approx(0.0108429, abs=1e-7)
    assert crop.ef1_option == "disaggregated"
    assert "wet 0.006" in crop.ef1_source
    assert _category(out, 2020, "grassland_remaining_grassland").ef1 == pytest.approx(0.005)


def _no_organic() -> pd.DataFrame:
    return pd.DataFrame({
        "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
        "land_use": pd.Series(dtype="str"), "component": pd.Series(dtype="str"),
        "area_ha": pd.Series(dtype="float64"), "emission": pd.Series(dtype="float64"),
        "co2e_t": pd.Series(dtype="float64"),
    })  # fmt: skip
