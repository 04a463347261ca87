"""Land-use change matrices (Approach 2): validation, the D-year ledger, CRT Table 4.1.

Hand-computed example, one cell (cool temperate moist, HAC), 2019 Refinement defaults:
SOC_REF = 81 t C/ha (Vol.4 Ch.2 Table 2.3); cropland F_LU = 0.70, no-till F_MG = 1.09,
full tillage and F_I medium = 1.00 (Vol.4 Ch.5 Table 5.5); grassland nominal and forest 1.00.
Stock densities SOC_ppha: grassland G = 81, cropland full tillage C = 81 x 0.70 = 56.7,
no-till N = 56.7 x 1.09 = 61.803, forest F = 81 t C/ha. D = 20 yr.

  matrix 2005 (from 2000, T = 5 yr): G->G 900, G->C 100, C->C 450, C->N 50, F->F 500 ha
  matrix 2010 (from 2005, T = 5 yr): G->G 900, C->C 490, C->F 60, N->N 50, F->F 500 ha

Annual flows: G->C 20 ha/yr and C->N 10 ha/yr in 2001-2005, C->F 12 ha/yr in 2006-2010.
Each year's cohort changes the stock for D years by
  G->C: 20 x (56.7 - 81) / 20    = -24.3   t C/yr
  C->N: 10 x (61.803 - 56.7) / 20 = 2.5515 t C/yr
  C->F: 12 x (81 - 56.7) / 20    = 14.58   t C/yr
"""

from __future__ import annotations

import pandas as pd
import pytest
from submission_cases import copy_minimal, set_yaml

from inventory.engine import run, sql_models
from inventory.engine.land import land_use_changes
from inventory.engine.land.approach2 import land_unit_transitions
from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.run import RunParameters, compute_country
from inventory.harmonise import store
from inventory.intake.submission import read_submission
from inventory.lake.zones import Lake
from inventory.validation.validate import validate_submission

ZONE, SOIL = "cool_temperate_moist", "hac"
G = ("grassland", "nominal", "not_applicable")
C = ("cropland", "full_tillage", "medium")
N = ("cropland", "no_tillage", "medium")
F = ("forest_land", "not_applicable", "not_applicable")
CELLS = [
    (2005, 2000, G, G, 900), (2005, 2000, G, C, 100), (2005, 2000, C, C, 450),
    (2005, 2000, C, N, 50), (2005, 2000, F, F, 500),
    (2010, 2005, G, G, 900), (2010, 2005, C, C, 490), (2010, 2005, C, F, 60),
    (2010, 2005, N, N, 50), (2010, 2005, F, F, 500),
]  # fmt: skip
G_TO_C, C_TO_N, C_TO_F = 20 * (56.7 - 81) / 20, 10 * (61.803 - 56.7) / 20, 12 * (81 - 56.7) / 20


def _matrix_csv(cells=CELLS) -> str:
    header = ("year,from_year,climate_zone,soil_class,from_land_use,from_management,from_input,"
              "to_land_use,to_management,to_input,area,area_unit")  # fmt: skip
    rows = [f"{y},{fy},{ZONE},{SOIL},{','.join(a)},{','.join(b)},{area},ha"
            for y, fy, a, b, area in cells]  # fmt: skip
    return "\n".join([header, *rows]) + "\n"


def _frame(cells=CELLS) -> pd.DataFrame:
    rows = [{"country": "IRL", "year": y, "from_year": fy, "climate_zone": ZONE,
             "soil_class": SOIL, "from_land_use": a[0], "from_management": a[1],
             "from_input": a[2], "to_land_use": b[0], "to_management": b[1], "to_input": b[2],
             "area_ha": float(area)} for y, fy, a, b, area in cells]  # fmt: skip
    return pd.DataFrame(rows)


