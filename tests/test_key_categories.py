"""Key category analysis (IPCC 2006 Vol.1 Ch.4), a hand-computed example.

Five categories, base year 2000, year 2020 (t CO2e/yr, + emission, - removal), uncertainty U
for Approach 2 (% of the estimate):

  category                          E_2000  E_2020    U   from
  A 1.A Energy (CO2)                   600     700    5   national totals (submitted)
  B cropland_remaining_cropland        300     200   50   mineral soils (Monte Carlo)
  C land_converted_to_forest_land     -100    -300   80   mineral soils (Approach 1)
  D organic_soils_grassland (N2O)       --      50  100   organic soils (absent in 2000)
  E 5 Waste (CH4)                       50      50   30   national totals (submitted)

Level 2020 (Eq. 4.1): sum |E| = 700 + 200 + 300 + 50 + 50 = 1300;
  L: A 0.5385, C 0.2308, B 0.1538, E 0.0385, D 0.0385 (tie: by category, "5 Waste" first);
  cumulative 0.5385, 0.7692, 0.9231, 0.9615, 1 -> key: A, C, B, E (the one crossing 95 %);
  not key: D.
Trend 2020 (Eq. 4.2): sum |E_0| = 1050, sum E_0 = 850, sum E_t = 700, total trend -3/17;
  T x 1050 = |(E_t - E_0) + 3/17 |E_0||: A 205.882, B 47.059, C 182.353, D 50, E 8.824
  (sum 494.118); shares A 0.4167, C 0.3690, D 0.1012, B 0.0952, E 0.0179;
  cumulative 0.4167, 0.7857, 0.8869, 0.9821, 1 -> key: A, C, D, B; not key: E.
Approach 2 level: L x U x 1300 = A 3500, B 10000, C 24000, D 5000, E 1500 (sum 44000);
  shares C 0.5455, B 0.2273, D 0.1136, A 0.0795, E 0.0341; cumulative 0.5455, 0.7727, 0.8864,
  0.9659 -> key (90 %): C, B, D, A; not key: E.
Approach 2 trend: T x U x 1050 = A 1029.41, B 2352.94, C 14588.24, D 5000, E 264.71
  (sum 23235.29); shares C 0.6278, D 0.2152, B 0.1013, A 0.0443, E 0.0114; cumulative 0.6278,
  0.8430, 0.9443 -> key: C, D, B; not key: A, E.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.reporting_tables import key_categories

SOILS = [  # category, gas, source, E_2000, E_2020, mc U, approach-1 U
    ("cropland_remaining_cropland", "CO2", "mineral_soils", 300.0, 200.0, 50.0, 55.0),
    ("land_converted_to_forest_land", "CO2", "mineral_soils", -100.0, -300.0, None, 80.0),
    ("organic_soils_grassland", "N2O", "organic_soils", None, 50.0, None, 100.0),
]
OTHERS = [("1.A Energy", "CO2", 600.0, 700.0, 5.0), ("5 Waste", "CH4", 50.0, 50.0, 30.0)]
A, B, C, D, E = ("1.A Energy", "cropland_remaining_cropland", "land_converted_to_forest_land",
                 "organic_soils_grassland", "5 Waste")  # fmt: skip


def _analysis(with_totals: bool = True, reported: int = 2020) -> pd.DataFrame:
    emissions, uncertainty = [], []
    for category, gas, source, e0, e1, mc, a1 in SOILS:
        for year, e in ((2000, e0), (2020, e1)):
            if e is None:
                continue
            emissions.append({"country": "KEN", "year": year, "category": category,
                              "gas": gas, "land_use": "x", "source": source,
                              "emissions_co2e_t": e})  # fmt: skip
            uncertainty.append({"country": "KEN", "year": year, "category": category,
                                "gas": gas, "a1_uncertainty_pct": a1,
                                "mc_uncertainty_pct": mc})  # fmt: skip
    totals = pd.DataFrame([
        {"country": "KEN", "year": year, "category": category, "gas": gas,
         "emissions_t_co2e": e, "uncertainty_pct": u}
        for category, gas, e0, e1, u in OTHERS for year, e in ((2000, e0), (2020, e1))
    ])  # fmt: skip
    con = sql_models.connect()
    sql_models.register(con, {
        "soil_category_emissions": pd.DataFrame(emissions),
        "uncertainty_analysis": pd.DataFrame(uncertainty).astype({"mc_uncertainty_pct": float}),
    })  # fmt: skip
    result = key_categories.key_category_analysis(
        con, base_year=2000, national_totals=totals if with_totals else None
    )
    return result[result["year"] == reported]


def _assessment(table: pd.DataFrame, approach: int, assessment: str) -> pd.DataFrame:
    rows = table[(table["approach"] == approach) & (table["assessment"] == assessment)]
    return rows.set_index("category")


def test_level_assessment_approach_1():
    level = _assessment(_analysis(), 1, "level")
    assert level.loc[[A, C, B, E, D], "rank"].tolist() == [1, 2, 3, 4, 5]
    assert level.loc[A, "share"] == pytest.approx(700 / 1300)
    assert level.loc[D, "share"] == pytest.approx(50 / 1300)
    assert level.loc[E, "cumulative_share"] == pytest.approx(1250 / 1300)  # 0.9615
    assert level["is_key"].to_dict() == {A: True, C: True, B: True, E: True, D: False}
    assert set(level["threshold"]) == {0.95} and set(level["scope"]) == {"national"}


def test_trend_assessment_approach_1():
    trend = _assessment(_analysis(), 1, "trend")
    total = 205.882353 + 47.058824 + 182.352941 + 50 + 8.823529  # x 1/1050
    assert trend.loc[A, "assessment_value"] == pytest.approx((100 + 600 * 3 / 17) / 1050)
    assert trend.loc[D, "assessment_value"] == pytest.approx(50 / 1050)  # absent in 2000
    assert trend.loc[C, "share"] == pytest.approx(182.352941 / total, rel=1e-6)
    assert trend.loc[[A, C, D, B, E], "rank"].tolist() == [1, 2, 3, 4, 5]
    assert trend.loc[B, "cumulative_share"] == pytest.approx(
        (205.882353 + 182.352941 + 50 + 47.058824) / total, rel=1e-6
    )  # 0.9821
    assert trend["is_key"].to_dict() == {A: True, C: True, D: True, B: True, E: False}
    assert trend.loc[D, "base_emissions_co2e_t"] == 0.0


def test_approach_2_weighs_by_uncertainty():
    table = _analysis()
    level, trend = _assessment(table, 2, "level"), _assessment(table, 2, "trend")
    # U: B from the Monte Carlo (50, not its Approach 1 55), C and D from Approach 1
    assert level.loc[[A, B, C, D, E], "uncertainty_pct"].tolist() == [5, 50, 80, 100, 30]
    assert level.loc[C, "share"] == pytest.approx(24000 / 44000)
    assert level.loc[[C, B, D, A, E], "rank"].tolist() == [1, 2, 3, 4, 5]
    assert level["is_key"].to_dict() == {C: True, B: True, D: True, A: True, E: False}
    assert set(level["threshold"]) == {0.90}
    assert trend.loc[[C, D, B, A, E], "rank"].tolist() == [1, 2, 3, 4, 5]
    assert trend.loc[B, "cumulative_share"] == pytest.approx(
        (14588.235294 + 5000 + 2352.941176) / 23235.294118, rel=1e-6
    )  # 0.9443
    assert trend["is_key"].to_dict() == {C: True, D: True, B: True, A: False, E: False}


def test_without_national_totals_the_analysis_is_lulucf_only():
    level = _assessment(_analysis(with_totals=False), 1, "level")
    assert set(level.index) == {B, C, D} and set(level["scope"]) == {"lulucf_only"}
    # |E|: 200 + 300 + 50 = 550 -> C 0.5455, B 0.3636, D 0.0909 (cumulative before D 0.909)
    assert level.loc[C, "share"] == pytest.approx(300 / 550)
    assert level["is_key"].to_dict() == {C: True, B: True, D: True}


def test_base_year_has_a_level_assessment_only():
    table = _analysis(reported=2000)
    assert set(table["assessment"]) == {"level"}
    level = _assessment(table, 1, "level")
    # 2000: |E| 600 + 300 + 100 + 50 = 1050 (D absent)
    assert level.loc[A, "share"] == pytest.approx(600 / 1050) and D not in level.index


def test_category_gone_in_year_t_stays_in_the_trend_assessment():
    """A category of the base year absent in year t enters Eq. 4.2 with E_x,t = 0.

    Base year 2000, year 2020 (t CO2e/yr), U (%):
      A 1.A Energy                      600 -> 700    5  (national totals)
      B cropland_remaining_cropland     300 -> 200   50  (Monte Carlo)
      G organic_soils_forest_land       100 ->  --   40  (Approach 1, base year; gone in 2020)
      E 5 Waste                          50 ->  50   30  (national totals)
    sum |E_0| = 1050, sum E_0 = 1050, sum E_t = 950, total trend -100/1050 = -2/21.
    T x 1050 = |(E_t - E_0) + |E_0| x 2/21|: A 100 + 1200/21 = 3300/21, B |-100 + 600/21| =
    1500/21, G |-100 + 200/21| = 1900/21, E 100/21 (sum 6800/21);
    shares A 0.4853, G 0.2794, B 0.2206, E 0.0147; cumulative before E 6700/6800 = 0.9853
    -> key: A, G, B; not key: E. (Year-t categories only, G would drop out: sum |E_0| = 950,
    total trend 0, T = A 100/950, B 100/950, E 0.)
    Approach 2: T x U x 21 = A 16500, G 76000, B 75000, E 3000 (sum 170500); cumulative G
    0.4457, B 0.8856, A 0.9824 -> key: G, B, A (0.8856 before A is below 0.90); not key: E.
    """
    g = "organic_soils_forest_land"
    emissions = [
        {"country": "KEN", "year": y, "category": c, "gas": "CO2", "land_use": "x",
         "source": s, "emissions_co2e_t": e}
        for y, c, s, e in ((2000, B, "mineral_soils", 300.0), (2020, B, "mineral_soils", 200.0),
                           (2000, g, "organic_soils", 100.0))
    ]  # fmt: skip
    uncertainty = [
        {"country": "KEN", "year": y, "category": c, "gas": "CO2", "a1_uncertainty_pct": a1,
         "mc_uncertainty_pct": mc}
        for y, c, a1, mc in ((2000, B, 55.0, 50.0), (2020, B, 55.0, 50.0),
                             (2000, g, 40.0, None))
    ]  # fmt: skip
    totals = pd.DataFrame([
        {"country": "KEN", "year": y, "category": c, "gas": gas, "emissions_t_co2e": e,
         "uncertainty_pct": u}
        for c, gas, e0, e1, u in ((A, "CO2", 600.0, 700.0, 5.0), (E, "CH4", 50.0, 50.0, 30.0))
        for y, e in ((2000, e0), (2020, e1))
    ])  # fmt: skip
    con = sql_models.connect()
    sql_models.register(con, {
        "soil_category_emissions": pd.DataFrame(emissions),
        "uncertainty_analysis": pd.DataFrame(uncertainty).astype({"mc_uncertainty_pct": float}),
    })  # fmt: skip
    table = key_categories.key_category_analysis(con, base_year=2000, national_totals=totals)
    table = table[table["year"] == 2020]
    trend = _assessment(table, 1, "trend")
    assert trend.loc[g, "emissions_co2e_t"] == 0.0
    assert trend.loc[g, "base_emissions_co2e_t"] == 100.0
    assert trend.loc[g, "assessment_value"] == pytest.approx(1900 / 21 / 1050)  # 0.08617
    assert trend.loc[A, "assessment_value"] == pytest.approx(3300 / 21 / 1050)  # 0.14966
    assert trend.loc[[A, g, B, E], "rank"].tolist() == [1, 2, 3, 4]
    assert trend.loc[g, "share"] == pytest.approx(1900 / 6800)  # 0.2794
    assert trend.loc[E, "cumulative_share"] == pytest.approx(1.0)
    assert trend["is_key"].to_dict() == {A: True, g: True, B: True, E: False}
    trend2 = _assessment(table, 2, "trend")
    assert trend2.loc[g, "uncertainty_pct"] == 40.0  # the base year's U
    assert trend2.loc[g, "share"] == pytest.approx(76000 / 170500)  # 0.4457
    assert trend2.loc[A, "cumulative_share"] == pytest.approx(167500 / 170500)  # 0.9824
    assert trend2["is_key"].to_dict() == {g: True, B: True, A: True, E: False}
    # the level assessment of 2020 covers the year's categories only: sum |E_t| = 950
    level = _assessment(table, 1, "level")
    assert g not in level.index and level.loc[A, "share"] == pytest.approx(700 / 950)
