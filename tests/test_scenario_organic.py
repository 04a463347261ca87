"""Rewetting in scenarios: its CO2, CH4 and N2O with the inventory's organic-soil draws, the
difference scenario - BAU draw by draw, and rewetting by area as well as by share.

Hand case: 100 ha of drained, deep-drained, nutrient-rich grassland on organic soil in the cool
temperate moist zone (2013 Wetlands Supplement factors, t gas/ha/yr after the molar ratios
44/12, 16/12, 44/28), 10 ha rewetted from 2026 (start = end = 2025):

  drained  CO2 = (6.10 on-site, Ch.2 Table 2.1 + 0.31 DOC, Table 2.2) t CO2-C x 44/12
           CH4 = 0.95 x 16 kg (land, Table 2.3) + 0.05 x 1,165 kg (ditch, Table 2.4; Frac_ditch
                 0.05) = 73.45 kg CH4
           N2O = 8.2 kg N2O-N (Table 2.5) x 44/28
  rewetted CO2 = (0.50, Ch.3 Table 3.1 + 0.24, Table 3.2) t CO2-C x 44/12
           CH4 = 216 kg CH4-C (Table 3.3) x 16/12 = 288 kg CH4;  N2O = 0 (Ch.3 text)

  10 ha:  CO2 10 x (0.74 - 6.41) x 44/12 = -207.9 t CO2/yr
          CH4 10 x (0.288 - 0.07345)      =  2.1455 t CH4/yr
          N2O 10 x -8.2 x 44/28 / 1000    = -0.128857... t N2O/yr
          CO2e (AR5: CH4 28, N2O 265) = -207.9 + 60.074 - 34.147143 = -181.973143 t CO2e/yr
          dC of scope mineral_and_organic = 207.9 x 12/44 = 56.7 t C/yr
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_scenarios import _base, _scenario

from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import propagation
from inventory.scenarios.compute import CI_QUANTILES, answer_country
from inventory.scenarios.model import ScenarioError, parse_scenario

CZ = "cool_temperate_moist"
DRAINED_HA, REWET_HA = 100.0, 10.0
CO2, CH4, N2O = -207.9, 2.1455, -10 * 8.2 * 44 / 28 / 1000
CO2E = CO2 + 28 * CH4 + 265 * N2O  # -181.973143 t CO2e/yr
DRAWS = 2000


def _organic_base(mc_draws: int = DRAWS):
    years = np.arange(2006, 2026)
    peat = pd.DataFrame({
        "country": "KEN", "year": years, "climate_zone": CZ, "land_use": "grassland",
        "drainage": "drained", "nutrient_status": "nutrient_rich", "drainage_depth": "deep",
        "area_ha": DRAINED_HA,
    })  # fmt: skip
    base = _base(mc_draws=mc_draws)
    base.organic_soils = peat
    return base


def _rewet(amount: str) -> str:
    return f"""
  - name: rewet_peat
    rewet: {{climate_zone: {CZ}, land_use: grassland}}
    {amount}
    start: 2025
    end: 2025