def _package(tmp_path, cells=CELLS, *, land_areas: str | None = None):
    package = copy_minimal(tmp_path / "IRL")
    for name in ("land_areas.csv", "profiles.csv", "factors.csv", "organic_soils.csv"):
        (package / name).unlink()
    (package / "land_use_changes.csv").write_text(_matrix_csv(cells), encoding="utf-8")
    files = {"land_use_changes": "land_use_changes.csv"}
    if land_areas is not None:
        (package / "land_areas.csv").write_text(land_areas, encoding="utf-8")
        files["land_areas"] = "land_areas.csv"
    set_yaml(package, years=[2005, 2024], tier=1, approach=2, files=files)
    return package


@pytest.fixture(scope="module")
def ledger():
    result = land_use_changes.compute_matrix_inventory(
        _frame(),
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=0),
    )
    return result


def _national(totals: pd.DataFrame) -> pd.Series:
    return totals[totals["scope"] == "national"].set_index("year")["dC_tc_per_yr"]


def test_national_change_is_the_sum_of_cohorts(ledger):
    national = _national(ledger.stock_change_totals)
    assert national[2000] == 0.0  # the first state: nothing changed yet
    assert national[2003] == pytest.approx(3 * G_TO_C + 3 * C_TO_N)  # -65.2455
    assert national[2007] == pytest.approx(5 * G_TO_C + 5 * C_TO_N + 2 * C_TO_F)  # -79.5825
    # 2021: cohorts of 2002-2021 only (2001's has matured): 4 G->C, 4 C->N, 5 C->F = -14.094
    assert national[2021] == pytest.approx(4 * G_TO_C + 4 * C_TO_N + 5 * C_TO_F)


def test_categories_remaining_and_converted(ledger):
    changes = ledger.stock_changes.set_index(["year", "land_use_category"])
    converted = changes.loc[(2007, "land_converted_to_cropland")]
    assert converted["area_ha"] == 100.0 and converted["dC_tc_per_yr"] == pytest.approx(-121.5)
    remaining = changes.loc[(2007, "cropland_remaining_cropland")]
    # cropland 2007: 500 - 50 (to no-till, still cropland) + 100 + 50 - 24 (to forest) = 576 ha,
    # of which 100 converted: 476 remaining; its change is the no-till cohorts 5 x 2.5515
    assert remaining["area_ha"] == pytest.approx(476.0)
    assert remaining["dC_tc_per_yr"] == pytest.approx(5 * C_TO_N)
    forest = changes.loc[(2007, "land_converted_to_forest_land")]
    assert forest["area_ha"] == pytest.approx(24.0)
    assert forest["dC_tc_per_yr"] == pytest.approx(2 * C_TO_F)  # 29.16


def test_converted_areas_are_the_off_diagonals_of_the_last_d_years(ledger):
    sub = ledger.stock_change_subcategories.set_index(["year", "land_use_subcategory"])["area_ha"]
    # 2012: G->C 100 (2001-2005) and C->F 60 (2006-2010) are within 20 years
    assert sub[(2012, "grassland_converted_to_cropland")] == pytest.approx(100.0)
    assert sub[(2012, "cropland_converted_to_forest_land")] == pytest.approx(60.0)
    # 2023: only the cohorts of 2004 onwards: G->C 2004-2005 = 40 ha
    assert sub[(2023, "grassland_converted_to_cropland")] == pytest.approx(40.0)


def test_equals_approach_1_on_the_same_areas(ledger):
    con = sql_models.connect()
    sql_models.register(con, {"land_use_changes": _frame()})
    areas = land_use_changes.matrix_land_areas(con, last_year=2024)
    assert areas.groupby("year")["area_ha"].sum().round(9).unique().tolist() == [2000.0]
    approach1 = compute_mineral_inventory(
        areas.drop(columns="area_source"),
        factors.factor_table("2019"),
        EngineOptions(first_year=2000, last_year=2024, mc_draws=0),
    )
    pd.testing.assert_series_equal(
        _national(ledger.stock_change_totals), _national(approach1.stock_change_totals),
        rtol=1e-12, atol=1e-9,
    )  # fmt: skip


