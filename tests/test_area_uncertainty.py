"""Area (activity data) uncertainty in the Monte Carlo, and the intervals of S(y) and 4p1000.

Hand computations: with exact factors (uncertainty 0), every Monte Carlo draw of a stock or a
change is the submitted areas times one multiplier per stratum, m = 1 + U / 196 x Z (the same
in every year), times the factor products 64 x 0.69 x 1.10 (no-till cropland) and 64
(nominal grassland, IPCC 2019 Vol.4 Ch.5/6, warm temperate moist HAC). The published
percentiles are checked against the percentiles of these hand draws.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import indicators, propagation
from inventory.engine.uncertainty import montecarlo
from inventory.intake.submission import read_submission
from inventory.validation.validate import validate_submission

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED, N = 7, 4000
D = 20
NO_TILL = 64.0 * 0.69 * 1.10  # t C/ha: SOC_REF x F_LU cropland x F_MG no-till (x F_I medium 1)
FULL_TILL = 64.0 * 0.69 * 1.00
GRASS = 64.0  # nominal grassland: every factor 1
KEYS = montecarlo.STRATUM_KEYS


def _areas(u_crop: float, u_grass: float) -> pd.DataFrame:
    rows = []
    for year in range(1980, 2025):
        mg = "full_tillage" if year < 2000 else "no_tillage"
        rows.append(("cropland", mg, "medium", 100.0, u_crop, year))
        rows.append(("grassland", "nominal", "not_applicable", 50.0, u_grass, year))
    return pd.DataFrame(
        [{"country": "URY", "year": y, "climate_zone": "warm_temperate_moist",
          "soil_class": "hac", "land_use": lu, "management": mg, "input": i, "area_ha": a,
          "area_uncertainty_pct": u} for lu, mg, i, a, u, y in rows]
    )  # fmt: skip


def _exact_factors() -> pd.DataFrame:
    return factors.factor_table("2019").assign(uncertainty_pct=0.0, row_sd=0.0, ref_sd=0.0)


def _multipliers(areas: pd.DataFrame) -> pd.DataFrame:
    """Hand draws of m per stratum: 1 + U/100/1.96 x Z from each stratum's own stream."""
    strata = areas[["country", *KEYS[1:], "area_uncertainty_pct"]].drop_duplicates(KEYS)
    strata = strata.sort_values(KEYS).reset_index(drop=True)
    out = {}
    for row in strata.itertuples(index=False):
        name = " | ".join(str(getattr(row, k)) for k in KEYS)
        rng = np.random.default_rng(montecarlo._row_seed(SEED, montecarlo.AREA_STREAM + name))
        sd = row.area_uncertainty_pct / 100 / 1.959963984540054
        out[row.management] = 1 + sd * rng.standard_normal(N) if sd > 0 else np.ones(N)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def run():
    areas = _areas(10.0, 20.0)
    con = duckdb.connect()
    result = compute_mineral_inventory(
        areas, _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=N, seed=SEED), con=con,
    )  # fmt: skip
    return areas, result, con


def test_multiplier_is_one_plus_u_over_196_times_z():
    strata = pd.DataFrame({"country": ["URY", "URY"], "climate_zone": ["a", "b"],
                           "area_uncertainty_pct": [5.0, 0.0]})  # fmt: skip
    m = montecarlo.area_multipliers(strata, ["country", "climate_zone"], n_draws=N, seed=SEED)
    z = np.random.default_rng(montecarlo._row_seed(SEED, "area | URY | a")).standard_normal(N)
    assert m[0].tolist() == [1.0, 1.0]  # draw 0: the submitted areas
    np.testing.assert_allclose(m[1:, 0], 1 + 0.05 / 1.959963984540054 * z, rtol=0, atol=1e-15)
    assert (m[:, 1] == 1.0).all()  # 0 %: exact
    # 95 % half-width of +/- 5 %: percentiles at 0.95 and 1.05 within sampling error
    low, high = np.quantile(m[1:, 0], [0.025, 0.975])
    assert abs(low - 0.95) < 0.003 and abs(high - 1.05) < 0.003


