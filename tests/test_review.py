"""The compiler's workflow (issues 25 and 22 item 4): the lake's sequence orders submissions,
a validated submission waits for a compiler's approval, a run of many countries publishes each
country that passes, and every release records what it used."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from inventory.harmonise import review, store
from inventory.intake.submission import receive_submission
from inventory.interfaces import cli
from inventory.lake import releases, zones
from inventory.lake.zones import Lake
from inventory.validation import validate

sys.path.insert(0, str(Path(__file__).resolve().parent / "security"))
from attacks import package  # noqa: E402


def submit(lake: Lake, path: Path, **notes) -> tuple[str, dict]:
    """Store, validate and file a package as the intake flow does (no Prefect)."""
    receipt = receive_submission(path, lake, notes=notes or None)
    outcome = store.file_outcome(lake, receipt.country, receipt.submission_id,
                                 validate.validate_stored(receipt))  # fmt: skip
    return receipt.submission_id, outcome


def relabel(root: Path, country: str) -> Path:
    """The minimal package filed for another country (same data)."""
    manifest = root / "submission.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("country: IRL",
                        f"country: {country}"), encoding="utf-8")  # fmt: skip
    return root


def shortened(root: Path) -> Path:
    """The minimal package reporting 2018-2019 only (its 2020 rows dropped, profiles sampled in
    2020 dated 2019); two 2019 areas moved between strata: 1450 -> 1440 ha and 550 -> 560 ha
    (the year's total stays 6000 ha)."""
    profiles = root / "profiles.csv"
    profiles.write_text(profiles.read_text(encoding="utf-8").replace(",2020,", ",2019,"),
                        encoding="utf-8")  # fmt: skip
    manifest = root / "submission.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("[2018, 2020]",
                        "[2018, 2019]"), encoding="utf-8")  # fmt: skip
    for name in ("land_areas.csv", "organic_soils.csv"):
        lines = (root / name).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith("2020,")]
        text = "\n".join(kept) + "\n"
        if name == "land_areas.csv":
            text = text.replace(
                "2019,cool_temperate_moist,hac,cropland,full_tillage,medium,1450",
                "2019,cool_temperate_moist,hac,cropland,full_tillage,medium,1440",
            )
            text = text.replace(
                "2019,cool_temperate_moist,hac,cropland,no_tillage,high,550",
                "2019,cool_temperate_moist,hac,cropland,no_tillage,high,560",
            )
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def reviewed(monkeypatch):
    """A multi-country installation: no country is auto-approved (the default)."""
    monkeypatch.setenv("SOILC_AUTO_APPROVE", "")


# ---------------------------------------------------------------------------- clock steps
def test_a_clock_step_cannot_hide_a_later_submission(tmp_path, monkeypatch):
    """Issue 22 item 4, reproduced: a submission filed with a clock 5 years ahead, then the
    corrected one filed with the right clock. The ids embed the clocks (the first id sorts
    after the second), yet the lake's sequence makes the second one current."""
    lake = Lake.at(tmp_path / "lake")
    ahead = datetime(2031, 1, 1, tzinfo=UTC)
    with monkeypatch.context() as clock:
        clock.setattr(zones, "utc_now", lambda: ahead)
        skewed, first = submit(lake, package(tmp_path, "skewed"))
    corrected_pkg = package(tmp_path, "corrected")
    (corrected_pkg / "land_areas.csv").write_text(
        (corrected_pkg / "land_areas.csv")
        .read_text(encoding="utf-8")
        .replace(
            "2018,cool_temperate_moist,hac,cropland,full_tillage,medium,1500",
            "2018,cool_temperate_moist,hac,cropland,full_tillage,medium,1495",
        )
        .replace(
            "2018,cool_temperate_moist,hac,cropland,no_tillage,high,500",
            "2018,cool_temperate_moist,hac,cropland,no_tillage,high,505",
        ),
        encoding="utf-8",
    )
    corrected, second = submit(lake, corrected_pkg)
    assert skewed.startswith("sub-2031") and skewed > corrected  # what string order got wrong
    assert (first["status"], second["status"]) == ("current", "current")
    current = store.harmonised_manifest(lake, "IRL")
    assert (current["submission_id"], current["sequence"]) == (corrected, 2)
    areas = store.read_harmonised(lake, "land_areas", "IRL")
    row = areas[(areas["year"] == 2018) & (areas["management"] == "full_tillage")]
    assert row["area_ha"].tolist() == [1495.0]  # the corrected value is the input
    assert store.submission_state(lake, "IRL", skewed) == "superseded"


