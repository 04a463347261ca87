"""The CRI (census years only) and NZL (land-use change matrices) example packages end to end
through the domain path (read, validate, harmonise, compute; no Prefect).

CRI: every filled row is flagged, and the national stock changes equal IPCC 2006 Vol.4 Ch.2
Eq. 2.25 applied to the mineral-soil part of the linearly interpolated census areas, the years
before 1990 back-cast by the 1990-2000 trend (an independent pandas computation below).
NZL: the matrices give the same national totals as Approach 1 on the areas they imply.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.land import land_use_changes
from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.run import RunParameters, compute_country
from inventory.harmonise import store
from inventory.harmonise.store import read_harmonised
from inventory.intake.submission import read_submission
from inventory.lake.zones import Lake
from inventory.validation.validate import validate_submission

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CENSUS_YEARS = [1990, 2000, 2010, 2020]
D = 20
STRATUM = ["climate_zone", "soil_class", "land_use", "management", "input"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    lake = Lake.at(tmp_path_factory.mktemp("lake"))
    results = {}
    for country in ("CRI", "NZL"):
        validation = validate_submission(read_submission(EXAMPLES / country))
        assert validation.ok, validation.to_text()
        assert store.file_outcome(lake, country, f"sub-{country}", validation)["accepted"]
        results[country] = (validation, compute_country(lake, country,
                                                        RunParameters(mc_draws=20)))  # fmt: skip
    return lake, results


def test_generator_reproduces_cri_and_nzl(tmp_path):
    subprocess.run([sys.executable, str(EXAMPLES / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    for country in ("CRI", "NZL"):
        for path in sorted((EXAMPLES / country).iterdir()):
            fresh = tmp_path / country / path.name
            digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, fresh)]
            assert digest[0] == digest[1], f"{path}: rerun examples/generate.py and commit"


def test_census_package_fills_and_flags_every_missing_year(runs):
    lake, results = runs
    validation, _ = results["CRI"]
    listed = validation.summary["time_series"]["land_areas"]["filled"]
    forest = [r for r in listed if "/forest_land/" in r["stratum"]]
    assert len(forest) == 3  # one forest stratum in each of the three cells
    assert {r["years"] for r in forest} == {"1991-1999, 2001-2009, 2011-2019, 2021-2024"}
    land = read_harmonised(lake, "land_areas", "CRI")
    census = land["year"].isin(CENSUS_YEARS)
    assert set(land.loc[census, "area_source"]) == {"reported"}
    assert set(land.loc[~census & (land["year"] < 2020), "area_source"]) == {"interpolated"}
    assert set(land.loc[land["year"] > 2020, "area_source"]) == {"extrapolated_constant"}
    assert sorted(land["year"].unique()) == list(range(1990, 2025))
    # every cell keeps its area: 2.5 M ha in every year, filled or reported
    assert land.groupby("year")["area_ha"].sum().round(6).unique().tolist() == [2_500_000.0]


def test_census_organic_soils_extrapolated_by_trend(runs):
    lake, _ = runs
    organic = read_harmonised(lake, "organic_soils", "CRI").set_index(["land_use", "year"])
    # cropland drained: 1800 ha (2010) -> 1900 ha (2020): 10 ha/yr, 2024 = 1900 + 4 x 10
    assert organic.loc[("cropland", 2024), "area_ha"] == pytest.approx(1940.0)
    assert organic.loc[("cropland", 2024), "area_source"] == "extrapolated_trend"
    assert organic.loc[("cropland", 2015), "area_source"] == "interpolated"


def _interpolated(census: pd.DataFrame, keys: list[str], years: np.ndarray) -> pd.DataFrame:
    """Census areas (ha) per stratum interpolated with numpy, held after the last census."""
    wide = census.pivot_table("area", keys, "year", fill_value=0.0)
    values = np.array([np.interp(years, CENSUS_YEARS, row) for row in wide.to_numpy()])
    return pd.DataFrame(values, index=wide.index, columns=years)


def _eq_2_25_on_interpolated_areas(stratum_factors: pd.DataFrame) -> pd.Series:
    """Independent computation: census areas interpolated with numpy, back-cast by the trend of
    the first two censuses, organic area out of each group pro rata, Eq. 2.25 per year.

    - Land (land_areas, whole land): linear between censuses, held after 2020. The D = 20
      history years 1970-1989 (issue 21 item 3, default history = trend, IPCC 2006 Vol.1 Ch.5
      Sec. 5.3.3.4): A(y) = max(A(1990) + (y - 1990) x (A(2000) - A(1990)) / 10, 0), rescaled
      so each climate zone x soil class cell keeps its 1990 area (in CRI every cell's 1990-2000
      changes sum to 0, e.g. hac 45000 - 45000 - 9000 + 0 + 9000 ha, so the factor is 1).
    - Organic (organic_soils): linear between censuses, after 2020 the 2010-2020 trend
      (fit_years 2: cropland +10 ha/yr, grassland -10 ha/yr), before 1990 the 1990 area
      (nearest organic year).
    - Mineral area of a stratum s of group g = (year, climate zone, land use) (issue 21 item 1,
      IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1): A_s x (1 - O_g / L_g), L_g the group's land area.
    """
    history = np.arange(1990 - D, 1990)
    years = np.arange(1990, 2025)
    census = pd.read_csv(EXAMPLES / "CRI" / "land_areas.csv")
    land = _interpolated(census, STRATUM, years)
    slope = (land[2000] - land[1990]) / 10.0  # the 1990-2000 trend [ha/yr]
    back = pd.DataFrame({y: (land[1990] + (y - 1990) * slope).clip(lower=0.0) for y in history})
    cell = back.index.droplevel(["land_use", "management", "input"])
    cell_1990 = land[1990].groupby(cell).transform("sum").to_numpy()[:, None]
    back = back * (cell_1990 / back.groupby(cell).transform("sum").to_numpy())
    land = pd.concat([back, land], axis=1)
    organic_census = pd.read_csv(EXAMPLES / "CRI" / "organic_soils.csv")
    organic = _interpolated(organic_census, ["climate_zone", "land_use"], years)
    trend = (organic[2020] - organic[2010]) / 10.0
    for y in years[years > 2020]:
        organic[y] = organic[2020] + (y - 2020) * trend
    organic = pd.concat([pd.DataFrame({y: organic[1990] for y in history}), organic], axis=1)
    group = land.index.droplevel(["soil_class", "management", "input"])
    group_land = land.groupby(group).transform("sum")
    group_organic = organic.reindex(group).fillna(0.0).to_numpy()
    mineral = land * (1.0 - group_organic / group_land.to_numpy())
    per_ha = stratum_factors.pivot_table("value", STRATUM, "factor").reindex(mineral.index)
    density = per_ha[["SOC_REF", "F_LU", "F_MG", "F_I"]].prod(axis=1)
    # SOC(y) = sum over strata of SOC_REF x F_LU x F_MG x F_I x mineral A(y)
    stock = mineral.mul(density, axis=0).sum()
    return pd.Series({y: (stock[y] - stock[y - D]) / D for y in years})


def test_census_national_change_is_eq_2_25_on_interpolated_areas(runs):
    _, results = runs
    result = results["CRI"][1]
    totals = result.tables["stock_change_totals"]
    national = totals[totals["scope"] == "national"].set_index("year")["dC_tc_per_yr"]
    expected = _eq_2_25_on_interpolated_areas(result.tables["stratum_factors"])
    np.testing.assert_allclose(national.loc[expected.index], expected, rtol=1e-9, atol=1e-6)
    assert national[2010] != 0.0
    # dC(1990) by hand = (SOC(1990) - SOC(1970)) / 20. Densities SOC_REF x F_LU x F_MG x F_I
    # [t C/ha] (IPCC 2019 Vol.4 Ch.2 Table 2.3, Ch.5-6 Tables 5.5 / 6.2): HAC 40 (forest,
    # nominal grassland), degraded grassland 36, full-tillage low 30.544, perennial 40.4;
    # LAC 38, full-tillage medium 31.54, perennial 38.38; volcanic 96, perennial 96.96,
    # improved grassland 111.36. 1970 = 1990 - 2 x (2000 - 1990) census change.
    # Whole land: 40 x (270000 - 180000) + 40 x (405000 - 495000) + 36 x (90000 - 108000)
    #   + 40.4 x (45000 - 27000) + 38 x (440000 - 330000) + 38 x (385000 - 495000)
    #   + 96 x (225000 - 195000) + 96.96 x (125000 - 135000) + 111.36 x (100000 - 110000)
    #   + 96 x (50000 - 60000) = -84000 t C (hold would give 0).
    # Organic share out, pro rata (1990 organic areas held before 1990):
    #   tropical moist cropland 1200 ha of L = 410000 ha (1990) / 392000 ha (1970):
    #   sum d x A = 13992860 (1990), 13265660 (1970) t C -> 13992860 x 1200 / 410000
    #   - 13265660 x 1200 / 392000 = 40954.712 - 40609.163 = 345.549 t C;
    #   tropical montane grassland 3000 ha of 150000 / 170000 ha: 15936000 x 3000 / 150000
    #   - 18009600 x 3000 / 170000 = 318720 - 317816.471 = 903.529 t C.
    # dC(1990) = (-84000 - 345.549 - 903.529) / 20 = -85249.078 / 20 = -4262.454 t C/yr
    assert national[1990] == pytest.approx(-4262.453917, rel=1e-9)
    flags = result.tables["soc_stocks"].groupby("year")["area_source"].agg(set)
    assert flags[2000] == {"reported"} and flags[2005] == {"interpolated"}
    assert set(national.index) == set(range(1990, 2025))


def test_a_scenario_base_gets_the_history_the_run_used(runs):
    from inventory.engine.run import run_manifest
    from inventory.scenarios.base import history_areas

    _, results = runs
    result = results["CRI"][1]
    manifest = run_manifest(RunParameters(mc_draws=20), [result])
    history = history_areas(manifest, "CRI", 1990)
    assert sorted(history["year"].unique()) == list(range(1970, 1990))
    # the land (2.5 M ha, every cell conserved) less the 1990 organic area held before 1990
    # (1200 ha tropical moist cropland + 3000 ha tropical montane grassland) = 2 495 800 ha
    assert history.groupby("year")["area_ha"].sum().round(6).unique().tolist() == [2_495_800.0]
    at_1970 = history[history["year"] == 1970].set_index(["soil_class", "land_use", "management"])
    # hac forest land: 270000 - 2 x 45000 = 180000 ha, no organic soil in its group
    assert at_1970.loc[("hac", "forest_land", "not_applicable"), "area_ha"] == 180_000.0
    # hac perennial cropland: 45000 - 2 x 9000 = 27000 ha of a 392000 ha cropland group with
    # 1200 ha organic: 27000 x (1 - 1200 / 392000) = 26917.347 ha
    assert at_1970.loc[("hac", "cropland", "perennial"), "area_ha"] == pytest.approx(
        27_000 * (1 - 1_200 / 392_000), rel=1e-12
    )


def test_matrix_package_equals_approach_1_on_its_areas(runs):
    lake, results = runs
    result = results["NZL"][1]
    con = sql_models.connect()
    sql_models.register(con, {"land_use_changes": read_harmonised(lake, "land_use_changes",
                                                                  "NZL")})  # fmt: skip
    areas = land_use_changes.matrix_land_areas(con, last_year=2024)
    approach1 = compute_mineral_inventory(
        areas.drop(columns="area_source"),
        factors.factor_table("2019"),
        EngineOptions(first_year=1990, last_year=2024, mc_draws=0),
    )
    national = [t[t["scope"] == "national"].set_index("year")["dC_tc_per_yr"]
                for t in (result.tables["stock_change_totals"],
                          approach1.stock_change_totals)]  # fmt: skip
    pd.testing.assert_series_equal(national[0], national[1], rtol=1e-10, atol=1e-6)


def test_matrix_package_publishes_table_4_1_and_a_national_kca(runs):
    _, results = runs
    tables = results["NZL"][1].tables
    table = tables["land_transition_matrix"]
    assert sorted(table["year"].unique()) == list(range(1990, 2025))
    by_year = table.groupby("year")["area_kha"].sum()
    np.testing.assert_allclose(by_year, 4000.0)  # 2.4 + 1.6 M ha in every year
    assert set(table.loc[table["year"] == 2021, "area_source"]) == {"reported"}  # annual
    assert set(table.loc[table["year"] == 2003, "area_source"]) == {"interpolated"}  # 5-year
    kca = tables["key_categories"]
    assert set(kca["scope"]) == {"national"}
    level = kca[(kca["year"] == 2024) & (kca["approach"] == 1) & (kca["assessment"] == "level")]
    assert level.set_index("category").loc["1.A Fuel combustion", "rank"] == 1
    assert level["share"].sum() == pytest.approx(1.0)


def test_uncertainty_table_has_both_approaches(runs):
    _, results = runs
    table = results["NZL"][1].tables["uncertainty_analysis"]
    total = table[(table["category"] == "mineral_soils_total") & (table["year"] == 2024)]
    assert total["a1_uncertainty_pct"].iloc[0] > 0 and total["mc_draws"].iloc[0] == 20
    assert total["base_year"].iloc[0] == 1990


def test_national_totals_are_in_t_co2e_and_their_units_checked(runs, tmp_path):
    lake, _ = runs
    totals = read_harmonised(lake, "national_totals", "NZL").set_index(["year", "category"])
    # submitted 23000 kt CO2e for fuel combustion in 1990 = 23 000 000 t CO2e
    assert totals.loc[(1990, "1.A Fuel combustion"), "emissions_t_co2e"] == 23_000_000.0
    package = tmp_path / "NZL"
    shutil.copytree(EXAMPLES / "NZL", package)
    path = package / "national_totals.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("kt CO2e", "kt CO2")  # not a CO2-equivalent unit
    lines.append(lines[2])  # the same category and year twice
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    failures = validate_submission(read_submission(package)).failures.set_index("rule_id")
    assert failures.loc["unknown_emissions_unit", "row"] == 2
    assert "kt CO2e" in failures.loc["unknown_emissions_unit", "fix"]
    assert failures.loc["duplicate_category_year", "row"] == len(lines)


def test_published_tables_carry_the_area_source(runs):
    _, results = runs
    tables = results["CRI"][1].tables
    changes = tables["stock_changes"].groupby("year")["area_source"].agg(set)
    assert changes[2000] == {"reported"} and changes[2005] == {"interpolated"}
    assert changes[2024] == {"extrapolated_constant"}
    national = tables["stock_change_totals"].query("scope == 'national'")
    assert national.set_index("year").loc[2024, "area_source"] == "extrapolated_constant"
    organic = tables["organic_soil_emissions"].groupby("year")["area_source"].agg(set)
    assert organic[2024] == {"extrapolated_trend"} and organic[2010] == {"reported"}
    rewetting = tables["rewetting_scenario"].groupby("year")["area_source"].agg(set)
    assert rewetting[2015] == {"interpolated"}
    crt = tables["unfccc_tables"].set_index(["year", "category_code"])["area_source"]
    # cropland: mineral areas interpolated, organic areas interpolated in 2015
    assert crt[(2015, "4.B")] == "interpolated"
    assert crt[(2024, "4.B")] == "extrapolated_constant,extrapolated_trend"
    assert pd.isna(crt[(2015, "4.E")])  # no settlements: no area behind the row
    # matrices: the state areas of a 5-year matrix's inner years are interpolated
    nzl = results["NZL"][1].tables["unfccc_tables"].set_index(["year", "category_code"])
    assert nzl.loc[(2003, "4.B"), "area_source"] == "interpolated"
    assert nzl.loc[(2021, "4.B"), "area_source"] == "reported"


def test_tables_without_flagged_areas_are_reported():
    from inventory.engine.land.area_sources import attach_area_sources

    changes = pd.DataFrame({"country": ["KEN"], "year": [2020], "land_use": ["cropland"],
                            "land_use_category": ["cropland_remaining_cropland"]})  # fmt: skip
    out = attach_area_sources(sql_models.connect(), {"stock_changes": changes}, None, None)
    assert out["stock_changes"]["area_source"].tolist() == ["reported"]  # e.g. land units
