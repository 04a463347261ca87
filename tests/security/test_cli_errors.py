"""Every CLI user error is one clear ``error:`` line (then the ``action:`` that resolves it, if
any) and exit 2, never a traceback."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from inventory.core.errors import DamagedLakeError, as_user_error
from inventory.engine.land.approach2 import LandUnitHistoryError
from inventory.engine.organic_soils.organic import OrganicFactorError
from inventory.harmonise.methods import MethodError
from inventory.interfaces import cli


def one_error_line(err: str) -> list[str]:
    """The ``error:`` line and, when there is one, the ``action:`` line (nothing else)."""
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("action: ")), err
    return lines


def test_submit_a_missing_path_prints_one_line_and_exits_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "inventory.interfaces.cli", "--lake",
                           str(tmp_path / "lake"), "submit", "/nonexistent"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == cli.EXIT_USAGE
    assert done.stderr.strip().splitlines() == ["error: no package at /nonexistent"]
    assert done.stdout == ""


BAD_ARGUMENTS = [
    ["run", "--country", "KEN", "--years", "2024-1990"],
    ["run", "--years", "nineties"],
    ["token", "create", "ZZZ"],
    ["run", "--withdraw", "XX1"],
    ["run", "--country", "KENYA"],
    ["run", "--country", "KEN"],  # no accepted submission
    ["run"],  # no country has one
    ["reprocess", "sub-nope"],
    ["diff", "release-a", "release-b"],
    ["report"],  # nothing published
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS)
def test_bad_arguments_are_one_line_exit_2(tmp_path, capsys, argv):
    assert cli.main(["--lake", str(tmp_path / "lake"), *argv]) == cli.EXIT_USAGE
    one_error_line(capsys.readouterr().err)


def test_a_country_name_is_not_a_code(tmp_path, capsys):
    assert cli.main(["--lake", str(tmp_path / "lake"), "run", "--country", "KENYA"]) == 2
    error, action = one_error_line(capsys.readouterr().err)
    assert error == "error: countries: 'KENYA' is not an ISO 3166 alpha-3 code"
    assert action.startswith("action: name the country by its three-letter code, e.g. KEN")


def test_a_country_without_an_accepted_submission_names_the_action(tmp_path, capsys):
    assert cli.main(["--lake", str(tmp_path / "lake"), "run", "--country", "ken"]) == 2
    error, action = one_error_line(capsys.readouterr().err)
    assert error == "error: no accepted submission for KEN (accepted: none yet)"
    assert action.startswith("action: submit one first (soc-inventory submit PATH")


def test_a_damaged_lake_file_is_one_line_exit_2(tmp_path, capsys):
    lake = tmp_path / "lake"
    (lake / "releases" / "r1").mkdir(parents=True)
    (lake / "releases" / "r1" / "releases.parquet").write_bytes(b"PAR1 damaged")
    # damaged as published (its checksum matches): unreadable, not changed after publishing
    digest = hashlib.sha256(b"PAR1 damaged").hexdigest()
    (lake / "releases" / "r1" / "checksums.json").write_text(
        json.dumps({"releases.parquet": digest}), encoding="utf-8"
    )
    os.symlink(lake / "releases" / "r1", lake / "published")
    assert cli.main(["--lake", str(lake), "status"]) == cli.EXIT_USAGE
    error, action = one_error_line(capsys.readouterr().err)
    assert error.startswith("error: a file of the data lake cannot be read")
    assert action == f"action: {DamagedLakeError.action}"


def test_a_release_without_its_checksums_is_not_served(tmp_path, capsys):
    lake = tmp_path / "lake"
    (lake / "releases" / "r1").mkdir(parents=True)
    (lake / "releases" / "r1" / "releases.parquet").write_bytes(b"PAR1 damaged")
    os.symlink(lake / "releases" / "r1", lake / "published")
    assert cli.main(["--lake", str(lake), "status"]) == cli.EXIT_USAGE
    error, action = one_error_line(capsys.readouterr().err)
    assert error.endswith("r1/checksums.json is missing: the release cannot be verified")
    assert action.startswith("action: restore the release folder from a backup of the lake")


def test_a_bug_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(_args):
        raise KeyError("a bug, not the user's")

    monkeypatch.setattr(cli, "cmd_status", broken)
    with pytest.raises(KeyError):
        cli.main(["--lake", str(tmp_path / "lake"), "status"])


HISTORY = pd.DataFrame({"country": ["KEN"], "unit_id": ["u1"], "first_year": [1990],
                        "last_year": [2000], "n_years": [3], "reason": ["gap"]})  # fmt: skip
ENGINE_ERRORS = [
    OrganicFactorError("organic_ef_map.csv: unknown ws_zone x"),
    MethodError(pd.DataFrame({"message": ["soc_method x unknown"]})),
    duckdb.IOException("No magic bytes found at end of file"),
    LandUnitHistoryError(HISTORY),
]


@pytest.mark.parametrize("error", ENGINE_ERRORS)
def test_engine_and_lake_errors_are_user_errors(error, capsys):
    user_error = as_user_error(error)
    assert user_error is not None and user_error.message.splitlines()[0]
    assert cli.report_user_error(user_error) == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"error: {user_error.message.splitlines()[0]}")
