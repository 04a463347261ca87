"""Scenarios toward 4 per 1000: hand-computed cases through the inventory's own engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral
from inventory.engine.options import EngineOptions
from inventory.scenarios import compute, maps
from inventory.scenarios.compute import BaseInventory, answer_country, run_pathway
from inventory.scenarios.model import ScenarioError, parse_scenario

CZ, SOIL = "cool_temperate_moist", "hac"
# Hand case factors (a candidate table in the engine's canonical form).
SOC_REF, F_LU_CROP, F_MG_FULL, F_MG_NO_TILL, F_I = 95.0, 0.69, 1.00, 1.10, 1.00
D = 20


def _factor_rows(cz: str = CZ, soil: str = SOIL, unc: float = 20.0, mg_unc: float = 5.0
                 ) -> pd.DataFrame:  # fmt: skip
    rows = [
        ("SOC_REF", "*", "*", SOC_REF),
        ("F_LU", "cropland", "*", F_LU_CROP),
        ("F_MG", "cropland", "full_tillage", F_MG_FULL),
        ("F_MG", "cropland", "no_tillage", F_MG_NO_TILL),
        ("F_I", "cropland", "medium", F_I),
        ("F_LU", "grassland", "*", 1.0),
        ("F_MG", "grassland", "nominal", 1.0),
        ("F_I", "grassland", "not_applicable", 1.0),
    ]
    table = pd.DataFrame([
        {"country": "*", "factor": f, "climate_zone": cz, "soil_class": soil, "land_use": lu,
         "level": level, "value": value,
         "uncertainty_pct": {"F_I": 0.0, "F_MG": mg_unc}.get(f, unc),
         "tier": "tier1_default", "source": f"hand case {f} {lu} {level}", "priority": 3}
        for f, lu, level, value in rows
    ])  # fmt: skip
    return factors.with_draw_columns(table)


def _areas(first: int = 2006, last: int = 2025, cz: str = CZ, soil: str = SOIL) -> pd.DataFrame:
    """Two strata in one climate zone, constant since 2006: 1,000 ha full-tillage cropland and
    500 ha nominal grassland."""
    years = np.arange(first, last + 1)
    return pd.concat([
        pd.DataFrame({"country": "KEN", "year": years, "climate_zone": cz, "soil_class": soil,
                      "land_use": "cropland", "management": "full_tillage", "input": "medium",
                      "area_ha": 1000.0}),
        pd.DataFrame({"country": "KEN", "year": years, "climate_zone": cz, "soil_class": soil,
                      "land_use": "grassland", "management": "nominal",
                      "input": "not_applicable", "area_ha": 500.0}),
    ], ignore_index=True)  # fmt: skip


def _base(areas: pd.DataFrame | None = None, table: pd.DataFrame | None = None,
          mc_draws: int = 0) -> BaseInventory:  # fmt: skip
    areas = _areas() if areas is None else areas
    table = _factor_rows() if table is None else table
    con = sql_models.connect()
    sql_models.register(con, {"land_areas": areas, "factor_table": table})
    resolved = mineral.resolve_factors(con)
    return BaseInventory(
        country="KEN", release_id="rel-test", land_areas=areas, stratum_factors=resolved,
        defaults=table, organic_soils=pd.DataFrame(columns=[
            "country", "year", "climate_zone", "land_use", "drainage", "nutrient_status",
            "drainage_depth", "area_ha"]),
        transition_years=D, mc_draws=mc_draws, seed=20061, edition="2019", gwp_set="AR5",
    )  # fmt: skip


def _scenario(measures: str = "", horizon: int = 2035, extra: str = "") -> str:
    return f"""
name: hand-case
base: {{release: current, countries: [KEN]}}
horizon: {horizon}
{extra}
measures:
{measures or "  []"}
"""


NO_TILL = """
  - name: no_till
    select: {land_use: cropland, management: full_tillage}
    target: {management: no_tillage}
    share: 1.0
    start: 2025
    end: 2030