"""


@pytest.fixture(scope="module")
def rewetted():
    scenario, _ = parse_scenario(_scenario(_rewet("area_ha: 10")))
    return answer_country(scenario, _organic_base())


def test_rewetting_gases_by_hand_with_intervals_from_the_shared_draws(rewetted):
    m = rewetted.measures.set_index("year").loc[2030]
    assert m["area_moved_ha"] == pytest.approx(REWET_HA)
    assert m["organic_co2_t_per_yr"] == pytest.approx(CO2, rel=1e-12)
    assert m["organic_ch4_t_per_yr"] == pytest.approx(CH4, rel=1e-12)
    assert m["organic_n2o_t_per_yr"] == pytest.approx(N2O, rel=1e-12)
    assert m["co2e_t_per_yr"] == pytest.approx(CO2E, rel=1e-12)
    assert m["organic_co2e_t_per_yr"] == pytest.approx(CO2E, rel=1e-12)
    effect, bau = rewetted.effects["rewet_peat"], rewetted.bau
    at = list(bau.years).index(2030)
    for gas, column in (("CO2", "organic_co2_t"), ("CH4", "organic_ch4_t"),
                        ("N2O", "organic_n2o_t")):  # fmt: skip
        diff = effect.organic_t[gas][:, at] - bau.organic_t[gas][:, at]  # draw by draw
        low, high = np.quantile(diff[1:], CI_QUANTILES)
        assert m[f"{column}_ci_low_per_yr"] == pytest.approx(low, rel=1e-12)
        assert m[f"{column}_ci_high_per_yr"] == pytest.approx(high, rel=1e-12)
        assert low < m[f"{column}_per_yr"] < high
    # shared draws: BAU's N2O is 100 ha x EF_k, the difference -10 ha x the same EF_k
    n2o_bau = bau.organic_t["N2O"][:, at]
    n2o_diff = effect.organic_t["N2O"][:, at] - n2o_bau
    assert n2o_diff == pytest.approx(-REWET_HA / DRAINED_HA * n2o_bau, rel=1e-12)
    # ... so its 95 % interval is -10 ha x the printed interval of EF2 (WS Ch.2 Table 2.5:
    # 8.2 [4.9-11] kg N2O-N/ha/yr): -10 x [11, 4.9] x 44/28 / 1000 = [-0.172857, -0.077000]
    assert m["organic_n2o_t_ci_low_per_yr"] == pytest.approx(-0.172857, rel=0.05)
    assert m["organic_n2o_t_ci_high_per_yr"] == pytest.approx(-0.077000, rel=0.05)
    # the rewetted CO2 factor's interval crosses 0 (Table 3.1: 0.50 [-0.71, 1.71] t CO2-C):
    # the CO2 difference's interval is wide but stays a net reduction
    assert m["organic_co2_t_ci_high_per_yr"] < 0


def test_bau_organic_draws_are_the_inventorys(rewetted):
    """The BAU draws of a reported year are the inventory's organic draws (same seed, same
    stream per printed factor row), summed over gases in CO2e."""
    base = _organic_base()
    emissions = organic.organic_soil_emissions(
        __import__("inventory.engine.sql_models", fromlist=["connect"]).connect(),
        base.organic_soils[base.organic_soils["year"] == 2025], gwp_set="AR5",
    )  # fmt: skip
    inventory = propagation.organic_category_draws(emissions, n_draws=DRAWS, seed=base.seed)
    by_draw = inventory.groupby("draw")["e"].sum().to_numpy()
    at = list(rewetted.bau.years).index(2025)
    assert rewetted.bau.organic_co2e[:, at] == pytest.approx(by_draw, rel=1e-12)


def test_rate_with_organic_soils_carries_the_organic_interval(rewetted):
    p = rewetted.pathways
    row = p.query("pathway == 'difference' and scope == 'mineral_and_organic' and year == 2030")
    row = row.iloc[0]
    assert row["dC_tc_per_yr"] == pytest.approx(56.7, rel=1e-12)  # 207.9 x 12/44
    at = list(rewetted.bau.years).index(2030)
    diff = (rewetted.scenario.total_change("mineral_and_organic")
            - rewetted.bau.total_change("mineral_and_organic"))[:, at]  # fmt: skip
    low, high = np.quantile(diff[1:], CI_QUANTILES)
    assert (row["dC_ci_low_tc_per_yr"], row["dC_ci_high_tc_per_yr"]) == pytest.approx((low, high))
    assert low < 56.7 < high and high - low > 1  # an interval, no longer a point
    mineral = p.query("pathway == 'difference' and scope == 'mineral' and year == 2030").iloc[0]
    assert mineral["dC_tc_per_yr"] == 0  # rewetting leaves the mineral soils alone


def test_rewetting_by_area_equals_the_same_share(rewetted):
    by_share, _ = parse_scenario(_scenario(_rewet("share: 0.1")))
    by_unit, _ = parse_scenario(_scenario(_rewet("area: 0.01 kha")))
    assert by_unit.measures[0].area_ha == pytest.approx(REWET_HA)
    for scenario in (by_share, by_unit):
        answer = answer_country(scenario, _organic_base(mc_draws=50))
        pd.testing.assert_frame_equal(
            answer.measures.drop(columns=[c for c in answer.measures if "_ci_" in c]),
            rewetted.measures.drop(columns=[c for c in rewetted.measures if "_ci_" in c]),
            rtol=1e-12,
        )  # fmt: skip


def test_rewetting_area_refusals_name_the_measure_the_numbers_and_the_fix():
    with pytest.raises(ScenarioError, match="measure 'rewet_peat': give `share` or `area_ha`, "
                                            "not both"):  # fmt: skip
        parse_scenario(_scenario(_rewet("share: 0.1\n    area_ha: 10")))
    with pytest.raises(ScenarioError, match=r"measure 'rewet_peat': give `share` or `area_ha` "
                                            r"\(or `area`\)"):  # fmt: skip
        parse_scenario(_scenario(_rewet("")))
    with pytest.raises(ScenarioError, match="area '10 kg' cannot convert"):
        parse_scenario(_scenario(_rewet("area: 10 kg")))
    scenario, _ = parse_scenario(_scenario(_rewet("area_ha: 150")))
    with pytest.raises(ScenarioError) as err:
        answer_country(scenario, _organic_base(mc_draws=0))
    assert "measure 'rewet_peat': area_ha 150.0 ha is more than the 100.0 ha of drained" in str(
        err.value
    )
    assert err.value.action == (
        "lower area_ha to at most 100.0 ha, or rewet all of it with share: 1.0"
    )
