"""Submission templates (XLSX and CSV) generated from the format definition the checks use.

Everything comes from the same sources as validation: the columns, required columns, numbers,
whole numbers and unit columns of :data:`inventory.validation.rules.SPECS`, and the code lists
and numeric ranges of the GX suites in ``expectations/`` (whose value sets equal
:mod:`inventory.core.vocab`, a test checks). A dataset added to ``SPECS`` with a suite gets its
templates without any change here.

The workbook: sheet 1 is the data sheet named after the dataset (the reader takes the first
sheet; row 1 is the header, each header cell carries a comment with the column's rule), then
``instructions`` (one row per column: required, kind, allowed values or range, unit) and
``code_lists`` (one column per code list). Every code column has a list validation pointing
at its code list that stops any other entry (``errorStyle=stop``); unit columns offer the usual
units but accept others with a warning (any pint-parsable unit of the right dimension is valid);
whole-number and range checks of the suites become numeric validations.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory.intake import readers
from inventory.intake.manifest import EARLIEST_YEAR, LATEST_YEAR
from inventory.validation.gx_suites import load_suite
from inventory.validation.rules import SPECS, UNIT_EXAMPLES, Spec

DATA_ROWS = 1_048_575  # validations cover every data row of an Excel sheet (1 048 576 rows)
CODE_SHEET, HELP_SHEET = readers.CODE_SHEET, readers.HELP_SHEET  # the reader skips them
HEADER_MAX_BYTES = 64 * 1024  # a header row is read up to this length to recognise a file
# What the suites' $PARAMETER bounds mean (inventory.validation.validate.suite_parameters).
PARAMETER_NOTES = {
    "first_year": "the first year of 'years' in submission.yaml",
    "last_year": "the last year of 'years' in submission.yaml",
    "history_first_year": "20 years before the first reported year (land-use history)",
    "earliest_profile_year": str(EARLIEST_YEAR),
}


@dataclass(frozen=True)
class ColumnRule:
    """What one column of a dataset accepts, as the template states and enforces it."""

    name: str
    required: bool
    kind: str  # whole number | number | code | unit | text
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    strict_minimum: bool = False
    range_note: str = ""
    unit_of: str = ""  # for a unit column: the quantity (area, soc, bulk_density)

    @property
    def allowed(self) -> str:
        """The allowed values in words (instructions sheet, header comment)."""
        if self.codes:
            return ", ".join(self.codes)
        if self.unit_of:
            return f"a unit of {self.unit_of}, e.g. {UNIT_EXAMPLES.get(self.unit_of, '')}"
        return self.range_note


def _expectations(dataset: str) -> list[dict]:
    return load_suite(dataset)["expectations"]


def _code_sets(dataset: str) -> dict[str, tuple[str, ...]]:
    return {e["kwargs"]["column"]: tuple(e["kwargs"]["value_set"]) for e in _expectations(dataset)
            if e["type"] == "expect_column_values_to_be_in_set"}  # fmt: skip


def _bound(value: Any) -> tuple[float | None, str]:
    if isinstance(value, dict):
        return None, PARAMETER_NOTES.get(value.get("$PARAMETER", ""), "see submission.yaml")
    return (None, "") if value is None else (float(value), f"{value:g}")


def _ranges(spec: Spec, dataset: str) -> dict[str, dict]:
    """Numeric bounds per submitted column; a derived unit column's lower bound of 0 carries
    over to its value column (unit conversion factors are positive), upper bounds do not."""
    derived = {u.derived: u.value for u in spec.units}
    out: dict[str, dict] = {}
    for e in _expectations(dataset):
        if e["type"] != "expect_column_values_to_be_between":
            continue
        kw = e["kwargs"]
        column, (low, low_note), (high, high_note) = kw["column"], *map(_bound, (
            kw.get("min_value"), kw.get("max_value")))  # fmt: skip
        if column in derived:
            column, high, high_note = derived[column], None, ""
            if low != 0:
                continue
        # a column may have a lower and an upper bound in separate expectations: merge them
        seen = out.setdefault(column, {"minimum": None, "maximum": None, "strict_minimum": False,
                                       "notes": ["", ""]})  # fmt: skip
        if low_note:
            seen["minimum"], seen["notes"][0] = low, low_note
            seen["strict_minimum"] = bool(kw.get("strict_min"))
        if high_note:
            seen["maximum"], seen["notes"][1] = high, high_note
    for seen in out.values():
        low_note, high_note = seen.pop("notes")
        seen["range_note"] = " to ".join(n for n in (low_note, high_note) if n)
        if low_note and not high_note:
            seen["range_note"] = f"{'above' if seen['strict_minimum'] else 'at least'} {low_note}"
    return out


def column_rules(dataset: str) -> list[ColumnRule]:
    """The rule of every column of ``dataset``, in format order."""
    spec = SPECS[dataset]
    codes, ranges = _code_sets(dataset), _ranges(spec, dataset)
    units = {u.unit: u.quantity for u in spec.units}
    rules = []
    for name in spec.columns:
        kind = ("code" if name in codes else "unit" if name in units
                else "whole number" if name in spec.integer
                else "number" if name in spec.numeric else "text")  # fmt: skip
        rules.append(ColumnRule(name, name in spec.required, kind, codes.get(name, ()),
                                unit_of=units.get(name, ""), **ranges.get(name, {})))  # fmt: skip
    return rules


def template_csv(dataset: str) -> bytes:
    """The header row of ``dataset`` as a UTF-8 CSV file."""
    return (",".join(SPECS[dataset].columns) + "\n").encode("utf-8")


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _list_validation(rule: ColumnRule, code_ref: str) -> Any:
    from openpyxl.worksheet.datavalidation import DataValidation

    strict = rule.kind == "code"
    return DataValidation(
        type="list", formula1=code_ref, allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="stop" if strict else "warning",
        errorTitle=f"{rule.name}: not in the list"[:32],
        error=(f"Pick one of the {rule.name} codes from the list." if strict else
               f"Not a usual unit of {rule.unit_of}; keep it only if it is a real unit."),
        promptTitle=rule.name[:32], prompt=rule.allowed[:255], showInputMessage=True,
    )  # fmt: skip


def _numeric_bounds(rule: ColumnRule) -> tuple[str, str, str | None] | None:
    """(operator, formula1, formula2) of a number column's validation, None without bounds."""
    low, high = rule.minimum, rule.maximum
    if rule.kind == "whole number" and low is None and high is None:
        low, high = float(EARLIEST_YEAR), float(LATEST_YEAR)  # the plausible years of format v1
    if low is not None and high is not None:
        return "between", f"{low:g}", f"{high:g}"
    if low is not None:
        return ("greaterThan" if rule.strict_minimum else "greaterThanOrEqual"), f"{low:g}", None
    return None if high is None else ("lessThanOrEqual", f"{high:g}", None)