def test_stock_change_draws_are_areas_times_multipliers(run):
    areas, result, con = run
    m = _multipliers(areas)
    # dC(2005) of cropland remaining cropland: (no-till stock - full-till stock) / D of the
    # same 100 ha, each stratum with its own multiplier (the transition 1980-1999 -> 2000)
    crop = con.execute(
        "SELECT draw, sum(dC_tc_per_yr) AS dc FROM stock_change_draws WHERE year = 2005 "
        "AND land_use = 'cropland' AND draw > 0 GROUP BY draw ORDER BY draw"
    ).df()["dc"]
    hand = 100 * (m["no_tillage"] * NO_TILL - m["full_tillage"] * FULL_TILL) / D
    np.testing.assert_allclose(crop.to_numpy(), hand.to_numpy(), rtol=1e-12, atol=1e-9)
    row = result.stock_change_totals
    row = row[(row.year == 2005) & (row.land_use == "all")].iloc[0]
    assert row.dC_tc_per_yr == pytest.approx(100 * (NO_TILL - FULL_TILL) / D, rel=1e-12)
    low, high = np.quantile(hand, [0.025, 0.975])  # grassland: 0 every draw
    assert (row.ci_low, row.ci_high) == (
        pytest.approx(low, rel=1e-9),
        pytest.approx(high, rel=1e-9),
    )


def test_stock_interval_is_the_percentile_of_hand_draws(run):
    areas, result, _ = run
    m = _multipliers(areas)
    stocks = result.inventory_stocks
    row = stocks[(stocks.year == 2024) & (stocks.scope == "national")].iloc[0]
    # 2005-2024 all no-till: S(2024) = 100 ha x 48.576 + 50 ha x 64 = 8057.6 t C
    assert row.stock_tc == pytest.approx(100 * NO_TILL + 50 * GRASS, rel=1e-12)
    assert row.stock_tc == pytest.approx(8057.6, rel=1e-12)
    hand = 100 * NO_TILL * m["no_tillage"] + 50 * GRASS * m["nominal"]
    low, high = np.quantile(hand, [0.025, 0.975])
    assert row.stock_ci_low_tc == pytest.approx(low, rel=1e-9)
    assert row.stock_ci_high_tc == pytest.approx(high, rel=1e-9)
    # variance of a sum of independent strata: sd^2 = (4857.6 x 0.1/1.96)^2 + (3200 x 0.2/1.96)^2
    sd = np.hypot(100 * NO_TILL * 0.10, 50 * GRASS * 0.20) / 1.959963984540054  # 396.0 t C
    assert np.std(hand, ddof=1) == pytest.approx(sd, rel=0.05)
    assert (high - low) / 2 == pytest.approx(1.959963984540054 * sd, rel=0.06)


def test_areas_without_uncertainty_are_exact():
    areas = _areas(0.0, 0.0).drop(columns="area_uncertainty_pct")
    result = compute_mineral_inventory(
        areas, _exact_factors(), EngineOptions(first_year=2000, last_year=2024, mc_draws=50)
    )
    row = result.inventory_stocks.query("year == 2024 and scope == 'national'").iloc[0]
    assert row.stock_ci_low_tc == pytest.approx(8057.6) == row.stock_ci_high_tc