def test_the_sequence_is_persisted_and_never_repeats(tmp_path):
    from inventory.lake.sequence import last_sequence, next_sequence

    lake = Lake.at(tmp_path / "lake")
    assert [next_sequence(lake) for _ in range(3)] == [1, 2, 3]
    assert last_sequence(Lake.at(tmp_path / "lake")) == 3  # read back from config/sequence.json
    assert json.loads((lake.root / "config" / "sequence.json").read_text()) == {"submissions": 3}


def test_an_older_candidate_cannot_replace_a_later_current_input(tmp_path, reviewed):
    lake = Lake.at(tmp_path / "lake")
    older, _ = submit(lake, package(tmp_path, "a"))
    newer, _ = submit(lake, package(tmp_path, "b"))
    review.approve(lake, "IRL", newer, by="compiler A")
    with pytest.raises(store.SupersededError, match=r"number 1\) is older than IRL's current"):
        review.approve(lake, "IRL", older, by="compiler A")
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == newer


# ---------------------------------------------------------------------------- review
def test_a_validated_submission_waits_for_a_compiler(tmp_path, reviewed):
    lake = Lake.at(tmp_path / "lake")
    first, outcome = submit(lake, package(tmp_path, "first"))
    assert outcome["status"] == "candidate" and not outcome["current"]
    assert outcome["status_text"].startswith("validated, awaiting review")
    assert store.harmonised_countries(lake) == []  # nothing a run could use yet
    assert [c["submission_id"] for c in review.candidates(lake)] == [first]
    summary = review.change_summary(lake, "IRL", first)
    assert summary["current_submission_id"] is None and not summary["drops"]
    # 4 strata x 3 years = 12 rows, all new
    assert summary["datasets"]["land_areas"]["rows_after"] == 12
    record = review.approve(lake, "IRL", first, by="Ana (compiler)")
    assert (record["approved_by"], record["sequence"]) == ("Ana (compiler)", 1)
    assert store.harmonised_manifest(lake, "IRL")["approved_by"] == "Ana (compiler)"
    assert store.submission_state(lake, "IRL", first) == "current"


def test_the_change_summary_names_dropped_years_and_changed_areas(tmp_path, reviewed):
    lake = Lake.at(tmp_path / "lake")
    first, _ = submit(lake, package(tmp_path, "first"))
    review.approve(lake, "IRL", first, by="Ana")
    second, outcome = submit(lake, shortened(package(tmp_path, "second")))
    assert outcome["status"] == "candidate"
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == first  # still current
    summary = review.change_summary(lake, "IRL", second)
    areas = summary["datasets"]["land_areas"]
    # 12 rows (4 strata x 2018-2020) -> 8 (2018-2019); 2020 dropped; 2 areas of 2019 changed
    assert (areas["rows_before"], areas["rows_after"]) == (12, 8)
    assert areas["years_dropped"] == [2020] and areas["years_added"] == []
    assert (areas["strata_dropped"], areas["areas_changed"]) == (0, 2)
    # last year's total: 1400 + 600 + 2900 + 1100 = 6000 ha (2020) -> 1440 + 560 + 2950 +
    # 1050 = 6000 ha (2019)
    assert (areas["area_last_year_before_ha"], areas["area_last_year_after_ha"]) == (6000, 6000)
    assert summary["drops"]
    lines = review.describe(summary)
    assert "land_areas: 12 -> 8 rows; years dropped: 2020; 2 areas changed" in lines
    with pytest.raises(review.DropConfirmationNeeded, match="drops data of IRL") as refused:
        review.approve(lake, "IRL", second, by="Ana")
    assert "--confirm-drop" in str(refused.value.action)
    record = review.approve(lake, "IRL", second, by="Ana", confirm_drop=True)
    assert record["accepts_drop"] is True
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == second