def _validation(rule: ColumnRule, code_ref: str | None) -> Any:
    """The data validation of one column (a list, or a number range), None when it has none."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if code_ref is not None:
        return _list_validation(rule, code_ref)
    bounds = _numeric_bounds(rule) if rule.kind in ("number", "whole number") else None
    if bounds is None:
        return None
    operator, formula1, formula2 = bounds
    return DataValidation(
        type="whole" if rule.kind == "whole number" else "decimal", operator=operator,
        formula1=formula1, formula2=formula2, allow_blank=True, showErrorMessage=True,
        errorStyle="stop", errorTitle=f"{rule.name}: out of range"[:32],
        error=f"{rule.name} must be a {rule.kind} ({rule.range_note or 'see instructions'}).",
    )  # fmt: skip


def _code_lists(book: Any, rules: list[ColumnRule]) -> dict[str, str]:
    """Write the ``code_lists`` sheet; return each listed column's range reference."""
    sheet, refs = book.create_sheet(CODE_SHEET), {}
    lists = [r for r in rules if r.codes or r.unit_of]
    for index, rule in enumerate(lists, start=1):
        values = rule.codes or tuple(v.strip() for v in UNIT_EXAMPLES[rule.unit_of].split(","))
        sheet.cell(row=1, column=index, value=rule.name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        col = _letter(index)
        refs[rule.name] = f"{CODE_SHEET}!${col}$2:${col}${len(values) + 1}"
        sheet.column_dimensions[col].width = max(14, *(len(v) + 2 for v in values))
    return refs


def _instructions(book: Any, dataset: str, rules: list[ColumnRule], country: str | None) -> None:
    sheet = book.create_sheet(HELP_SHEET)
    who = f" for {country}" if country else ""
    lines = [
        f"Submission template: {dataset}{who} (submission format v1)",
        f"Fill sheet '{dataset}' from row 2, one record per row; keep row 1 (the header) as is.",
        f"Codes: pick them from the drop-down lists (all codes are in sheet '{CODE_SHEET}').",
        "Numbers: plain numbers, no units or thousands separators; units go in the *_unit columns.",
        f"Save as {dataset}.xlsx (or CSV) and upload it with your other files in the portal.",
        "",
    ]
    for line in lines:
        sheet.append([line])
    sheet.append(["column", "required", "kind", "allowed values or range", "unit"])
    for rule in rules:
        unit = f"in the unit of column {rule.name}_unit" if rule.kind == "number" else ""
        sheet.append([rule.name, "yes" if rule.required else "no", rule.kind, rule.allowed, unit])
    for col, width in zip("ABCDE", (24, 10, 14, 90, 28), strict=True):
        sheet.column_dimensions[col].width = width


def template_xlsx(dataset: str, *, country: str | None = None) -> bytes:
    """The XLSX template of ``dataset`` (see the module docstring for its sheets)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    rules = column_rules(dataset)
    book = Workbook()
    data = book.active
    data.title = dataset
    data.append([r.name for r in rules])
    data.freeze_panes = "A2"
    refs = _code_lists(book, rules)
    for index, rule in enumerate(rules, start=1):
        cell, col = data.cell(row=1, column=index), _letter(index)
        cell.font = Font(bold=True)
        text = f"{'required' if rule.required else 'optional'} {rule.kind}: {rule.allowed}"
        cell.comment = Comment(text.strip().rstrip(":"), "soc-inventory")
        data.column_dimensions[col].width = max(12, len(rule.name) + 4)
        validation = _validation(rule, refs.get(rule.name))
        if validation is not None:
            validation.add(f"{col}2:{col}{DATA_ROWS + 1}")
            data.add_data_validation(validation)
    _instructions(book, dataset, rules, country)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def submission_yaml_template(country: str, files: dict[str, str] | None = None) -> str:
    """A ``submission.yaml`` to fill in, with the country set and the template file names."""
    listed = files or {name: f"{name}.xlsx" for name in ("land_areas", "profiles")}
    lines = [
        "# submission.yaml (format v1): fill in the contact and years, keep the files you send",
        "format_version: 1",
        f"country: {country}",
        "contact: {name: YOUR NAME, email: you@example.org}",
        "years: [1990, 2024]          # first and last reported year",
        "tier: 2                      # 1: IPCC defaults only; 2: also country-specific factors",
        "approach: 1                  # 1: areas by stratum; 2/3: land units (land_units)",
        "files:",
        *(f"  {name}: {path}" for name, path in listed.items()),
    ]
    return "\n".join(lines) + "\n"


def _header_of(path: Path) -> tuple[str | None, list[str]]:
    """(first sheet's name or None, header cells) of a CSV or XLSX file; empty when unreadable."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
            sheet = book.worksheets[0]
            row = next(sheet.iter_rows(max_row=1, values_only=True), ())
            return sheet.title, [str(v).strip() for v in row if v is not None]
        except Exception:  # noqa: BLE001 - a damaged workbook is reported by validation
            return None, []
    with open(path, "rb") as handle:
        line = handle.readline(HEADER_MAX_BYTES).decode("utf-8-sig", "replace")
    delimiter = ";" if line.count(";") > line.count(",") else ","
    return None, [c.strip().strip('"') for c in line.strip().split(delimiter)]


def dataset_of_file(path: str | Path) -> str | None:
    """Which dataset a data file holds: by its name (``land_areas.csv``), its first sheet's name
    (the XLSX templates), else the dataset whose required columns its header has (the most
    specific one); None when nothing matches."""
    path = Path(path)
    if path.stem in SPECS:
        return path.stem
    sheet, header = _header_of(path)
    if sheet in SPECS:
        return sheet
    matches = [n for n, spec in SPECS.items() if header and set(spec.required) <= set(header)]
    return max(matches, key=lambda n: len(SPECS[n].required)) if matches else None
