"""The CLI on user mistakes: a readable message, the documented exit code, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from inventory.interfaces import cli

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal"


def test_validate_bad_package_names_row_column_and_fix(tmp_path, capsys):
    package = tmp_path / "IRL"
    shutil.copytree(MINIMAL, package)
    lines = (package / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("cool_temperate_moist", "tropical_soggy")  # spreadsheet row 3
    (package / "land_areas.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    code = cli.main(["--lake", str(tmp_path / "lake"), "validate", str(package)])

    out = capsys.readouterr().out
    assert code == cli.EXIT_REJECTED
    assert "land_areas.csv" in out and "climate_zone" in out and "tropical_soggy" in out
    row = next(line for line in out.splitlines() if "tropical_soggy" in line)
    assert row.split()[0] == "3"  # header = row 1, as the submitter's spreadsheet shows it
    assert "fix:" in out
    assert not (tmp_path / "lake").exists()  # validate stores nothing


def test_missing_package_is_a_usage_error(tmp_path, capsys):
    code = cli.main(["--lake", str(tmp_path / "lake"), "validate", str(tmp_path / "nope")])
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE
    assert "no package at" in captured.err and "Traceback" not in captured.err


def test_run_for_a_country_without_submission_fails_before_any_flow(tmp_path, capsys):
    code = cli.main(["--lake", str(tmp_path / "lake"), "run", "--country", "FRA"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE
    assert "no accepted submission for FRA" in captured.err
    assert "Traceback" not in captured.out + captured.err
