"""Streamed validation of a profiles file: the same failure table as the whole-file validation."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from inventory.core.failures import concat_failures
from inventory.intake.submission import read_submission
from inventory.validation import gx_suites, rules, streaming
from inventory.validation.validate import number_format, suite_parameters, validate_submission

MINIMAL = Path(__file__).parent / "data" / "minimal"
HEADER = (
    "profile_id,lat,lon,year,land_use,management,input,climate_zone,soil_class,upper_cm,"
    "lower_cm,soc,soc_unit,soc_method,bulk_density,bd_unit,coarse_fragments_pct"
)
GOOD = "{pid},53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,{u},{lo},22,g/kg,dry_combustion,1.25,g/cm3,5"  # noqa: E501
# Bad rows of every kind the profiles checks report, each line one record.
BAD = [
    "B-01,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,900,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-02,95,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-03,53.3,-7.9,1800,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-04,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,20,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-05,53.3,-7.9,2018,cropland,full_tillage,medium,tundra,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-06,53.3,-7.9,2018,cropland,nominal,medium,cool_temperate_moist,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-07,53.3,-7.9,2018,grassland,nominal,low,cool_temperate_moist,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-08,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,abc,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    'B-09,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,"1,200",g/kg,dry_combustion,1.25,g/cm3,5',  # noqa: E501
    "B-10,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,inf,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-11,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,22,parsecs,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    "B-12,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,22,,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    ",53.3,-7.9,2018.5,,full_tillage,medium,cool_temperate_moist,hac,,10,22,g/kg,guesswork,9,g/cm3,150",  # noqa: E501
    "B-14,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,clay,0,600,22,g/kg,dry_combustion,1.25,g/cm3,-5",  # noqa: E501
    "B\x01-15,53.3,-7.9,2018,cropland,full_tillage,medium,cool_temperate_moist,hac,0,10,22,g/kg,dry_combustion,1.25,g/cm3,5",  # noqa: E501
    ",,,,,,,,,,,,,,,,",  # a blank record: dropped, its row number kept
]


def _profiles_lines() -> list[str]:
    """60-odd records: bad rows spread out, and profiles spanning batch boundaries whose
    duplicate and overlapping horizons lie in different batches (S-1 at the start and end)."""
    lines = [GOOD.format(pid="S-1", u=0, lo=10), GOOD.format(pid="S-1", u=10, lo=20)]
    for i, bad in enumerate(BAD):
        lines += [
            GOOD.format(pid=f"G-{i}", u=0, lo=15),
            bad,
            GOOD.format(pid=f"G-{i}", u=15, lo=30),
        ]
        if i == len(BAD) // 2:
            lines += [GOOD.format(pid="S-2", u=0, lo=30), GOOD.format(pid="S-2", u=0, lo=30)]
    lines += [GOOD.format(pid="S-2", u=20, lo=40), GOOD.format(pid="S-1", u=5, lo=15)]
    lines += [GOOD.format(pid="S-1", u=10, lo=20)]  # duplicate of row 3, far below it
    return lines


def _package(tmp_path: Path, body: str) -> Path:
    package = tmp_path / "package"
    shutil.copytree(MINIMAL, package)
    (package / "profiles.csv").write_text(body, encoding="utf-8")
    return package


def _whole_and_streamed(package: Path, batch_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    sub = read_submission(package)
    whole = validate_submission(sub).failures
    whole = whole[whole["file"] == "profiles.csv"].reset_index(drop=True)
    streamed = streaming.validate_profiles_file(
        package / "profiles.csv",
        parameters=suite_parameters(sub.manifest),
        unit_defaults=sub.manifest.get("units"),
        number_format=number_format(sub.manifest),
        batch_rows=batch_rows,
        gx_sample_rows=batch_rows,
    )
    return whole, streamed


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 7, 1000])
def test_streamed_failures_equal_whole_file(tmp_path, batch_rows):
    package = _package(tmp_path, "\n".join([HEADER, *_profiles_lines()]) + "\n")
    whole, streamed = _whole_and_streamed(package, batch_rows)
    assert streamed.streamed and not streamed.gx_every_batch
    assert streamed.batches == -(-(len(_profiles_lines())) // batch_rows)
    pd.testing.assert_frame_equal(streamed.failures, whole)
    found = set(whole["rule_id"])
    assert {"soc_out_of_range", "coordinates_out_of_range", "year_out_of_range", "depth_order",
            "unknown_climate_zone", "management_land_use_mismatch", "input_land_use_mismatch",
            "not_a_number", "number_ambiguous", "not_finite", "unit_invalid", "unit_missing",
            "missing_value", "not_an_integer", "unknown_soc_method", "unknown_soil_class",
            "depth_out_of_range", "bulk_density_out_of_range", "coarse_fragments_out_of_range",
            "control_character", "duplicate_horizon", "overlapping_horizons"} <= found  # fmt: skip
    across = whole[whole["rule_id"].isin(["duplicate_horizon", "overlapping_horizons"])]
    assert {"S-1", "S-2"} <= {m.split(":")[0].removeprefix("profile ") for m in across["message"]}


@pytest.mark.parametrize(("blank", "streams"), [("", True), ("  ", False)])
def test_blank_lines_keep_row_numbers(tmp_path, blank, streams):
    """An empty line streams (Arrow counts it as a record); a line of spaces, which Arrow
    cannot parse, makes the file be read whole; both give the whole-file failures."""
    lines = _profiles_lines()
    body = "\n".join([HEADER, *lines[:10], blank, *lines[10:]]) + "\n"
    whole, streamed = _whole_and_streamed(_package(tmp_path, body), 4)
    assert streamed.streamed is streams
    assert whole["row"].max() == len(lines) + 2  # header and blank line counted
    pd.testing.assert_frame_equal(streamed.failures, whole)


def test_missing_column_reported_once(tmp_path):
    table = pd.read_csv(io.StringIO("\n".join([HEADER, *_profiles_lines()])), dtype="str",
                        keep_default_na=False)  # fmt: skip
    body = table.drop(columns=["soc_unit", "coarse_fragments_pct"]).to_csv(index=False)
    whole, streamed = _whole_and_streamed(_package(tmp_path, body), 5)
    assert (streamed.failures["rule_id"] == "missing_column").sum() == 1
    pd.testing.assert_frame_equal(streamed.failures, whole)


def test_vectorised_suite_equals_gx_on_bad_rows(tmp_path):
    package = _package(tmp_path, "\n".join([HEADER, *_profiles_lines()]) + "\n")
    sub = read_submission(package)
    raw = sub.datasets["profiles"]
    step = rules.prepare("profiles", raw, "profiles.csv")
    parameters = suite_parameters(sub.manifest)
    result = gx_suites.run_suite("profiles", step.frame, parameters)
    by_gx = gx_suites.result_failures(result, step.frame, raw, "profiles.csv")
    by_pandas = gx_suites.vectorised_failures(
        "profiles", step.frame, raw, "profiles.csv", parameters
    )
    assert len(by_gx) > len(BAD)
    # GX lists its results in its own order; the failure table is ordered by row
    pd.testing.assert_frame_equal(concat_failures([by_pandas]), concat_failures([by_gx]))


def test_batch_size_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="batch_rows"):
        streaming.validate_profiles_file(tmp_path / "p.csv", parameters={}, batch_rows=0)


def test_gx_runs_on_every_batch_when_the_sample_disagrees(tmp_path, monkeypatch):
    """A vectorised suite that misses a record on the sample hands every batch to GX."""
    package = _package(tmp_path, "\n".join([HEADER, *_profiles_lines()]) + "\n")
    vectorised = gx_suites.vectorised_failures

    def missing_one(*args, **kwargs):
        return vectorised(*args, **kwargs).iloc[1:]

    monkeypatch.setattr(gx_suites, "vectorised_failures", missing_one)
    whole, streamed = _whole_and_streamed(package, 7)
    assert streamed.gx_every_batch
    pd.testing.assert_frame_equal(streamed.failures, whole)
