"""Every CLI user error is one clear ``error:`` line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from inventory.engine.land.approach2 import LandUnitHistoryError
from inventory.engine.organic_soils.organic import OrganicFactorError
from inventory.harmonise.methods import MethodError
from inventory.interfaces import cli


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
    ["reprocess", "sub-nope"],
]


@pytest.mark.parametrize("argv", BAD_ARGUMENTS)
def test_bad_arguments_are_one_line_exit_2(tmp_path, capsys, argv):
    assert cli.main(["--lake", str(tmp_path / "lake"), *argv]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_damaged_lake_file_is_one_line_exit_2(tmp_path, capsys):
    lake = tmp_path / "lake"
    (lake / "releases" / "r1").mkdir(parents=True)
    (lake / "releases" / "r1" / "releases.parquet").write_bytes(b"PAR1 damaged")
    os.symlink(lake / "releases" / "r1", lake / "published")
    assert cli.main(["--lake", str(lake), "status"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: a file of the data lake cannot be read")
    assert len(err.strip().splitlines()) == 1


HISTORY = pd.DataFrame({"country": ["KEN"], "unit_id": ["u1"], "first_year": [1990],
                        "last_year": [2000], "n_years": [3], "reason": ["gap"]})  # fmt: skip
ENGINE_ERRORS = [
    OrganicFactorError("organic_ef_map.csv: unknown ws_zone x"),
    MethodError(pd.DataFrame({"message": ["soc_method x unknown"]})),
    duckdb.IOException("No magic bytes found at end of file"),
    LandUnitHistoryError(HISTORY),
]


@pytest.mark.parametrize("error", ENGINE_ERRORS)
def test_engine_and_lake_errors_are_user_errors(error):
    assert isinstance(error, cli.user_errors())
    assert cli.describe_error(error).splitlines()[0]