def test_fourp1000_rate_interval_is_each_draws_change_over_its_stock(run):
    areas, result, con = run
    m = _multipliers(areas)
    table = indicators.fourp1000_indicators(
        con, result.inventory_stocks, organic.organic_soil_emissions(con, _organic(np.nan))
    )
    row = table.query("year == 2005 and land_use == 'all' and scope == 'mineral'").iloc[0]
    change = 100 * (m["no_tillage"] * NO_TILL - m["full_tillage"] * FULL_TILL) / D
    # S(2005) = (6 years no-till + 14 years full-till) / 20 of 100 ha, + grassland
    stock = (100 * (6 * NO_TILL * m["no_tillage"] + 14 * FULL_TILL * m["full_tillage"]) / D
             + 50 * GRASS * m["nominal"])  # fmt: skip
    rate = 1000 * change / (stock - change)
    low, high = np.quantile(rate, [0.025, 0.975])
    assert row.rate_ci_low_permille_per_yr == pytest.approx(low, rel=1e-9)
    assert row.rate_ci_high_permille_per_yr == pytest.approx(high, rel=1e-9)
    assert low < row.rate_permille < high


def _organic(u: float) -> pd.DataFrame:
    return pd.DataFrame([{"country": "URY", "year": y, "climate_zone": "warm_temperate_moist",
                          "land_use": "grassland", "drainage": "drained",
                          "nutrient_status": "nutrient_rich", "drainage_depth": "shallow",
                          "area_ha": 10.0, "area_uncertainty_pct": u}
                         for y in (2000, 2001)])  # fmt: skip


def test_organic_area_multiplier_scales_every_draw_and_year():
    con = duckdb.connect()
    exact = organic.organic_soil_emissions(con, _organic(np.nan))
    assert exact["area_uncertainty_pct"].isna().all()
    uncertain = organic.organic_soil_emissions(con, _organic(20.0))
    assert (uncertain["area_uncertainty_pct"] == 20.0).all()
    a = propagation.organic_category_draws(exact, n_draws=500, seed=SEED)
    b = propagation.organic_category_draws(uncertain, n_draws=500, seed=SEED)
    ratio = (b["e"] / a["e"]).to_numpy().reshape(501, -1)  # draws x (year, gas)
    strata = pd.DataFrame({"country": ["URY"], "climate_zone": ["warm_temperate_moist"],
                           "land_use": ["grassland"], "drainage": ["drained"],
                           "nutrient_status": ["nutrient_rich"], "drainage_depth": ["shallow"],
                           "area_uncertainty_pct": [20.0]})  # fmt: skip
    m = montecarlo.area_multipliers(strata, list(strata.columns[:-1]), n_draws=500, seed=SEED)
    # one multiplier for both years and all gases of the stratum
    np.testing.assert_allclose(ratio, np.repeat(m, ratio.shape[1], axis=1), rtol=1e-12)


@pytest.mark.parametrize(("value", "words"), [("-5", "negative"), ("150", "above 100")])
def test_validation_refuses_area_uncertainty_out_of_range(tmp_path, value, words):
    package = tmp_path / "CRI"
    shutil.copytree(EXAMPLES / "CRI", package)
    frame = pd.read_csv(package / "land_areas.csv", dtype=str)
    frame["area_uncertainty_pct"] = "5"
    frame.loc[3, "area_uncertainty_pct"] = value
    frame.to_csv(package / "land_areas.csv", index=False)
    result = validate_submission(read_submission(package))
    assert not result.ok
    bad = result.failures[result.failures["column"] == "area_uncertainty_pct"]
    assert len(bad) == 1
    row = bad.iloc[0]
    assert row["file"] == "land_areas.csv" and str(row["value"]).lstrip("-").startswith(
        value.lstrip("-")
    )
    assert int(row["row"]) in (4, 5)  # data row 3 (0-based) as the report counts rows
    assert words in row["message"] and "between 0 and 100" in row["fix"]


def test_validation_accepts_area_uncertainty_and_harmonises_it(tmp_path):
    from inventory.harmonise.areas import harmonise_land_areas

    package = tmp_path / "CRI"
    shutil.copytree(EXAMPLES / "CRI", package)
    frame = pd.read_csv(package / "land_areas.csv", dtype=str)
    frame["area_uncertainty_pct"] = "5"
    frame.to_csv(package / "land_areas.csv", index=False)
    result = validate_submission(read_submission(package))
    assert result.ok, result.to_text()
    harmonised = harmonise_land_areas(result.datasets["land_areas"].assign(country="CRI"))
    assert (harmonised["area_uncertainty_pct"] == 5.0).all()