"""


def test_two_stratum_hand_case_each_year_from_f_mg_and_d():
    # 1,000 ha full tillage -> no-till linearly over 2025-2030 (200 ha more each year):
    # p(no-till) - p(full) = SOC_REF x F_LU x F_I x (F_MG_nt - F_MG_ft)
    #                      = 95 x 0.69 x 1.00 x (1.10 - 1.00) = 6.555 t C/ha
    # dC(y) = moved(y) x 6.555 / D (Eq. 2.25, SOC(y - 20) is the 2006-2025 state):
    #   2026: 200 x 6.555 / 20 = 65.55     2027: 400 -> 131.10    2028: 600 -> 196.65
    #   2029: 800 -> 262.20                2030: 1000 -> 327.75   2031-2035: 327.75
    scenario, _ = parse_scenario(_scenario(NO_TILL))
    answer = answer_country(scenario, _base())
    p = answer.pathways
    rows = p[(p["pathway"] == "scenario") & (p["scope"] == "mineral") & p["projected"]]
    expected = [65.55, 131.10, 196.65, 262.20, 327.75, 327.75, 327.75, 327.75, 327.75, 327.75]
    assert rows["year"].tolist() == list(range(2026, 2036))
    assert rows["dC_tc_per_yr"].to_numpy() == pytest.approx(expected, rel=1e-12)
    # S(2025) = 1000 x 95 x 0.69 + 500 x 95 x 1.0 = 65,550 + 47,500 = 113,050 t C;
    # S(2030) = 113,050 + 65.55 + 131.10 + 196.65 + 262.20 + 327.75 = 114,033.25 t C
    stock = rows.set_index("year")["stock_tc"]
    assert stock[2030] == pytest.approx(114_033.25, rel=1e-12)
    # rate 2026 = 1000 x 65.55 / S(2025) = 65,550 / 113,050 = 0.579832... per mille
    assert rows.set_index("year").loc[2026, "rate_permille_per_yr"] == pytest.approx(
        65_550 / 113_050, rel=1e-12
    )
    # BAU: nothing moves after 2025, dC = 0, S stays 113,050
    bau = p[(p["pathway"] == "bau") & (p["scope"] == "mineral") & p["projected"]]
    assert bau["dC_tc_per_yr"].abs().max() == 0
    assert bau["stock_tc"].to_numpy() == pytest.approx([113_050.0] * 10, rel=1e-12)
    # per measure: area moved 200 ha/yr, CO2 = -dC x 44/12 (2030: -327.75 x 44/12 = -1201.75)
    m = answer.measures.set_index("year")
    assert m.loc[2027, "area_moved_ha"] == pytest.approx(400.0)
    assert m.loc[2030, "mineral_co2_t_per_yr"] == pytest.approx(-1201.75, rel=1e-12)


def test_no_measures_equals_bau_and_continues_the_inventory():
    # With no measures, the scenario is BAU; its reported years are the engine's own inventory
    # of the base areas. Areas converted in 2020 (100 ha of grassland to cropland) keep
    # working through D: dC(2026) = (SOC(2026) - SOC(2006)) / 20 with the 2020 state held.
    areas = _areas()
    moved = (areas["year"] >= 2020) & (areas["land_use"] == "cropland")
    areas.loc[moved, "area_ha"] += 100.0
    areas.loc[(areas["year"] >= 2020) & (areas["land_use"] == "grassland"), "area_ha"] -= 100.0
    base = _base(areas)
    scenario, _ = parse_scenario(_scenario())
    answer = answer_country(scenario, base)
    p = answer.pathways[answer.pathways["scope"] == "mineral"]
    scen = p[p["pathway"] == "scenario"].set_index("year")
    bau = p[p["pathway"] == "bau"].set_index("year")
    assert np.array_equal(scen["dC_tc_per_yr"], bau["dC_tc_per_yr"])
    inventory = mineral.compute_mineral_inventory(
        areas, _factor_rows(), EngineOptions(D, mc_draws=0)
    )
    national = inventory.stock_change_totals.query("scope == 'national'").set_index("year")
    assert scen.loc[2006:2025, "dC_tc_per_yr"].to_numpy() == pytest.approx(
        national["dC_tc_per_yr"].to_numpy(), rel=1e-12
    )
    stocks = inventory.inventory_stocks.query("scope == 'national'").set_index("year")["stock_tc"]
    assert scen.loc[2006:2025, "stock_tc"].to_numpy() == pytest.approx(stocks.to_numpy(), rel=1e-12)
    # continues: 100 ha x (95 x 0.69 - 95 x 1.0) = 100 x (65.55 - 95) = -2,945 t C over D,
    # -147.25 t C/yr in every year 2020..2039, then 0
    assert scen.loc[2035, "dC_tc_per_yr"] == pytest.approx(-147.25, rel=1e-12)
    assert scen.loc[2025, "dC_tc_per_yr"] == pytest.approx(-147.25, rel=1e-12)


def test_adoption_solved_exactly_and_checked_by_running_it():
    # Target 2 per mille in 2030 with no-till at share s (linear in s):
    #   dC(2030) = 327.75 s,  S(2029) = 113,050 + (65.55 + 131.10 + 196.65 + 262.20) s
    #                                 = 113,050 + 655.5 s
    #   1000 x 327.75 s = 2 x (113,050 + 655.5 s)  ->  s = 226,100 / (327,750 - 1,311)
    #                                                   = 226,100 / 326,439 = 0.692625...
    extra = "target_permille: 2.0\nadoption: {measure: no_till, year: 2030}"
    scenario, _ = parse_scenario(_scenario(NO_TILL, extra=extra))
    base = _base()
    answer = answer_country(scenario, base)
    share = answer.adoption.iloc[0]["share_needed"]
    assert share == pytest.approx(226_100 / 326_439, rel=1e-12)
    # the measure selects the 1,000 ha of full-tillage cropland: 0.692625 x 1,000 = 692.6 ha
    assert answer.adoption.iloc[0]["area_needed_ha"] == pytest.approx(
        1_000 * 226_100 / 326_439, rel=1e-12)  # fmt: skip
    assert "69.3% of the selected area (693 ha of 1,000 ha) reaches 2 per mille in 2030" in (
        answer.adoption.iloc[0]["statement"])  # fmt: skip
    check = run_pathway(base, scenario.measures, horizon=2035, n_draws=0,
                        shares={"no_till": share})  # fmt: skip
    rate = check.rate("mineral")[0, list(check.years).index(2030)]
    assert rate == pytest.approx(2.0, rel=1e-12)
    # 4 per mille: at 100 %, 1000 x 327.75 / 113,705.5 = 2.882446 per mille: no share reaches it
    scenario4, _ = parse_scenario(
        _scenario(NO_TILL, extra="adoption: {measure: no_till, year: 2030}")
    )
    solved = answer_country(scenario4, base).adoption.iloc[0]
    assert np.isnan(solved["share_needed"])
    assert solved["rate_full_permille_per_yr"] == pytest.approx(327_750 / 113_705.5, rel=1e-12)
    assert "no share up to 100 % reaches 4 per mille in 2030" in solved["statement"]


def test_difference_interval_narrower_than_either_when_draws_are_shared():
    # SOC_REF and F_LU +/-20 % move both pathways' stocks together; the difference only
    # carries the uncertainty of the moved hectares' factor change (F_MG +/-5 %).
    scenario, _ = parse_scenario(_scenario(NO_TILL))
    answer = answer_country(scenario, _base(mc_draws=300))
    p = answer.pathways.query("scope == 'mineral' and year == 2035").set_index("pathway")
    width = p["stock_ci_high_tc"] - p["stock_ci_low_tc"]
    assert width["difference"] < width["bau"] / 5
    assert width["difference"] < width["scenario"] / 5
    # the difference's draw-0 value: sum of dC 2026..2035 = 983.25 + 5 x 327.75 = 2,622 t C
    assert p.loc["difference", "stock_tc"] == pytest.approx(2_622.0, rel=1e-12)
    assert (
        p.loc["difference", "stock_ci_low_tc"] < 2_622.0 < p.loc["difference", "stock_ci_high_tc"]
    )
    # unshared draws (BAU with another seed) give a far wider interval of the difference
    other = compute.run_pathway(
        BaseInventory(**{**_base().__dict__, "seed": 7}), [], horizon=2035, n_draws=300
    )
    unshared = answer.scenario.stock[:, -1] - other.stock[:, -1]
    low, high = np.quantile(unshared[1:], [0.025, 0.975])
    assert high - low > 5 * width["difference"]


def test_invalid_measures_name_the_measure_and_the_fix():
    bad_share = NO_TILL.replace("share: 1.0", "share: 1.5")
    with pytest.raises(ScenarioError, match=r"measure 'no_till': share 1.5 is outside 0-1"):
        parse_scenario(_scenario(bad_share))
    bad_target = NO_TILL.replace("management: no_tillage", "management: improved")
    with pytest.raises(
        ScenarioError,
        match="target management 'improved' does not apply to "
        "cropland; management levels of cropland: full_tillage",
    ):
        parse_scenario(_scenario(bad_target))
    nothing = NO_TILL.replace("land_use: cropland, management: full_tillage",
                              "land_use: cropland, management: reduced_tillage")  # fmt: skip
    scenario, _ = parse_scenario(_scenario(nothing))
    with pytest.raises(ScenarioError, match="measure 'no_till': select .* matches no mineral"):
        answer_country(scenario, _base())
    scenario, _ = parse_scenario(_scenario(NO_TILL.replace("start: 2025", "start: 2020")))
    with pytest.raises(ScenarioError, match="start 2020 is before KEN's last inventory year 2025"):
        answer_country(scenario, _base())
    early, _ = parse_scenario(_scenario(horizon=2024))
    with pytest.raises(ScenarioError, match="horizon 2024 is not after KEN's last inventory year"):
        answer_country(early, _base())


def test_map_cells_sum_to_the_stratum_answer(tmp_path):
    from inventory.harmonise.gridded import cell_area_ha, write_example_grid
    from inventory.intake.grid_format import open_grid

    # the example grid's cropland of tropical_moist x hac is the stratum the measure acts in
    table = _factor_rows("tropical_moist", "hac")
    base = _base(_areas(cz="tropical_moist", soil="hac"), table)
    scenario, _ = parse_scenario(_scenario(NO_TILL))
    answer = answer_country(scenario, base)
    path = write_example_grid(tmp_path / "grid.nc")
    with open_grid(path) as ds:
        written = maps.write_maps(ds, answer.effects, year=2035, transition_years=D,
                                  folder=tmp_path / "maps", country="KEN")  # fmt: skip
        # stratum answer: 1,000 ha x 6.555 t C/ha = 6,555 t C by 2035
        totals = written["measures"]["no_till"]
        assert totals["gain_tc"] == pytest.approx(6_555.0, rel=1e-12)
        assert totals["mapped_gain_tc"] == pytest.approx(6_555.0, rel=1e-9)
        assert totals["unmapped_gain_tc"] == 0
        out = __import__("xarray").open_dataset(tmp_path / "maps" / "KEN.nc")
        area = cell_area_ha(ds["lat"], ds["lon"])
        gain = out["gain_tc_per_ha__no_till"]
        assert float((gain * area).sum()) == pytest.approx(6_555.0, rel=1e-9)
        # the rate over D: 6,555 / 20 = 327.75 t C/yr, as the stratum dC after 2030
        rate = out["gain_rate_tc_per_ha_per_yr__no_till"]
        assert float((rate * area).sum()) == pytest.approx(327.75, rel=1e-9)
        # only cropland cells of tropical_moist x hac gain
        crop = (ds["land_use"] == 2) & (ds["climate_zone"] == 1) & (ds["soil_class"] == 1)
        assert float(gain.where(~crop).fillna(0).__abs__().max()) == 0
        out.close()
    assert (tmp_path / "maps" / "KEN.png").stat().st_size > 1000
