"""Recalculation reports between hand-made releases: every table, CRT summary, causes, order."""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.reporting import recalculations as rc

STRATUM = {"climate_zone": "tropical_moist", "soil_class": "hac", "land_use": "cropland",
           "management": "full_tillage", "input": "medium"}  # fmt: skip


def _tables(country: str, area: float, dc: float, ci_low: float, co2: float) -> dict:
    stocks = pd.DataFrame([{"country": country, "year": 2001, **STRATUM, "area_ha": area,
                            "stock_tc": area * 50.0}])  # fmt: skip
    changes = pd.DataFrame([{"country": country, "year": 2001, "land_use": "cropland",
                             "land_use_category": "cropland_remaining_cropland",
                             "dC_tc_per_yr": dc, "dC_ci_low_tc_per_yr": ci_low}])  # fmt: skip
    crt = pd.DataFrame([
        {"country": country, "year": 2001, "category_code": "4.B.1", "subcategory": "mineral",
         "co2_t_per_yr": co2, "organic_ch4_t_per_yr": 2.0},
        {"country": country, "year": 2001, "category_code": "4.B.1", "subcategory": "organic",
         "co2_t_per_yr": 10.0, "organic_ch4_t_per_yr": 1.0},
        {"country": country, "year": 2001, "category_code": "4.C.1", "subcategory": "mineral",
         "co2_t_per_yr": 30.0, "organic_ch4_t_per_yr": 0.0},
    ])  # fmt: skip
    return {"soc_stocks": stocks, "stock_changes": changes, "unfccc_tables": crt}


def _manifest(country: str, *, sha: str = "aaa", edition: str = "2019", draws: int = 1000,
              submission: str = "sub-1") -> dict:  # fmt: skip
    return {"countries": [country], "submissions": {country: submission},
            "parameters": {"countries": [country], "edition": edition, "mc_draws": draws},
            "inputs": {country: {"land_areas": {"sha256": sha}}},
            "factor_tables_sha256": {"ipcc/soc_ref.csv": "f1"}}  # fmt: skip


def _publish(lake: Lake, run_id: str, tables: dict, manifest: dict) -> str:
    releases.write_run(lake, run_id, tables, manifest)
    return releases.publish_run(lake, run_id).release_id


@pytest.fixture
def lake(tmp_path):
    return Lake.at(tmp_path / "lake")


def test_draws_change_only_intervals_and_are_never_the_cause_of_a_central_change(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    # only mc_draws changes: the interval moves (8 -> 7.5), the central dC stays at 10
    second = _publish(lake, "run-b", _tables("KEN", 100.0, 10.0, 7.5, 40.0),
                      _manifest("KEN", draws=200))  # fmt: skip
    rows = rc.compare_all(lake, first, second)
    assert rows[["table", "column"]].values.tolist() == [["stock_changes", "dC_ci_low_tc_per_yr"]]
    row = rows.iloc[0]
    # 7.5 - 8.0 = -0.5 t C/yr; -0.5 / 8 = -6.25 %
    assert (row.previous, row.new, row.difference) == (8.0, 7.5, -0.5)
    assert row.difference_pct == pytest.approx(-6.25)
    assert row.kind == "uncertainty" and row.cause == "parameter mc_draws: 1000 -> 200"
    assert rc.compare_releases(lake, first, second).empty  # no central estimate changed
    assert rc.summary(lake, first, second).empty


def test_a_new_submission_is_named_with_its_strata_and_draws_stay_out(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 120.0, 12.0, 9.0, 44.0),
                      _manifest("KEN", sha="bbb", draws=200, submission="sub-2"))  # fmt: skip
    rows = rc.compare_all(lake, first, second).set_index(["table", "column"])
    expected_cause = ("submission sub-1 -> sub-2; input land_areas changed; area changed in 1 "
                      "strata (tropical_moist/hac/cropland/full_tillage/medium)")  # fmt: skip
    # soc_stocks: area 100 -> 120 ha (+20, +20 %); stock 100 x 50 = 5000 -> 120 x 50 = 6000 t C
    area = rows.loc[("soc_stocks", "area_ha")]
    assert (area.previous, area.new, area.difference, area.difference_pct) == (
        100.0, 120.0, 20.0, 20.0)  # fmt: skip
    assert rows.loc[("soc_stocks", "stock_tc")].difference == 1000.0
    assert area.row_keys == "tropical_moist, hac, cropland, full_tillage, medium"
    assert area.cause == expected_cause and area.kind == "central estimate"
    # stock_changes: dC 10 -> 12 (+2, +20 %), the interval 8 -> 9 names the draws too
    dc = rows.loc[("stock_changes", "dC_tc_per_yr")]
    assert (dc.difference, dc.difference_pct, dc.cause) == (2.0, 20.0, expected_cause)
    assert dc.category == "cropland_remaining_cropland"
    ci = rows.loc[("stock_changes", "dC_ci_low_tc_per_yr")]
    assert ci.cause == expected_cause + "; parameter mc_draws: 1000 -> 200"
    assert set(rows.index.get_level_values("table")) == {"soc_stocks", "stock_changes",
                                                        "unfccc_tables"}  # fmt: skip