def test_area_uncertainty_of_land_units_and_matrices_is_read(tmp_path):
    # NZL reports land-use change matrices (Approach 2): their area_uncertainty_pct is checked,
    # kept and drawn (test_matrix_cell_draws_scale_the_cohorts), so the report lists nothing
    # as not read
    package = tmp_path / "NZL"
    shutil.copytree(EXAMPLES / "NZL", package)
    frame = pd.read_csv(package / "land_use_changes.csv", dtype=str)
    frame["area_uncertainty_pct"] = "5"
    frame.to_csv(package / "land_use_changes.csv", index=False)
    result = validate_submission(read_submission(package))
    assert result.ok, result.to_text()
    assert "land_use_changes.csv" not in result.summary.get("ignored", {})
    assert "not read" not in result.to_text()


# ---------------------------------------------------------------- Approach 2/3 area draws
def _stream(name: str, u: float) -> np.ndarray:
    """Hand draws 1..N of an area multiplier: 1 + U/100/1.96 x Z from its own stream."""
    rng = np.random.default_rng(montecarlo._row_seed(SEED, montecarlo.AREA_STREAM + name))
    return 1 + u / 100 / 1.959963984540054 * rng.standard_normal(N)


def _units() -> pd.DataFrame:
    """Two cropland units, full tillage to 1999 and no-till from 2000 (u1 100 ha at +/- 10 %,
    u2 300 ha at +/- 30 %), and one grassland unit (50 ha, +/- 20 %), 1980-2024."""
    rows = []
    for unit, lu, area, u in (("u1", "cropland", 100.0, 10.0), ("u2", "cropland", 300.0, 30.0),
                              ("g", "grassland", 50.0, 20.0)):  # fmt: skip
        for year in range(1980, 2025):
            mg, i = (
                ("nominal", "not_applicable")
                if lu == "grassland"
                else (("full_tillage" if year < 2000 else "no_tillage"), "medium")
            )
            rows.append({"country": "URY", "unit_id": unit, "year": year,
                         "climate_zone": "warm_temperate_moist", "soil_class": "hac",
                         "land_use": lu, "management": mg, "input": i, "area_ha": area,
                         "area_uncertainty_pct": u})  # fmt: skip
    return pd.DataFrame(rows)


def test_land_unit_strata_draw_their_area_weighted_uncertainty():
    # Each stratum's U is the area-weighted mean over its unit-years: cropland (either
    # tillage) (100 x 10 + 300 x 30) / 400 = 25 %, grassland 20 %. dC(2005) of cropland in
    # draw k: 400 ha x (m_nt NO_TILL - m_ft FULL_TILL) / D, each stratum with the multiplier
    # Approach 1 gives the same stratum (its own stream).
    from inventory.engine.land import approach2

    con = duckdb.connect()
    approach2.compute_land_unit_inventory(
        _units(), _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=N, seed=SEED), con=con,
    )  # fmt: skip
    kept = con.table("stratum_area_uncertainty").df().set_index("management")
    assert kept.loc["full_tillage", "area_uncertainty_pct"] == pytest.approx(25.0, rel=1e-12)
    assert kept.loc["no_tillage", "area_uncertainty_pct"] == pytest.approx(25.0, rel=1e-12)
    assert kept.loc["nominal", "area_uncertainty_pct"] == pytest.approx(20.0, rel=1e-12)
    stratum = "URY | warm_temperate_moist | hac | cropland | {} | medium"
    m_ft = _stream(stratum.format("full_tillage"), 25.0)
    m_nt = _stream(stratum.format("no_tillage"), 25.0)
    crop = con.execute(
        "SELECT draw, sum(dC_tc_per_yr) AS dc FROM stock_change_draws WHERE year = 2005 "
        "AND land_use = 'cropland' AND draw > 0 GROUP BY draw ORDER BY draw"
    ).df()["dc"]
    hand = 400 * (m_nt * NO_TILL - m_ft * FULL_TILL) / D
    np.testing.assert_allclose(crop.to_numpy(), hand, rtol=1e-12, atol=1e-9)
    draw0 = con.execute("SELECT sum(dC_tc_per_yr) FROM stock_change_draws WHERE year = 2005 "
                        "AND land_use = 'cropland' AND draw = 0").fetchone()[0]  # fmt: skip
    assert draw0 == pytest.approx(400 * (NO_TILL - FULL_TILL) / D, rel=1e-12)  # 400 x 4.416 / 20
    assert draw0 == pytest.approx(88.32, rel=1e-12)


