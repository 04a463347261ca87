"""Issue 22 item 15: a release without countries, a missing area column, an undescribed history.

``run --withdraw X`` for every country ended in a KeyError while building the dashboard; a
``land_use_changes.csv`` with ``area_ha`` in place of ``area`` and ``area_unit`` ended in a
TypeError from the matrix checks; ``releases.parquet`` fields had no descriptions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow.parquet as pq
from attacks import package

from inventory.intake.submission import read_submission
from inventory.interfaces import cli
from inventory.lake import releases
from inventory.lake.zones import Lake, sha256_file
from inventory.reporting import dashboard
from inventory.validation.validate import validate_submission

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import test_land_use_changes as matrices  # noqa: E402


def _withdraw_everything(lake: Lake) -> releases.Release:
    """A release publishing no country: a run that computes none and withdraws IRL."""
    releases.write_run(lake, "run-none", {}, {"countries": [], "submissions": {},
                                              "parameters": {"withdraw": ["IRL"]}})  # fmt: skip
    return releases.publish_run(lake, "run-none")


def test_a_release_without_countries_has_a_dashboard_that_says_so(tmp_path, capsys):
    lake = Lake.at(tmp_path / "lake")
    release = _withdraw_everything(lake)
    path = dashboard.build_dashboard(lake)
    html = path.read_text(encoding="utf-8")
    assert release.release_id in html and "publishes no country" in html
    assert cli.main(["--lake", str(lake.root), "report"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_matrices_with_area_ha_in_place_of_area_are_refused_without_running_the_sums(tmp_path):
    root = matrices._package(tmp_path)
    text = (root / "land_use_changes.csv").read_text(encoding="utf-8")
    (root / "land_use_changes.csv").write_text(
        text.replace("area,area_unit", "area_ha").replace(",ha\n", "\n"), encoding="utf-8"
    )
    result = validate_submission(read_submission(root))
    assert not result.ok
    records = result.failures[["rule_id", "column"]].to_records(index=False).tolist()
    assert sorted(records) == [("missing_column", "area"), ("missing_column", "area_unit")]
    reason = result.summary["skipped_checks"]["matrix_consistency"]
    assert "land_use_changes.csv has no column area;" in reason
    assert "Checks not run (they need a missing column):" in result.to_text()
    assert "matrix_consistency: not run: land_use_changes.csv has no column area" in (
        result.to_text()
    )


def test_land_areas_with_area_ha_in_place_of_area_skip_the_checks_that_need_it(tmp_path):
    root = package(tmp_path)
    text = (root / "land_areas.csv").read_text(encoding="utf-8")
    (root / "land_areas.csv").write_text(
        text.replace("area,area_unit", "area_ha").replace(",ha\n", "\n"), encoding="utf-8"
    )
    result = validate_submission(read_submission(root))
    assert set(result.failures["rule_id"]) == {"missing_column"}
    assert sorted(result.failures["column"]) == ["area", "area_unit"]
    assert set(result.summary["skipped_checks"]) == {
        "time_series_land_areas",
        "matrix_land_areas",
        "organic_within_land_area",
    }


def test_the_release_history_describes_every_field(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    release = _withdraw_everything(lake)
    schema = pq.read_schema(release.path / releases.RELEASES_FILE)
    assert schema.names == list(releases.RELEASES_FIELDS)
    for name in schema.names:
        meta = schema.field(name).metadata
        assert meta[b"description"].decode() == releases.RELEASES_FIELDS[name]


def test_each_history_row_chains_the_previous_history(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    first = _withdraw_everything(lake)
    releases.write_run(lake, "run-two", {}, {"countries": [], "submissions": {},
                                             "parameters": {"withdraw": []}})  # fmt: skip
    second = releases.publish_run(lake, "run-two")
    history = releases.read_published(lake, "releases")
    assert history["release_id"].tolist() == [first.release_id, second.release_id]
    assert history["previous_release_id"].isna().tolist() == [True, False]
    assert history["previous_release_id"].iloc[1] == first.release_id
    assert history["previous_history_sha256"].iloc[1] == sha256_file(
        first.path / releases.RELEASES_FILE
    )
