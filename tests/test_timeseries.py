"""Gap filling of area series reported for some years only (IPCC 2006 Vol.1 Ch.5).

Hand-computed cases of :func:`inventory.core.timeseries.fill_series` (interpolation, held ends,
trend with its caps, surrogate Eq. 5.2, overlap Eq. 5.1), the ``time_series`` section of
``submission.yaml`` and the validation of filled series (no Prefect).

One climate x soil cell "z", reported in 2000 and 2010 (ha):
  cropland 100 -> 150, grassland 300 -> absent (0), forest_land absent (0) -> 250;
  the total is 400 ha in both years.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from submission_cases import MINIMAL, copy_minimal, set_yaml

from inventory.core.timeseries import FillMethod, fill_series, filled_year_ranges
from inventory.intake.manifest import check_manifest
from inventory.intake.submission import SubmissionError, read_submission
from inventory.intake.time_series import time_series_config
from inventory.validation.validate import validate_submission

KEYS = ["climate_zone", "land_use"]
REPORTED = pd.DataFrame({
    "year": [2000, 2000, 2010, 2010],
    "climate_zone": ["z"] * 4,
    "land_use": ["cropland", "grassland", "cropland", "forest_land"],
    "area_ha": [100.0, 300.0, 150.0, 250.0],
})  # fmt: skip


def _area(filled: pd.DataFrame, land_use: str, year: int) -> tuple[float, str]:
    row = filled[(filled["land_use"] == land_use) & (filled["year"] == year)]
    assert len(row) == 1, (land_use, year, row)
    return float(row["area_ha"].iloc[0]), str(row["area_source"].iloc[0])


def test_interpolation_between_reported_years_and_held_ends():
    filled = fill_series(REPORTED, keys=KEYS, span=(1998, 2012))
    # cropland 2003: 100 + (2003 - 2000) / (2010 - 2000) x (150 - 100) = 115
    assert _area(filled, "cropland", 2003) == (115.0, "interpolated")
    # grassland 2008: 300 + 0.8 x (0 - 300) = 60 (absent in 2010 = 0 ha)
    assert _area(filled, "grassland", 2008) == pytest.approx((60.0, "interpolated"))
    # forest_land 2001: 0 + 0.1 x 250 = 25
    assert _area(filled, "forest_land", 2001) == (25.0, "interpolated")
    # before 2000 the first state is held, after 2010 the last
    assert _area(filled, "cropland", 1998) == (100.0, "extrapolated_constant")
    assert _area(filled, "forest_land", 2012) == (250.0, "extrapolated_constant")
    assert filled[(filled["land_use"] == "forest_land") & (filled["year"] < 2001)].empty
    # reported rows are kept as reported; the total stays 400 ha in every year
    assert set(filled.loc[filled["year"].isin([2000, 2010]), "area_source"]) == {"reported"}
    assert filled.groupby("year")["area_ha"].sum().round(9).unique().tolist() == [400.0]


def test_complete_series_is_returned_unchanged_and_reported():
    filled = fill_series(REPORTED, keys=KEYS, span=(2000, 2000))
    assert filled.drop(columns="area_source").equals(REPORTED)
    assert set(filled["area_source"]) == {"reported"}


def test_trend_extrapolation_is_capped_at_zero_and_total_area():
    filled = fill_series(REPORTED, keys=KEYS, span=(1990, 2016), method=FillMethod("trend"))
    # cropland slope (150 - 100) / 10 = 5 ha/yr: 1998 -> 100 - 2 x 5 = 90; 2012 -> 160
    assert _area(filled, "cropland", 1998) == (90.0, "extrapolated_trend")
    assert _area(filled, "cropland", 2012) == (160.0, "extrapolated_trend")
    # forest slope 25 ha/yr: 2016 -> 250 + 6 x 25 = 400, the total area (cap)
    assert _area(filled, "forest_land", 2016) == (400.0, "extrapolated_trend")
    # grassland slope -30 ha/yr: 1995 -> 300 + 5 x 30 = 450 > 400 -> capped at the total 400
    assert _area(filled, "grassland", 1995) == (400.0, "extrapolated_trend")
    # forest 1998 -> 0 - 2 x 25 < 0 -> capped at 0 (no row)
    assert filled[(filled["land_use"] == "forest_land") & (filled["year"] == 1998)].empty
    # interior years are interpolated as by default
    assert _area(filled, "cropland", 2003) == (115.0, "interpolated")


def test_surrogate_scales_by_the_series_eq_5_2():
    series = pd.DataFrame({"land_use": "cropland", "climate_zone": None,
                           "year": range(1998, 2013),
                           "value": [float(v) for v in range(10, 25)]})  # fmt: skip
    filled = fill_series(REPORTED, keys=KEYS, span=(1998, 2012),
                         method=FillMethod("surrogate", series="s"), series=series)  # fmt: skip
    # s(1998) = 10, s(2000) = 12: Eq. 5.2, y_1998 = 100 x 10 / 12 = 83.333
    assert _area(filled, "cropland", 1998) == pytest.approx((100 * 10 / 12, "surrogate"))
    # after 2010 (s = 22): y_2012 = 150 x s(2012) / s(2010) = 150 x 24 / 22 = 163.636
    assert _area(filled, "cropland", 2012) == pytest.approx((150 * 24 / 22, "surrogate"))
    # between: ratio A/s interpolated, 2001: (100/12 x 0.9 + 150/22 x 0.1) x s(2001) = 13
    expected = (100 / 12 * 0.9 + 150 / 22 * 0.1) * 13
    assert _area(filled, "cropland", 2001) == pytest.approx((expected, "surrogate"))
    # land uses without a series fall back to interpolation
    assert _area(filled, "forest_land", 2001) == (25.0, "interpolated")


def test_overlap_splices_the_previous_method_eq_5_1():
    previous = pd.DataFrame({"land_use": "cropland", "climate_zone": None,
                             "year": [1996, 1997, 2000, 2010],
                             "value": [40.0, 45.0, 50.0, 70.0]})  # fmt: skip
    filled = fill_series(REPORTED, keys=KEYS, span=(1996, 2010),
                         method=FillMethod("overlap", series="old"), series=previous)  # fmt: skip
    # overlap years 2000 and 2010: ratio = mean(100 / 50, 150 / 70) = (2 + 2.142857) / 2
    ratio = (100 / 50 + 150 / 70) / 2
    assert _area(filled, "cropland", 1996) == pytest.approx((40 * ratio, "overlap"))
    assert _area(filled, "cropland", 1997) == pytest.approx((45 * ratio, "overlap"))
    # 1998: the previous method has no value -> the first state is held
    assert _area(filled, "cropland", 1998) == (100.0, "extrapolated_constant")
    assert _area(filled, "cropland", 2005) == (125.0, "interpolated")


def test_filled_years_are_listed_per_stratum_as_ranges():
    filled = fill_series(REPORTED, keys=KEYS, span=(1998, 2012))
    listing = filled_year_ranges(filled, KEYS).set_index("stratum")
    assert listing.loc["z/cropland", "years"] == "1998-1999, 2001-2009, 2011-2012"
    assert listing.loc["z/cropland", "area_source"] == "extrapolated_constant, interpolated"
    assert listing.loc["z/forest_land", "years"] == "2001-2009, 2011-2012"


def _manifest(section: object) -> dict:
    minimal = yaml.safe_load((MINIMAL / "submission.yaml").read_text(encoding="utf-8"))
    return {**minimal, "time_series": section}


@pytest.mark.parametrize(
    ("section", "column", "text"),
    [
        ({"land_areas": {"method": "spline"}}, "time_series.land_areas.method", "spline"),
        ({"land_areas": "surrogate"}, "time_series.land_areas.series", "needs 'series'"),
        ({"land_areas": {"method": "surrogate", "series": "x"}}, "files", "auxiliary_series"),
        ({"land_areas": {"method": "trend", "fit_years": 1}}, "time_series.land_areas.fit_years",
         "at least 2"),
        ({"land_units": "trend"}, "time_series", "cannot be gap-filled"),
        ({"total_area_tolerance_pct": -1}, "time_series.total_area_tolerance_pct", "percentage"),
        ({"land_areas": {"method": "trend", "window": 3}}, "time_series.land_areas",
         "unknown setting"),
        ("interpolate", "time_series", "must map"),
    ],
)  # fmt: skip
def test_time_series_section_errors_are_readable(section, column, text):
    problems = [p for p in check_manifest(_manifest(section))
                if p["rule_id"] == "manifest_time_series"]  # fmt: skip
    assert any(p["column"] == column and text in p["message"] for p in problems), problems
    assert all(p["file"] == "submission.yaml" and p["fix"] for p in problems)


def test_time_series_config_defaults_and_shorthand():
    config = time_series_config(_manifest({"organic_soils": "trend"}))
    assert config.method("land_areas") == FillMethod("interpolate")
    assert config.method("organic_soils") == FillMethod("trend", fit_years=2)
    assert config.total_area_tolerance_pct == 0.5


def _census_package(tmp_path, drop_years=(2019,), **yaml_changes):
    package = copy_minimal(tmp_path / "pkg")
    land = pd.read_csv(package / "land_areas.csv")
    land[~land["year"].isin(drop_years)].to_csv(package / "land_areas.csv", index=False)
    if yaml_changes:
        set_yaml(package, **yaml_changes)
    return package


def test_validation_lists_the_filled_years_per_stratum(tmp_path):
    result = validate_submission(read_submission(_census_package(tmp_path)))
    assert result.ok, result.to_text()
    filled = result.summary["time_series"]["land_areas"]["filled"]
    assert {r["years"] for r in filled} == {"2019"} and len(filled) == 4
    assert "cool_temperate_moist/hac/cropland/full_tillage/medium: 2019 (interpolated)" in (
        result.to_text()
    )


def test_filled_total_area_outside_tolerance_names_year_and_both_sums(tmp_path):
    # surrogate doubles cropland in 2019 (s = 2 vs 1 in 2018 and 2020): cropland 2000 -> 4000 ha
    # (2018 and 2020: full tillage 1500 + no-till 500), the 2019 total 6000 -> 8000 ha.
    package = _census_package(tmp_path, time_series={
        "land_areas": {"method": "surrogate", "series": "cropland_index"}})  # fmt: skip
    (package / "auxiliary_series.csv").write_text(
        "series,year,climate_zone,land_use,value\n"
        "cropland_index,2018,,cropland,1\ncropland_index,2019,,cropland,2\n"
        "cropland_index,2020,,cropland,1\n", encoding="utf-8")  # fmt: skip
    manifest = yaml.safe_load((package / "submission.yaml").read_text(encoding="utf-8"))
    set_yaml(package, files={**manifest["files"], "auxiliary_series": "auxiliary_series.csv"})
    result = validate_submission(read_submission(package))
    failure = result.failures[result.failures["rule_id"] == "total_land_area_changes"]
    assert len(failure) == 1, result.to_text()
    message = failure["message"].iloc[0]
    assert "2019" in message and "8,000.0 ha" in message and "6,000.0 ha" in message


def test_surrogate_series_missing_a_year_is_a_failure(tmp_path):
    package = _census_package(tmp_path, time_series={
        "land_areas": {"method": "surrogate", "series": "cropland_index"}})  # fmt: skip
    (package / "aux.csv").write_text(
        "series,year,climate_zone,land_use,value\ncropland_index,2018,,cropland,1\n",
        encoding="utf-8",
    )
    manifest = yaml.safe_load((package / "submission.yaml").read_text(encoding="utf-8"))
    set_yaml(package, files={**manifest["files"], "auxiliary_series": "aux.csv"})
    failures = validate_submission(read_submission(package)).failures
    hit = failures[failures["rule_id"] == "series_incomplete"]
    assert hit["message"].str.contains("2019, 2020").all() and len(hit) == 1
    assert hit["file"].iloc[0] == "aux.csv"


def test_trend_needs_enough_reported_years(tmp_path):
    package = _census_package(tmp_path, drop_years=(2019, 2020), years=[2018, 2022],
                              time_series={"land_areas": {"method": "trend"}})  # fmt: skip
    failures = validate_submission(read_submission(package)).failures
    assert "trend_needs_years" in set(failures["rule_id"])


def test_unknown_method_is_refused_before_validation(tmp_path):
    package = _census_package(tmp_path, time_series={"land_areas": "spline"})
    with pytest.raises(SubmissionError) as err:
        read_submission(package)
    assert "manifest_time_series" in set(err.value.failures["rule_id"])


def test_rows_refused_for_their_own_values_cause_no_knock_on_failures(tmp_path):
    # The minimal package reports 2018-2020, 6000 ha every year (tests/data/minimal). Two rows
    # are wrong in themselves: row 14, a year 2031 outside the declared 2018-2020, and row 3
    # (2018 no-till cropland, 500 ha), a negative area. Before: the 2031 row (1500 ha) also
    # failed the total-area check of 2031 (1500 vs the 6000 ha median), and the -500 ha row made
    # 2018 total 5000 ha. Now each is reported once, for its own value, and listed as left out.
    package = copy_minimal(tmp_path / "pkg")
    lines = (package / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",500,ha", ",-500,ha")
    lines.append("2031,cool_temperate_moist,hac,cropland,full_tillage,medium,1500,ha")
    (package / "land_areas.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_submission(read_submission(package))
    assert not result.ok
    failures = result.failures
    assert sorted(failures["row"].astype(int).unique().tolist()) == [3, 14], result.to_text()
    assert "total_land_area_changes" not in set(failures["rule_id"])
    assert result.summary["left_out_rows"] == {"land_areas.csv": 2}
    assert ("land_areas.csv: 2 row(s) refused for their own values (listed first) were left out "
            "of the checks across rows and years") in result.to_text()  # fmt: skip


def test_total_area_is_still_checked_in_years_without_refused_rows(tmp_path):
    # 2020 grassland nominal 2900 -> 29000 ha (a valid value, a wrong total): 2020 totals
    # 6000 - 2900 + 29000 = 32100 ha, and a refused row in 2018 (negative area) does not hide
    # it. The median is taken over 2019 and 2020 (2018 is incomplete): median(6000, 32100) =
    # 19050; 2019 departs by |6000 - 19050| / 19050 = 68.5 % and 2020 by
    # |32100 - 19050| / 19050 = 68.5 %, both over 0.5 %: both flagged, 2018 not checked.
    package = copy_minimal(tmp_path / "pkg")
    lines = (package / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",500,ha", ",-500,ha")
    lines[11] = lines[11].replace(",2900,ha", ",29000,ha")
    assert lines[11].startswith("2020,cool_temperate_moist,hac,grassland,nominal")
    (package / "land_areas.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_submission(read_submission(package))
    totals = result.failures[result.failures["rule_id"] == "total_land_area_changes"]
    assert sorted(totals["value"].tolist()) == ["2019", "2020"], result.to_text()
    assert "19,050.0 ha is the median" in totals["message"].iloc[0]
