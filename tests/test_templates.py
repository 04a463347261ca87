"""Submission templates: generated from SPECS and the GX suites, and read back as submitted."""

from __future__ import annotations

import csv
import io
import shutil

import openpyxl
import pandas as pd
import pytest
import yaml
from submission_cases import MINIMAL

from inventory.core import vocab
from inventory.intake.submission import read_submission
from inventory.validation import templates
from inventory.validation.rules import SPECS, Spec
from inventory.validation.validate import validate_submission


def _validations(book: openpyxl.Workbook, dataset: str) -> dict[str, object]:
    """Column name -> its data validation on the data sheet."""
    sheet = book[dataset]
    header = [c.value for c in sheet[1]]
    out = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        out[header[openpyxl.utils.column_index_from_string(column) - 1]] = validation
    return out


def _listed(book: openpyxl.Workbook, reference: str) -> list[str]:
    sheet_name, cells = reference.split("!")
    return [c.value for row in book[sheet_name][cells.replace("$", "")] for c in row]


def test_every_code_column_is_a_drop_down_of_exactly_its_code_list():
    for dataset in SPECS:
        book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(dataset)))
        assert book.sheetnames == [dataset, "code_lists", "instructions"]  # data sheet first
        assert [c.value for c in book[dataset][1]] == list(SPECS[dataset].columns)
        validations = _validations(book, dataset)
        for column in SPECS[dataset].columns:
            expected = vocab.VOCABULARIES.get(column)
            if column in ("factor", "level"):  # the factors dataset's own codes
                expected = {"factor": ("SOC_REF", "F_LU", "F_MG", "F_I"),
                            "level": vocab.MANAGEMENTS[:-1] + vocab.INPUTS}[column]  # fmt: skip
            if expected is None:
                continue
            validation = validations[column]
            assert validation.type == "list" and validation.errorStyle == "stop", column
            assert str(validation.sqref).endswith("1048576")  # every row of the sheet
            assert sorted(_listed(book, validation.formula1)) == sorted(expected), column


def test_numeric_checks_of_the_suites_become_range_validations():
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("profiles")))
    checks = {c: (v.type, v.operator, v.formula1, v.formula2)
              for c, v in _validations(book, "profiles").items() if v.type != "list"}  # fmt: skip
    assert checks == {
        "lat": ("decimal", "between", "-90", "90"), "lon": ("decimal", "between", "-180", "180"),
        "year": ("whole", "between", "1900", "2100"),  # format v1's plausible years
        "upper_cm": ("decimal", "between", "0", "500"),
        "lower_cm": ("decimal", "between", "0", "500"),
        "soc": ("decimal", "greaterThanOrEqual", "0", None),  # soc_g_per_kg >= 0, any unit
        "coarse_fragments_pct": ("decimal", "between", "0", "100"),
    }  # fmt: skip
    factors = _validations(openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(
        "factors"))), "factors")  # fmt: skip
    # value > 0 and value <= 1000 (two expectations of the suite) merge into one range; the
    # strict lower bound stays with the GX suite (Excel's "between" is inclusive)
    assert (factors["value"].operator, factors["value"].formula1, factors["value"].formula2) == (
        "between", "0", "1000")  # fmt: skip
    units = _validations(book, "profiles")["soc_unit"]
    assert units.type == "list" and units.errorStyle == "warning"  # other real units allowed
    assert _listed(book, units.formula1) == ["g/kg", "%", "g/100g"]


def test_instructions_list_every_column_with_its_rule():
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("land_areas", country="KEN")))
    rows = [[c.value for c in row] for row in book["instructions"].iter_rows()]
    assert rows[0][0] == "Submission template: land_areas for KEN (submission format v1)"
    table = {
        r[0]: r[1:4]
        for r in rows[
            rows.index(["column", "required", "kind", "allowed values or range", "unit"]) + 1 :
        ]
    }
    assert table["area"] == ["yes", "number", "at least 0"]
    assert table["input"] == ["yes", "code", ", ".join(vocab.INPUTS)]
    assert book["land_areas"]["A1"].comment.text.startswith("required whole number")