def test_a_returned_submission_carries_the_note_and_never_becomes_current(tmp_path, reviewed):
    from inventory.interfaces.uploads import submission_report

    lake = Lake.at(tmp_path / "lake")
    sid, _ = submit(lake, package(tmp_path))
    with pytest.raises(cli.UsageError, match="needs a note"):
        review.return_submission(lake, "IRL", sid, by="Ana", note="  ")
    review.return_submission(lake, "IRL", sid, by="Ana", note="2019 areas are provisional")
    report = submission_report(lake, "IRL", sid)
    assert report["status"] == "returned"
    assert report["review"]["note"] == "2019 areas are provisional"
    assert store.harmonised_countries(lake) == []
    with pytest.raises(review.ReviewError, match="not awaiting review: it is returned"):
        review.approve(lake, "IRL", sid, by="Ana")


def test_a_check_only_upload_is_validated_and_kept_never_a_candidate(tmp_path, reviewed):
    lake = Lake.at(tmp_path / "lake")
    sid, outcome = submit(lake, package(tmp_path), check_only=True)
    assert outcome["status"] == "validated" and outcome["accepted"]
    assert review.candidates(lake) == [] and store.harmonised_countries(lake) == []
    assert lake.validated("IRL", sid).is_dir()
    with pytest.raises(review.ReviewError, match="check only"):
        review.approve(lake, "IRL", sid, by="Ana")