def test_state_areas_are_flagged():
    con = sql_models.connect()
    sql_models.register(con, {"land_use_changes": _frame()})
    areas = land_use_changes.matrix_land_areas(con, last_year=2012)
    source = areas.groupby("year")["area_source"].agg(set)
    assert source[2000] == source[2005] == source[2010] == {"reported"}
    assert source[2003] == {"interpolated"} and source[2012] == {"extrapolated_constant"}
    cropland_2003 = areas[(areas["year"] == 2003) & (areas["land_use"] == "cropland")]
    assert cropland_2003["area_ha"].sum() == pytest.approx(560.0)  # 500 + 3 x 20


def test_crt_table_4_1_from_matrices():
    con = sql_models.connect()
    sql_models.register(con, {"land_use_changes": _frame()})
    land_use_changes.matrix_land_areas(con, last_year=2012)
    table = land_use_changes.land_transition_matrix(con, "matrices", first_year=2003,
                                                    last_year=2012)  # fmt: skip
    cells = table.set_index(["year", "from_land_use", "to_land_use"])["area_kha"]
    # 2003: rows = the end of 2002 (grassland 960, cropland 540 incl. no-till, forest 500 ha)
    assert cells[(2003, "grassland", "cropland")] == pytest.approx(0.020)
    assert cells[(2003, "grassland", "grassland")] == pytest.approx(0.940)
    assert cells[(2003, "cropland", "cropland")] == pytest.approx(0.540)  # no-till stays
    assert cells[(2008, "cropland", "forest_land")] == pytest.approx(0.012)
    assert cells[(2011, "cropland", "forest_land")] == 0.0
    assert len(table[table["year"] == 2003]) == 36  # every pair of the six CRT land uses
    assert set(table.loc[table["year"] == 2003, "area_source"]) == {"interpolated"}
    assert set(table.loc[table["year"] == 2012, "area_source"]) == {"extrapolated_constant"}
    rows = table[table["year"] == 2008].groupby("from_land_use")["area_kha"].sum()
    columns = table[table["year"] == 2008].groupby("to_land_use")["area_kha"].sum()
    # rows: the end of 2007 (cropland 576, forest 524); columns: the end of 2008 (564, 536)
    assert (rows["cropland"], rows["forest_land"]) == pytest.approx((0.576, 0.524))
    assert (columns["cropland"], columns["forest_land"]) == pytest.approx((0.564, 0.536))
    assert set(table.loc[table["from_land_use"] == "cropland", "from_category_code"]) == {"4.B"}


def _units(ids: range) -> pd.DataFrame:
    """Land units: even ids grassland -> cropland in 2010, odd ids grassland throughout."""
    rows = [{"country": "IRL", "unit_id": f"u{u}", "year": year, "climate_zone": ZONE,
             "soil_class": SOIL, "land_use": "cropland" if u % 2 == 0 and year >= 2010
             else "grassland", "management": "full_tillage" if u % 2 == 0 and year >= 2010
             else "nominal", "input": "medium" if u % 2 == 0 and year >= 2010
             else "not_applicable", "area_ha": 10.0 + u}
            for u in ids for year in range(2005, 2013)]  # fmt: skip
    return pd.DataFrame(rows)


def _unit_transitions(units: pd.DataFrame) -> pd.DataFrame:
    con = sql_models.connect()
    sql_models.register(con, {"land_units": units})
    land_unit_transitions(con)
    sql_models.run_model(con, "land_transitions_units", into="land_transitions")
    return con.sql("SELECT * FROM land_transitions").df()


