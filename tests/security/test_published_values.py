"""Issue 22, items 6, 9 and 14: what the system writes from submitted values.

* a formula submitted in ``national_totals.category`` reached the release's
  ``key_categories_<ISO3>.csv`` live (item 6): every CSV and XLSX written from user values goes
  through ``inventory.core.spreadsheet``;
* a control character (``\\x0b``) in an accepted value made the XLSX downloads fail with a 500
  (``IllegalCharacterError``, item 9): refused at validation, escaped by the XLSX writer;
* a package of 1 MiB cells made a quarantine report 7x the package (item 14): reports repeat
  at most 200 characters of a value.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from attacks import package, set_cell, submit

from inventory.core import limits, spreadsheet
from inventory.core.failures import cap_text
from inventory.engine.run import RunParameters, compute_country
from inventory.harmonise import store
from inventory.intake.submission import read_submission
from inventory.interfaces.portal import history
from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.validation import validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FORMULA = "=1+cmd|' /C calc'!A0"


def _nzl_with_category(tmp_path: Path, category: str) -> Path:
    root = Path(shutil.copytree(EXAMPLES / "NZL", tmp_path / "NZL"))
    totals = root / "national_totals.csv"
    totals.write_text(
        totals.read_text(encoding="utf-8").replace("1.A Fuel combustion", category),
        encoding="utf-8",
    )
    return root


def test_a_formula_in_national_totals_is_neutralised_in_the_release_csv(tmp_path):
    from tasks.inventory import publish_release, write_run

    lake = Lake.at(tmp_path / "lake")
    result = validate.validate_submission(read_submission(_nzl_with_category(tmp_path, FORMULA)))
    assert result.ok, result.to_text()
    assert store.file_outcome(lake, "NZL", "sub-NZL", result)["accepted"]
    params = RunParameters(mc_draws=20)
    computed = compute_country(lake, "NZL", params)
    write_run.fn(str(lake.root), "run-formula", params, [computed])
    release_id = publish_release.fn(str(lake.root), "run-formula")
    published = releases.current_release(lake)
    assert published is not None and release_id in str(published)
    (csv,) = published.rglob("key_categories_NZL.csv")
    text = csv.read_text(encoding="utf-8")
    assert f"'{FORMULA}" in text  # the formula is text in every spreadsheet
    assert f",{FORMULA}" not in text and f"\n{FORMULA}" not in text
    frame = pd.read_csv(csv)
    numeric = frame.select_dtypes("number").columns
    assert len(numeric) > 0  # numbers stay numbers (not quoted, not prefixed)
    assert not frame[numeric].isna().all().any()


def test_xlsx_and_csv_downloads_neutralise_formulas_and_escape_control_characters():
    frame = pd.DataFrame({"category": [FORMULA, "3.B\x0bgrass", "@SUM(A1)", "-2+3"],
                          "emissions_t": [-1.5, 2.0, 3.0, 4.0]})  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(history.table_bytes(frame, "xlsx", sheet="kca")))
    cells = [[c.value for c in row] for row in book["kca"].iter_rows(min_row=2)]
    assert cells == [[f"'{FORMULA}", -1.5], ["3.B\\x0bgrass", 2], ["'@SUM(A1)", 3],
                     ["'-2+3", 4]]  # fmt: skip
    assert [c.data_type for c in next(book["kca"].iter_rows(min_row=2))] == ["s", "n"]
    csv = history.table_bytes(frame, "csv").decode("utf-8")
    assert csv.splitlines()[1] == f"'{FORMULA},-1.5"  # -1.5 stays a number


def test_the_lake_csv_writer_neutralises(tmp_path):
    from inventory.lake.zones import write_csv_atomic

    path = write_csv_atomic(pd.DataFrame({"a": ["=HYPERLINK(x)", "ok"], "b": [-1, 2]}),
                            tmp_path / "t.csv")  # fmt: skip
    assert path.read_text(encoding="utf-8") == "a,b\n'=HYPERLINK(x),-1\nok,2\n"


@pytest.mark.parametrize(("file", "column", "row"), [
    ("factors.csv", "source", 2), ("profiles.csv", "profile_id", 3)])  # fmt: skip
def test_a_control_character_is_refused_at_validation_with_its_row(tmp_path, file, column, row):
    root = package(tmp_path)
    set_cell(root, file, row, column, "Survey\x0b2019")
    result = validate.validate_submission(read_submission(root))
    found = result.failures[result.failures.rule_id == "control_character"]
    assert list(zip(found.file, found.row, found.column, found.value, strict=True)) == [
        (file, row, column, "Survey\x0b2019")
    ]
    assert "retype the cell" in found.fix.iloc[0]


def test_a_stored_control_character_never_fails_the_report_download(tmp_path):
    root = package(tmp_path)
    set_cell(root, "factors.csv", 2, "source", "Survey\x0b2019")
    lake = Lake.at(tmp_path / "lake")
    _, sid, outcome = submit(lake, root, country="IRL")
    report = outcome["result"].to_json()
    data = history.table_bytes(history.failures_frame(report), "xlsx", sheet="problems")
    values = [c.value for c in openpyxl.load_workbook(io.BytesIO(data))["problems"]["D"]]
    assert "Survey\\x0b2019" in values


def test_reports_repeat_at_most_200_characters_of_a_value(tmp_path):
    """1 MiB cells made the quarantine report 7x the package."""
    root = package(tmp_path)
    big = "x" * (1024 * 1024)
    set_cell(root, "land_areas.csv", 2, "land_use", big)
    set_cell(root, "land_areas.csv", 3, "area", big)
    package_bytes = sum(p.stat().st_size for p in root.iterdir())
    lake = Lake.at(tmp_path / "lake")
    _, sid, outcome = submit(lake, root, country="IRL")
    assert outcome["accepted"] is False
    where = lake.root / "quarantine" / "IRL" / sid
    report_bytes = sum(p.stat().st_size for p in where.rglob("*") if p.is_file())
    assert report_bytes < package_bytes / 5  # was 7x; GX Data Docs pages are ~50 KB each
    failures = outcome["result"].failures
    shown = failures[(failures.row == 2) & (failures.column == "land_use")].value.iloc[0]
    # 200 characters, then "... (1,048,576 characters)"
    assert shown == "x" * limits.REPORT_VALUE_MAX_CHARS + "... (1,048,576 characters)"
    assert all(len(str(m)) <= 5 * limits.REPORT_VALUE_MAX_CHARS + 30 for m in failures.message)
    data = history.table_bytes(history.failures_frame(outcome["result"].to_json()), "xlsx")
    assert len(data) < 100_000
    assert cap_text("abc", 2) == "ab... (3 characters)"
    assert spreadsheet.xlsx_cell("\x00=") == "\\x00="