def test_summary_per_crt_category_and_national_total(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 100.0, 10.0, 8.0, 44.0),
                      _manifest("KEN", edition="2006"))  # fmt: skip
    table = rc.summary(lake, first, second)
    got = table[["category_code", "gas", "previous", "new", "difference"]].values.tolist()
    # CO2 of 4.B.1: 40 + 10 = 50 -> 44 + 10 = 54 t (+4, +8 %); 4.C.1 unchanged (30), so the
    # national total is 50 + 30 = 80 -> 54 + 30 = 84 t (+4, +5 %); CH4 did not change.
    assert got == [["4.B.1", "CO2", 50.0, 54.0, 4.0], ["national total", "CO2", 80.0, 84.0, 4.0]]
    assert table["difference_pct"].tolist() == pytest.approx([8.0, 5.0])
    assert set(table["cause"]) == {"parameter edition: '2019' -> '2006'"}
    assert set(table["unit"]) == {"t CO2/yr"}


def test_a_country_added_is_named_and_the_others_unchanged(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("IRL", 50.0, 5.0, 4.0, 20.0), _manifest("IRL"))
    rows = rc.compare_all(lake, first, second)
    assert set(rows["country"]) == {"IRL"} and set(rows["cause"]) == {"country added"}
    area = rows[(rows.table == "soc_stocks") & (rows.column == "area_ha")].iloc[0]
    # absent before: previous empty, difference 50 - 0 = 50 ha, no percentage
    assert pd.isna(area.previous) and area.new == 50.0 and area.difference == 50.0
    assert pd.isna(area.difference_pct)


def test_releases_given_newest_first_are_warned_about(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 120.0, 12.0, 9.0, 44.0),
                      _manifest("KEN", sha="bbb"))  # fmt: skip
    assert rc.order_warning(lake, first, second) is None
    warning = rc.order_warning(lake, second, first)
    assert warning is not None and f"soc-inventory diff {first} {second}" in warning


def test_the_report_written_after_publishing_covers_every_table(lake):
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 120.0, 12.0, 9.0, 44.0),
                      _manifest("KEN", sha="bbb"))  # fmt: skip
    assert rc.write_recalculation_report(lake, first) is None
    rc.write_recalculation_report(lake, second)
    out = lake.root / "recalculations"
    every = pd.read_csv(out / f"{second}_all_tables.csv")
    assert set(every["table"]) == {"soc_stocks", "stock_changes", "unfccc_tables"}
    summary = pd.read_csv(out / f"{second}_summary.csv")
    # national CO2: 80 -> 84 t
    national = summary[summary.category_code == "national total"].iloc[0]
    assert (national.previous, national.new) == (80.0, 84.0)