def test_cli_submit_answers_awaiting_review_then_review_and_approve(tmp_path, reviewed, capsys):
    lake = str(tmp_path / "lake")
    assert cli.main(["--lake", lake, "submit", str(package(tmp_path))]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "validated, awaiting review" in out and "accepted" not in out
    (candidate,) = review.candidates(Lake.at(lake))
    sid = candidate["submission_id"]
    assert cli.main(["--lake", lake, "review"]) == cli.EXIT_OK
    assert sid in capsys.readouterr().out
    assert cli.main(["--lake", lake, "review", sid]) == cli.EXIT_OK
    assert "no current input yet: this would be the country's first" in capsys.readouterr().out
    assert cli.main(["--lake", lake, "approve", sid, "--by", "Ana"]) == cli.EXIT_OK
    assert f"approved: IRL submission {sid} is the current input (approved by Ana" in (
        capsys.readouterr().out
    )
    assert cli.main(["--lake", lake, "approve", sid]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "error: submission" in err and "is not awaiting review: it is current" in err


# ---------------------------------------------------------------------------- runs per country
def _run(lake: str, capsys, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["--lake", lake, "run", "--mc-draws", "0", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_run_publishes_every_country_that_passes_and_names_the_refused_one(
    tmp_path, prefect_harness, capsys
):
    """IRL and URY (the minimal package, 2018-2020) are published. IRL's next submission
    reports 2018-2019 only and is made current by auto-approval (no compiler's decision on the
    drop): a run of every country publishes URY and refuses IRL with the guard's message and
    action, exit 3; the release keeps IRL's previous numbers and their provenance."""
    lake = str(tmp_path / "lake")
    first_irl, _ = submit(Lake.at(lake), package(tmp_path, "irl"))
    submit(Lake.at(lake), relabel(package(tmp_path, "ury"), "URY"))
    code, _, err = _run(lake, capsys)
    assert code == cli.EXIT_OK, err
    shorter, outcome = submit(Lake.at(lake), shortened(package(tmp_path, "irl2")))
    assert outcome["status"] == "current"  # auto-approved: SOILC_AUTO_APPROVE=* (conftest)
    code, out, err = _run(lake, capsys)
    assert code == cli.EXIT_PARTIAL == 3
    # 4 strata x 1 year (2020) of soc_stocks leave the release: 4 rows
    assert "refused IRL: the release would drop 4 country-year-stratum row(s)" in err
    assert "  action: if the new submission rightly drops them, approve the submission" in err
    assert "1 country(ies) refused, the others published (exit 3)" in err
    assert "internal error" not in err + out
    release = releases.current_release(Lake.at(lake))
    record = json.loads((release / "release.json").read_text())
    assert record["countries"] == "URY"
    assert [r["country"] for r in record["refused"]] == ["IRL"]
    assert record["provenance"]["IRL"]["submission_id"] == first_irl  # what the release holds
    stocks = releases.read_published(Lake.at(lake), "soc_stocks")
    assert sorted(stocks.loc[stocks["country"] == "IRL", "year"].unique()) == [2018, 2019, 2020]


def test_an_approved_drop_is_published_and_provenance_names_the_approval(
    tmp_path, prefect_harness, capsys, monkeypatch
):
    """The compiler's approval of a submission that drops 2020 is the explicit decision: the
    next run publishes IRL without 2020, and the release, the Parquet metadata, the dashboard
    and ``report`` name the submission, its sequence number and who approved it."""
    lake_dir = str(tmp_path / "lake")
    lake = Lake.at(lake_dir)
    first, _ = submit(lake, package(tmp_path, "irl"))
    assert _run(lake_dir, capsys)[0] == cli.EXIT_OK
    monkeypatch.setenv("SOILC_AUTO_APPROVE", "")
    second, outcome = submit(lake, shortened(package(tmp_path, "irl2")))
    assert outcome["status"] == "candidate"
    code, _, err = _run(lake_dir, capsys)  # the candidate is not used: the release is unchanged
    assert code == cli.EXIT_OK, err
    assert releases.release_provenance(lake)["IRL"]["submission_id"] == first
    review.approve(lake, "IRL", second, by="Ana (compiler)", confirm_drop=True)
    code, _, err = _run(lake_dir, capsys)
    assert code == cli.EXIT_OK, err
    stocks = releases.read_published(lake, "soc_stocks")
    assert sorted(stocks["year"].unique()) == [2018, 2019]
    used = releases.release_provenance(lake)["IRL"]
    assert (used["submission_id"], used["sequence"], used["approved_by"]) == (
        second, 2, "Ana (compiler)")  # fmt: skip
    release = releases.current_release(lake)
    metadata = pq.read_schema(release / "soc_stocks" / "country=IRL" / "part-0.parquet").metadata
    assert json.loads(metadata[b"soilc:provenance"])["IRL"]["submission_id"] == second
    assert cli.main(["--lake", lake_dir, "report"]) == cli.EXIT_OK
    capsys.readouterr()
    html = (lake.root / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert f"{second} (2)" in html and "Ana (compiler)" in html
    # a later candidate does not change what the release says it used
    third, _ = submit(lake, shortened(package(tmp_path, "irl3")))
    assert releases.release_provenance(lake)["IRL"]["submission_id"] == second
    assert cli.main(["--lake", lake_dir, "report"]) == cli.EXIT_OK
    html = (lake.root / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert third not in html and f"{second} (2)" in html


def test_the_publish_guard_refuses_one_country_and_publishes_the_other(
    tmp_path, prefect_harness, capsys
):
    """A dropped stratum is only known once computed: the publish guard refuses IRL (its
    grassland/improved stratum, 3 years = 3 rows of soc_stocks, would disappear) and publishes
    URY in the same release."""
    lake_dir = str(tmp_path / "lake")
    lake = Lake.at(lake_dir)
    submit(lake, package(tmp_path, "irl"))
    submit(lake, relabel(package(tmp_path, "ury"), "URY"))
    assert _run(lake_dir, capsys)[0] == cli.EXIT_OK
    fewer = package(tmp_path, "irl2")
    lines = (fewer / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if ",grassland,improved," not in line]
    text = "\n".join(kept) + "\n"  # the improved grassland reported as nominal: 3000 + 1000,
    for year, nominal in ((2018, 3000), (2019, 2950), (2020, 2900)):  # 2950 + 1050, 2900 + 1100
        text = text.replace(f"{year},cool_temperate_moist,hac,grassland,nominal,not_applicable,"
                            f"{nominal},", f"{year},cool_temperate_moist,hac,grassland,nominal,"
                            "not_applicable,4000,")  # fmt: skip
    (fewer / "land_areas.csv").write_text(text, encoding="utf-8")
    _, outcome = submit(lake, fewer)
    assert outcome["status"] == "current", outcome
    before = releases.current_release(lake).name
    code, _, err = _run(lake_dir, capsys)
    assert code == cli.EXIT_PARTIAL, err
    assert "refused IRL: the release would drop 3 country-year-stratum row(s)" in err
    release = releases.current_release(lake)
    record = json.loads((release / "release.json").read_text())
    assert release.name != before and record["countries"] == "URY"
    assert [(r["country"], r["code"]) for r in record["refused"]] == [("IRL", "publish_error")]
    stocks = releases.read_published(lake, "soc_stocks")
    irl = stocks[stocks["country"] == "IRL"]
    assert len(irl) == 12 and (irl["management"] == "improved").sum() == 3  # kept as before