def test_land_units_without_uncertainty_draw_factors_only():
    from inventory.engine.land import approach2

    con = duckdb.connect()
    approach2.compute_land_unit_inventory(
        _units().drop(columns="area_uncertainty_pct"), _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=50, seed=SEED), con=con,
    )  # fmt: skip
    spread = con.execute("SELECT max(dC_tc_per_yr) - min(dC_tc_per_yr) FROM stock_change_draws "
                         "WHERE year = 2005 AND land_use = 'cropland'").fetchone()[0]  # fmt: skip
    assert spread == 0.0  # exact factors, exact areas: every draw is draw 0


MATRIX_ZONE = ("IRL", "cool_temperate_moist", "hac")
GRASS_NOMINAL = ("grassland", "nominal", "not_applicable")
CROP_FULL = ("cropland", "full_tillage", "medium")
CROP_NO_TILL = ("cropland", "no_tillage", "medium")
FOREST = ("forest_land", "not_applicable", "not_applicable")


def _matrices() -> pd.DataFrame:
    """The two 5-year matrices of test_land_use_changes (G->C 100 ha and C->N 50 ha in
    2001-2005, C->F 60 ha in 2006-2010), G->C at +/- 10 % and C->F at +/- 20 %."""
    g, c, n, f = GRASS_NOMINAL, CROP_FULL, CROP_NO_TILL, FOREST
    cells = [(2005, 2000, g, g, 900, None), (2005, 2000, g, c, 100, 10.0),
             (2005, 2000, c, c, 450, None), (2005, 2000, c, n, 50, None),
             (2005, 2000, f, f, 500, None), (2010, 2005, g, g, 900, None),
             (2010, 2005, c, c, 490, None), (2010, 2005, c, f, 60, 20.0),
             (2010, 2005, n, n, 50, None), (2010, 2005, f, f, 500, None)]  # fmt: skip
    return pd.DataFrame([
        {"country": "IRL", "year": y, "from_year": fy, "climate_zone": MATRIX_ZONE[1],
         "soil_class": MATRIX_ZONE[2], "from_land_use": a[0], "from_management": a[1],
         "from_input": a[2], "to_land_use": b[0], "to_management": b[1], "to_input": b[2],
         "area_ha": float(area), "area_uncertainty_pct": u}
        for y, fy, a, b, area, u in cells])  # fmt: skip