def _fill(dataset: str, source_csv) -> bytes:
    """The XLSX template filled with the rows of a CSV file, as a contact point would."""
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(dataset)))
    with open(source_csv, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            book[dataset].append([_typed(record.get(c, "")) for c in SPECS[dataset].columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed(text: str):
    if text == "":
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def test_filled_templates_are_read_and_validated_like_the_csv_files(tmp_path):
    package = tmp_path / "xlsx"
    shutil.copytree(MINIMAL, package)
    manifest = yaml.safe_load((package / "submission.yaml").read_text(encoding="utf-8"))
    for dataset, name in manifest["files"].items():
        (package / f"{dataset}.xlsx").write_bytes(_fill(dataset, MINIMAL / name))
        (package / name).unlink()
        manifest["files"][dataset] = f"{dataset}.xlsx"
    (package / "submission.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    from_xlsx = validate_submission(read_submission(package))
    from_csv = validate_submission(read_submission(MINIMAL))
    assert from_xlsx.ok, from_xlsx.failures
    for dataset, frame in from_csv.datasets.items():
        pd.testing.assert_frame_equal(from_xlsx.datasets[dataset], frame, check_dtype=False)


def test_csv_template_is_the_header_row():
    assert templates.template_csv("organic_soils") == (
        b"year,climate_zone,land_use,drainage,nutrient_status,drainage_depth,area,area_unit,"
        b"area_uncertainty_pct\n"  # optional (95 % half-width of the area, %)
    )


def test_a_file_is_recognised_by_name_first_sheet_or_header(tmp_path):
    (tmp_path / "profiles.csv").write_text("anything\n")
    assert templates.dataset_of_file(tmp_path / "profiles.csv") == "profiles"
    (tmp_path / "mine.xlsx").write_bytes(templates.template_xlsx("organic_soils"))
    assert templates.dataset_of_file(tmp_path / "mine.xlsx") == "organic_soils"
    header = ",".join(SPECS["land_units"].columns)
    (tmp_path / "units.csv").write_text(header + "\n")  # land_units, not land_areas (subset)
    assert templates.dataset_of_file(tmp_path / "units.csv") == "land_units"
    (tmp_path / "areas.csv").write_text("year;climate_zone;soil_class;land_use;management;"
                                        "input;area;area_unit\n")  # fmt: skip
    assert templates.dataset_of_file(tmp_path / "areas.csv") == "land_areas"
    (tmp_path / "other.csv").write_text("a,b\n")
    assert templates.dataset_of_file(tmp_path / "other.csv") is None


def test_a_new_dataset_in_specs_gets_templates_without_code_changes(monkeypatch):
    spec = Spec("toy_changes", ("year", "land_use", "share"), ("year", "land_use"), ("year",
                "share"))  # fmt: skip
    suite = {"expectations": [
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "land_use", "value_set": list(vocab.LAND_USES)}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "share", "min_value": 0, "max_value": 1}}]}  # fmt: skip
    monkeypatch.setitem(SPECS, "toy_changes", spec)
    real = templates.load_suite
    monkeypatch.setattr(templates, "load_suite",
                        lambda n: suite if n == "toy_changes" else real(n))  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx("toy_changes")))
    validations = _validations(book, "toy_changes")
    assert _listed(book, validations["land_use"].formula1) == list(vocab.LAND_USES)
    assert (validations["share"].formula1, validations["share"].formula2) == ("0", "1")


@pytest.mark.parametrize("dataset", sorted(SPECS))
def test_templates_pass_through_the_reader(dataset, tmp_path):
    """An empty template is a readable file with the header row (no data rows)."""
    from inventory.intake.readers import read_xlsx_bytes

    frame, _ = read_xlsx_bytes(templates.template_xlsx(dataset), f"{dataset}.xlsx")
    assert list(frame.columns) == list(SPECS[dataset].columns) and frame.empty
