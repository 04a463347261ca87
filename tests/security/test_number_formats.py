"""Issue 22, item 3: numbers are read unambiguously.

In a semicolon / decimal-comma CSV, ``1.200`` (what spreadsheets of many locales write for 1,200
with a thousands format) was read as 1.2 ha and accepted. A value whose reading depends on a
separator the file's conventions leave open is refused with both readings, unless the package
declares its number format (``number_format`` in submission.yaml).
"""

from __future__ import annotations

import pytest
import yaml
from attacks import package

from inventory.intake import manifest as manifest_schema
from inventory.intake.submission import read_submission
from inventory.validation import validate


def _semicolon_areas(tmp_path, area: str, *, number_format: dict | None = None,
                     delimiter: str = ";"):  # fmt: skip
    """The minimal package with land_areas.csv in ``delimiter`` form, row 2's area = ``area``."""
    root = package(tmp_path)
    lines = (root / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[6] = area
    lines[1] = ",".join(cells)
    quote = '"' if delimiter == "," and "," in area else ""
    rows = [line.replace(",", delimiter) for line in lines]
    rows[1] = delimiter.join(f"{quote}{c}{quote}" if c == area else c for c in cells)
    (root / "land_areas.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if number_format is not None:  # declared for every CSV: keep land_areas only (Tier 1)
        manifest = yaml.safe_load((root / "submission.yaml").read_text(encoding="utf-8"))
        manifest.update(number_format=number_format, tier=1, files={"land_areas": "land_areas.csv"})
        (root / "submission.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return validate.validate_submission(read_submission(root))


@pytest.mark.parametrize(("value", "delimiter", "readings"), [
    ("1.200", ";", ("1200 with '.' as thousands separator", "1.2 with '.' as decimal mark")),
    ("1,200", ",", ("1200 with ',' as thousands separator", "1.2 with ',' as decimal mark")),
])  # fmt: skip
def test_dotted_or_comma_thousands_are_refused_with_both_readings(tmp_path, value, delimiter,
                                                                  readings):  # fmt: skip
    result = _semicolon_areas(tmp_path, value, delimiter=delimiter)
    assert not result.ok
    (row,) = result.failures[result.failures.rule_id == "number_ambiguous"].itertuples()
    assert (row.file, row.row, row.column, row.value) == ("land_areas.csv", 2, "area", value)
    assert all(r in row.message for r in readings), row.message
    assert "number_format" in row.fix and "without thousands separators" in row.fix
    assert "not_a_number" not in set(result.failures.rule_id)  # one failure per cell


@pytest.mark.parametrize("value", ["1 200", "1\u00a0200", "1\u202f200", "1'200", "1.200,5",
                                   "1.200.000"])  # fmt: skip
def test_space_apostrophe_and_multiple_thousands_separators_are_refused(tmp_path, value):
    result = _semicolon_areas(tmp_path, value)
    (row,) = result.failures[result.failures.rule_id == "number_ambiguous"].itertuples()
    assert row.row == 2 and "has thousands separators" in row.message


@pytest.mark.parametrize(("value", "number_format", "hectares"), [
    ("1.500", {"decimal": ",", "thousands": "."}, 1500.0),  # row 2 is 1500 ha in the package
    ("1.500,5", {"decimal": ",", "thousands": "."}, 1500.5),
    ("1 500,5", {"decimal": ",", "thousands": " "}, 1500.5),
    ("1\u00a0500", {"decimal": ",", "thousands": " "}, 1500.0),
    ("1'500", {"decimal": ".", "thousands": "'"}, 1500.0),
    ("1500,25", {"decimal": ","}, 1500.25),
])  # fmt: skip
def test_a_declared_number_format_is_read(tmp_path, value, number_format, hectares):
    result = _semicolon_areas(
        tmp_path,
        value,
        number_format=number_format,
        delimiter=";" if number_format["decimal"] == "," else ",",
    )
    assert result.ok, result.to_text()
    assert result.datasets["land_areas"]["area"].iloc[0] == hectares


def test_a_declared_format_refuses_the_other_mark(tmp_path):
    # decimal ',' and thousands '.': '1.5' is neither 1.5 nor a thousands group
    result = _semicolon_areas(tmp_path, "1.5", number_format={"decimal": ",", "thousands": "."})
    (row,) = result.failures[result.failures.rule_id == "not_a_number"].itertuples()
    assert (row.row, row.column, row.value) == (2, "area", "1.5")


def test_plain_decimal_comma_numbers_still_read(tmp_path):
    result = _semicolon_areas(tmp_path, "1500,5")
    assert result.ok and result.datasets["land_areas"]["area"].iloc[0] == 1500.5


@pytest.mark.parametrize("bad", [{"decimal": ";"}, {"decimal": ",", "thousands": ","},
                                 {"decimal": ".", "thousands": "_"}, "comma"])  # fmt: skip
def test_a_bad_number_format_is_a_manifest_failure(bad):
    problems = manifest_schema.check_number_format(bad)
    assert [p["rule_id"] for p in problems] == ["manifest_number_format"]