def test_matrix_cell_draws_scale_the_cohorts():
    # 2019 defaults, cool temperate moist HAC: G = 81, C = 81 x 0.70 = 56.7, N = 56.7 x 1.09 =
    # 61.803 t C/ha. Annual cohorts: G->C 20 ha/yr (2001-2005) x (56.7 - 81) / 20 = -24.3,
    # C->N 10 ha/yr x (61.803 - 56.7) / 20 = 2.5515, C->F 12 ha/yr (2006-2010) x (81 - 56.7)
    # / 20 = 14.58 t C/yr. National dC(2007) in draw k = 5 x -24.3 x m_GC + 5 x 2.5515
    # + 2 x 14.58 x m_CF = -79.5825 t C/yr in draw 0; the exact C->N cell is not drawn.
    from inventory.engine.land import land_use_changes

    con = duckdb.connect()
    land_use_changes.compute_matrix_inventory(
        _matrices(), _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=N, seed=SEED), con=con,
    )  # fmt: skip
    cell = "IRL | cool_temperate_moist | hac | {} | {} | {} | {} | {} | {}"
    m_gc = _stream(cell.format(*GRASS_NOMINAL, *CROP_FULL), 10.0)
    m_cf = _stream(cell.format(*CROP_FULL, *FOREST), 20.0)
    g_to_c, c_to_n, c_to_f = 20 * (56.7 - 81) / 20, 10 * (61.803 - 56.7) / 20, 12 * (81 - 56.7) / 20
    national = (
        con.execute(
            "SELECT draw, sum(dC_tc_per_yr) AS dc FROM stock_change_draws WHERE year = 2007 "
            "GROUP BY draw ORDER BY draw"
        )
        .df()["dc"]
        .to_numpy()
    )
    assert national[0] == pytest.approx(5 * g_to_c + 5 * c_to_n + 2 * c_to_f, rel=1e-12)
    assert national[0] == pytest.approx(-79.5825, rel=1e-12)
    hand = 5 * g_to_c * m_gc + 5 * c_to_n + 2 * c_to_f * m_cf
    np.testing.assert_allclose(national[1:], hand, rtol=1e-12, atol=1e-9)
    # the 2007 conversion to forest alone: 2 cohorts x 14.58 x m_CF
    forest = (
        con.execute(
            "SELECT dC_tc_per_yr FROM stock_change_draws WHERE year = 2007 AND draw > 0 "
            "AND land_use_category = 'land_converted_to_forest_land' ORDER BY draw"
        )
        .df()["dC_tc_per_yr"]
        .to_numpy()
    )
    np.testing.assert_allclose(forest, 2 * c_to_f * m_cf, rtol=1e-12)


def test_matrix_cell_area_is_a_parameter_of_the_approach_1_propagation():
    # Land converted to forest land in 2007: only the C->F cohorts (dC = 29.16 t C/yr, dCO2 =
    # -29.16 x 44/12 = -106.92 t CO2/yr) with exact factors; the C->F area at +/- 20 % is its
    # only parameter and the change is linear in it: U = 20 % exactly (Eq. 3.1).
    from inventory.core import units
    from inventory.engine import sql_models
    from inventory.engine.land import land_use_changes

    con = sql_models.connect()
    land_use_changes.compute_matrix_inventory(
        _matrices(), _exact_factors(), EngineOptions(mc_draws=0, seed=SEED), con=con
    )
    params = {"transition_years": D, "c_to_co2": units.carbon_to_co2(1.0), "first_year": None,
              "last_year": None}  # fmt: skip
    draws, parameters = propagation.category_sensitivities(con, "transitions", params)
    rows = parameters[parameters["parameter"].str.startswith("area ")].set_index("parameter")
    name = "area IRL | cool_temperate_moist | hac | {} | {} | {} | {} | {} | {}"
    c_f = name.format(*CROP_FULL, *FOREST)
    assert rows["uncertainty_pct"].to_dict() == {name.format(*GRASS_NOMINAL, *CROP_FULL): 10.0,
                                                 c_f: 20.0}  # fmt: skip
    forest = draws[
        (draws["year"] == 2007) & (draws["land_use_category"] == "land_converted_to_forest_land")
    ]
    by_draw = forest.set_index("draw")["dCO2_t_per_yr"]
    assert by_draw[0] == pytest.approx(-106.92, rel=1e-12)
    step = rows.loc[c_f, "relative_step"]
    # the forward difference of the category's emissions in the C->F area is dCO2 itself
    # (linear), so its Eq. 3.1 term is 20 % x |dCO2| and U = 20 %
    assert (by_draw[rows.loc[c_f, "draw"]] - by_draw[0]) / step == pytest.approx(-106.92, rel=1e-6)