def test_crt_table_4_1_from_units_adds_up_across_partitions():
    # units u0..u5: even ones (10 + 12 + 14 = 36 ha) convert grassland -> cropland in 2010
    whole = _unit_transitions(_units(range(6)))
    parts = pd.concat([_unit_transitions(_units(range(0, 3))),
                       _unit_transitions(_units(range(3, 6)))])  # fmt: skip
    tables = []
    for partial in (whole, parts):
        con = sql_models.connect()
        sql_models.register(
            con,
            {
                "land_transitions": partial,
                "crt_land_uses": pd.DataFrame(
                    {"land_use": ["cropland", "grassland"], "category_code": ["4.B", "4.C"]}
                ),
            },
        )
        tables.append(sql_models.run_model(con, "crt_land_transition_matrix", {
            "first_year": 2006, "last_year": None, "ha_per_kha": 1000.0}))  # fmt: skip
    pd.testing.assert_frame_equal(tables[0], tables[1])
    cells = tables[0].set_index(["year", "from_land_use", "to_land_use"])["area_kha"]
    assert cells[(2010, "grassland", "cropland")] == pytest.approx(0.036)
    assert cells[(2010, "grassland", "grassland")] == pytest.approx(0.039)  # 11 + 13 + 15
    assert cells[(2011, "cropland", "cropland")] == pytest.approx(0.036)
    assert cells[(2009, "grassland", "grassland")] == pytest.approx(0.075)


# ------------------------------------------------------------------------ validation
def _failures(package):
    result = validate_submission(read_submission(package))
    return result, result.failures


def test_valid_matrices_are_accepted(tmp_path):
    result, failures = _failures(_package(tmp_path))
    assert result.ok, result.to_text()


def test_row_sums_must_match_the_previous_columns(tmp_path):
    cells = [c if c[:4] != (2010, 2005, C, C) else (2010, 2005, C, C, 480) for c in CELLS]
    _, failures = _failures(_package(tmp_path, cells))
    hit = failures[failures["rule_id"] == "matrix_rows_mismatch"]
    assert len(hit) == 1, failures.to_dict("records")
    message = hit["message"].iloc[0]
    assert "matrix 2010" in message and "cropland/full_tillage/medium" in message
    assert "540.0 ha (row sum)" in message and "2005 matrix ends with 550.0 ha" in message


def test_matrices_must_agree_with_land_areas(tmp_path):
    land = ("year,climate_zone,soil_class,land_use,management,input,area,area_unit\n"
            f"2005,{ZONE},{SOIL},grassland,nominal,not_applicable,900,ha\n"
            f"2005,{ZONE},{SOIL},cropland,full_tillage,medium,530,ha\n"
            f"2005,{ZONE},{SOIL},cropland,no_tillage,medium,50,ha\n"
            f"2005,{ZONE},{SOIL},forest_land,not_applicable,not_applicable,520,ha\n")  # fmt: skip
    _, failures = _failures(_package(tmp_path, land_areas=land))
    hit = failures[failures["rule_id"] == "matrix_land_areas_mismatch"]
    messages = " | ".join(hit["message"])
    assert "matrix 2005" in messages and "ends with 550.0 ha, but land_areas gives 530.0 ha" in (
        messages
    )
    assert "matrix 2010" in messages and "starts from 500.0 ha, but land_areas gives 520.0 ha" in (
        messages
    )


def test_chain_gaps_mixed_periods_and_management(tmp_path):
    cells = [(2010, 2006, *c[2:]) if c[0] == 2010 else c for c in CELLS]
    cells[0] = (2005, 1999, G, G, 900)  # one cell of the 2005 matrix with another period
    cells[1] = (2005, 2000, G, ("cropland", "nominal", "medium"), 100)
    _, failures = _failures(_package(tmp_path, cells))
    rules = set(failures["rule_id"])
    assert {"matrix_chain_gap", "matrix_period_mixed", "management_land_use_mismatch"} <= rules
    mismatch = failures[failures["rule_id"] == "management_land_use_mismatch"]
    assert mismatch["column"].tolist() == ["to_management"]


def test_period_must_end_after_it_starts(tmp_path):
    cells = [(2005, 2005, *c[2:]) if c[0] == 2005 else c for c in CELLS]
    _, failures = _failures(_package(tmp_path, cells))
    assert "matrix_period_invalid" in set(failures["rule_id"])