# ----------------------------------------------------- a per-dataset value in submission.yaml
def _cri_with_manifest(tmp_path, value, *, row_value: str | None = None):
    import yaml

    package = tmp_path / "CRI"
    shutil.copytree(EXAMPLES / "CRI", package)
    if row_value is not None:  # one row with its own value, the others empty
        frame = pd.read_csv(package / "land_areas.csv", dtype=str)
        frame["area_uncertainty_pct"] = ""
        frame.loc[0, "area_uncertainty_pct"] = row_value
        frame.to_csv(package / "land_areas.csv", index=False)
    manifest = yaml.safe_load((package / "submission.yaml").read_text(encoding="utf-8"))
    manifest["area_uncertainty_pct"] = value
    (package / "submission.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return package


def test_submission_yaml_gives_a_dataset_its_area_uncertainty(tmp_path):
    # area_uncertainty_pct: {land_areas: 8} in submission.yaml: every land_areas row without a
    # value of its own gets 8 %, the one row with 3 % keeps it, and the report says so
    from inventory.harmonise.areas import harmonise_land_areas

    package = _cri_with_manifest(tmp_path, {"land_areas": 8}, row_value="3")
    result = validate_submission(read_submission(package))
    assert result.ok, result.to_text()
    land = result.datasets["land_areas"]
    assert land.loc[0, "area_uncertainty_pct"] == 3.0
    assert (land.loc[1:, "area_uncertainty_pct"] == 8.0).all()
    assert result.summary["area_uncertainty_defaults"] == {
        "land_areas": {"pct": 8.0, "rows": len(land) - 1}
    }
    assert (f"land_areas: area_uncertainty_pct 8 % (submission.yaml) given to {len(land) - 1:,} "
            "row(s) without their own value") in result.to_text()  # fmt: skip
    harmonised = harmonise_land_areas(land.assign(country="CRI"))
    # one value per stratum, area-weighted over its years: 8 % but for row 0's stratum, whose
    # mean lies between its 3 % row and its 8 % years
    first = land.loc[0, ["climate_zone", "soil_class", "land_use", "management", "input"]]
    own = (harmonised[list(first.index)] == first.to_numpy()).all(axis=1)
    assert (harmonised.loc[~own, "area_uncertainty_pct"] == 8.0).all()
    assert harmonised.loc[own, "area_uncertainty_pct"].between(3.0, 8.0, inclusive="left").all()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"land_areas": 120}, "area_uncertainty_pct.land_areas 120 must be a number from 0 to 100"),
        ({"land_areas": "8"}, "area_uncertainty_pct.land_areas '8' must be a number from 0 to 100"),
        ({"land_areas": True}, "must be a number from 0 to 100"),
        ({"profiles": 5}, "'profiles' under 'area_uncertainty_pct' is not a dataset with areas"),
        ({"land_units": 5}, "area_uncertainty_pct names 'land_units', which 'files' does not list"),
        (8, "'area_uncertainty_pct' must map datasets to a percentage"),
    ],
)
def test_submission_yaml_area_uncertainty_is_checked(tmp_path, value, words):
    from inventory.intake.submission import SubmissionError

    package = _cri_with_manifest(tmp_path, value)
    with pytest.raises(SubmissionError) as err:
        read_submission(package)
    failures = err.value.failures
    row = failures[failures["rule_id"] == "manifest_area_uncertainty"].iloc[0]
    assert row["file"] == "submission.yaml"
    assert words in row["message"]
    assert row["fix"]


# ------------------------------------------------------- S(y) intervals of Approach 2/3 runs
def test_land_unit_stock_interval_carries_the_stratum_draws():
    # S(2024) of the units above: 2005-2024 all no-till, so S_k = 400 ha x NO_TILL x m_nt(k)
    # + 50 ha x 64 x m_g(k) (draw 0: 400 x 48.576 + 3200 = 22630.4 t C), and the published
    # interval is the 2.5th / 97.5th percentile of these hand draws
    from inventory.engine.land import approach2

    con = duckdb.connect()
    result = approach2.compute_land_unit_inventory(
        _units(), _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=N, seed=SEED), con=con,
    )  # fmt: skip
    m_nt = _stream("URY | warm_temperate_moist | hac | cropland | no_tillage | medium", 25.0)
    m_g = _stream("URY | warm_temperate_moist | hac | grassland | nominal | not_applicable", 20.0)
    hand = 400 * NO_TILL * m_nt + 50 * GRASS * m_g
    draws = (
        con.execute(
            "SELECT stock_tc FROM inventory_stock_draws WHERE year = 2024 AND draw > 0 "
            "ORDER BY draw"
        )
        .df()["stock_tc"]
        .to_numpy()
    )
    np.testing.assert_allclose(draws, hand, rtol=1e-12)
    stocks = result.inventory_stocks
    row = stocks[(stocks.year == 2024) & (stocks.scope == "national")].iloc[0]
    assert row.stock_tc == pytest.approx(22630.4, rel=1e-12)
    low, high = np.quantile(hand, [0.025, 0.975])
    assert (row.stock_ci_low_tc, row.stock_ci_high_tc) == (
        pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9)
    )  # fmt: skip


def test_matrix_stock_interval_carries_the_cell_draws():
    # The matrices above: SOC(2000) = 1000 x 81 + 500 x 56.7 + 500 x 81 = 149,850 t C; each
    # year's flows move it by G->C 20 x (56.7 - 81) x m_GC, C->N 10 x (61.803 - 56.7) (exact)
    # and C->F 12 x (81 - 56.7) x m_CF; S_k(y) = the mean of SOC_k(max(u, 2000)) over
    # u = y - 19 .. y (draw 0: S(2007) = 149,850 - (434.97 + 869.94 + 1304.91 + 1739.88
    # + 2174.85 + 1883.25 + 1591.65) / 20 = 149,350.0275 t C).
    from inventory.engine.land import land_use_changes

    con = duckdb.connect()
    result = land_use_changes.compute_matrix_inventory(
        _matrices(), _exact_factors(),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=N, seed=SEED), con=con,
    )  # fmt: skip
    cell = "IRL | cool_temperate_moist | hac | {} | {} | {} | {} | {} | {}"
    m_gc = np.concatenate([[1.0], _stream(cell.format(*GRASS_NOMINAL, *CROP_FULL), 10.0)])
    m_cf = np.concatenate([[1.0], _stream(cell.format(*CROP_FULL, *FOREST), 20.0)])

    def soc(u):
        gc, cn, cf = (
            20 * min(max(u - 2000, 0), 5),
            10 * min(max(u - 2000, 0), 5),
            12 * min(max(u - 2005, 0), 5),
        )
        return (149_850 + gc * (56.7 - 81) * m_gc + cn * (61.803 - 56.7)
                + cf * (81 - 56.7) * m_cf)  # fmt: skip

    hand = np.mean([soc(max(u, 2000)) for u in range(2007 - 19, 2008)], axis=0)
    assert hand[0] == pytest.approx(149_350.0275, rel=1e-12)
    draws = (
        con.execute("SELECT stock_tc FROM inventory_stock_draws WHERE year = 2007 ORDER BY draw")
        .df()["stock_tc"]
        .to_numpy()
    )
    np.testing.assert_allclose(draws, hand, rtol=1e-12)
    stocks = result.inventory_stocks
    row = stocks[(stocks.year == 2007) & (stocks.scope == "national")].iloc[0]
    assert row.stock_tc == pytest.approx(hand[0], rel=1e-12)
    low, high = np.quantile(hand[1:], [0.025, 0.975])
    assert (row.stock_ci_low_tc, row.stock_ci_high_tc) == (
        pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9)
    )  # fmt: skip