# ------------------------------------------------------------------------ end to end
def _run(tmp_path, package, country="IRL", **params):
    result = validate_submission(read_submission(package))
    assert result.ok, result.to_text()
    lake = Lake.at(tmp_path / "lake")
    assert store.file_outcome(lake, country, "sub-test", result)["accepted"]
    return compute_country(lake, country, RunParameters(tier=1, mc_draws=0, **params))


def test_matrix_package_equals_the_same_land_as_stratum_areas(tmp_path):
    # Representation equality, so both runs make the same assumption for 1985-1999 (D = 20
    # years before 2005, before the first matrix / area year 2000): history = hold. The
    # matrices' ledger invents no conversion before its first matrix (it holds the 2000
    # state whatever history says, and publishes backcast_hold); stratum areas would
    # otherwise be back-cast by their 2000-2005 trend (default history = trend).
    matrix_run = _run(tmp_path / "a", _package(tmp_path / "a"), history="hold")
    # the same land as land_areas reported in 2000, 2005 and 2010 (row and column sums),
    # interpolated in between by the default gap filling
    land = ("year,climate_zone,soil_class,land_use,management,input,area,area_unit\n"
            + "".join(f"{y},{ZONE},{SOIL},{','.join(s)},{a},ha\n" for y, s, a in [
                (2000, G, 1000), (2000, C, 500), (2000, F, 500),
                (2005, G, 900), (2005, C, 550), (2005, N, 50), (2005, F, 500),
                (2010, G, 900), (2010, C, 490), (2010, N, 50), (2010, F, 560)]))  # fmt: skip
    package = copy_minimal(tmp_path / "b" / "IRL")
    for name in ("profiles.csv", "factors.csv", "organic_soils.csv"):
        (package / name).unlink()
    (package / "land_areas.csv").write_text(land, encoding="utf-8")
    # the matrices beside the areas: checked against them, and the source of Table 4.1
    (package / "land_use_changes.csv").write_text(_matrix_csv(), encoding="utf-8")
    set_yaml(package, years=[2005, 2024], tier=1, approach=1,
             files={"land_areas": "land_areas.csv",
                    "land_use_changes": "land_use_changes.csv"})  # fmt: skip
    area_run = _run(tmp_path / "b", package, history="hold")
    pd.testing.assert_frame_equal(area_run.tables["land_transition_matrix"],
                                  matrix_run.tables["land_transition_matrix"])  # fmt: skip
    national = [_national(r.tables["stock_change_totals"]) for r in (matrix_run, area_run)]
    pd.testing.assert_series_equal(national[0], national[1], rtol=1e-12, atol=1e-9)
    assert national[0][2007] == pytest.approx(5 * G_TO_C + 5 * C_TO_N + 2 * C_TO_F)
    table = matrix_run.tables["land_transition_matrix"]
    assert table["year"].min() == 2005 and table["year"].max() == 2024
    stocks = area_run.tables["soc_stocks"].groupby("year")["area_source"].agg(set)
    assert stocks[2005] == {"reported"} and stocks[2007] == {"interpolated"}
    assert stocks[2024] == {"extrapolated_constant"}
    for r in (matrix_run, area_run):  # 2000 - (2005 - 20) = 15 history years, held
        history = r.tables["stock_change_totals"][["n_history_years_filled", "history_fill"]]
        assert history.drop_duplicates().values.tolist() == [[15, "backcast_hold"]]


def test_matrices_hold_the_state_before_the_first_matrix_and_say_so():
    matrices = _frame()  # first matrix from 2000; first reported year 2005, D = 20: 1985
    totals = run.history_columns(pd.DataFrame({"year": [2005]}), matrices,
                                 RunParameters(history="trend"), 2005)  # fmt: skip
    assert totals[["n_history_years_filled", "history_fill"]].values.tolist() == [
        [15, "backcast_hold"]
    ]
    reaching_back = run.history_columns(pd.DataFrame({"year": [2020]}), matrices,
                                        RunParameters(), 2020)  # fmt: skip
    assert reaching_back["history_fill"].tolist() == ["none"]  # 2000 = 2020 - 20
