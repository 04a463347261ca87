"""Reading one submitted table (CSV, XLSX or Parquet bytes) into a string-typed DataFrame.

Every frame comes back with its index set to the row number the submitter sees in a spreadsheet
(header = row 1, first record = row 2), header names in lower_snake, cells stripped and blank cells
as missing. Fully blank lines are dropped but keep the numbering of the others. Numbers stay text
here; ``inventory.validation.validate`` parses them, so that a bad cell is reported with its row
instead of failing the whole file. :class:`FileFormat` records what was detected.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import charset_normalizer
import pandas as pd

from inventory.core import limits, vocab
from inventory.core.failures import FIRST_DATA_ROW, failure
from inventory.intake.package import ZIP_ERRORS, InflateLimit, PackageProblem, inflate_bounded

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED = TEXT_SUFFIXES + XLSX_SUFFIXES + PARQUET_SUFFIXES
# The ``grids`` dataset is not a table: one NetCDF file, opened by path (validation.grid_checks).
GRID_SUFFIXES = (".nc",)
# Cells meaning "no value" in spreadsheets and statistics packages. Deliberately short: a code
# such as "none" is left alone so that the vocabulary check can report it.
MISSING_MARKERS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "#N/A"]
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20
# Text that is not UTF-8 may be Windows-1252 or Latin-1 (spreadsheet exports in Western
# languages); a well-formed UTF-8 multi-byte sequence in a file that is not UTF-8 means mixed.
WESTERN_ENCODINGS = ("cp1252", "latin_1")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
# Parts of a workbook that carry macros (VBA project; .xlsm, .xlsb): refused, never run.
MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin")
# Sheets of the XLSX templates (inventory.validation.templates) that are not data.
CODE_SHEET, HELP_SHEET = "code_lists", "instructions"
TEMPLATE_SHEETS = (CODE_SHEET, HELP_SHEET)


@dataclass(frozen=True)
class FileFormat:
    """What the reader detected in one file."""

    kind: str  # csv | xlsx | parquet
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    ignored: tuple[str, ...] = ()  # what was not read (e.g. a workbook's other sheets)


def _problem(rule_id: str, message: str, fix: str, name: str) -> PackageProblem:
    return PackageProblem([failure(rule_id, message, fix, file=name)])


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Text and encoding: UTF-8 (BOM or not), UTF-16 with BOM, else what charset-normalizer
    detects (Windows-1252 / Latin-1 exports of spreadsheets, ...)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _problem("file_encoding", f"{name} is not valid UTF-16 text",
                           "save the file as CSV UTF-8", name) from None  # fmt: skip
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as err:
        if _UTF8_SEQUENCE.search(data):  # UTF-8 text with bytes of another encoding in it
            line = data[: err.start].count(b"\n") + 1
            raise _problem("file_encoding_mixed", f"{name} mixes text encodings: line {line} "
                           "has a byte that is not UTF-8, other lines are UTF-8; reading it "
                           "either way would garble names", "save the file again as 'CSV "
                           "UTF-8' (Excel: Save As > CSV UTF-8)", name) from None  # fmt: skip
    return _decode_western(data, name)


def _decode_western(data: bytes, name: str) -> tuple[str, str]:
    """A single-byte Western text (Windows-1252 / Latin-1), when charset-normalizer finds it
    coherent; any other encoding is reported rather than guessed (it would garble codes)."""
    best = charset_normalizer.from_bytes(data, cp_isolation=list(WESTERN_ENCODINGS)).best()
    if best is None:
        raise _problem("file_encoding_unknown", f"{name} is neither UTF-8 nor Windows-1252/"
                       "Latin-1 text; its encoding cannot be told for sure", "save the file "
                       "again as 'CSV UTF-8' (Excel: Save As > CSV UTF-8)", name)  # fmt: skip
    encoding = "cp1252" if best.encoding == "cp1252" else "latin-1"
    return data.decode(encoding, errors="strict"), encoding


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the first lines (csv.Sniffer), else the most frequent in the header."""
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:  # e.g. a single column: no delimiter to find
        header = text.split("\n", 1)[0]
        return max(DELIMITERS, key=header.count)


def _finish(frame: pd.DataFrame, name: str, *, rows: Sequence[int] | None = None) -> pd.DataFrame:
    """lower_snake headers, stripped text, blank -> missing, row-number index, blank rows out.

    ``rows``: the spreadsheet row of each record when rows are missing in between (a sheet's
    empty rows are not materialised); else consecutive from the first data row."""
    columns = [str(vocab.normalise_code(str(c))) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise PackageProblem([failure("duplicate_column", f"{name} has the column {c!r} twice",
                                      "keep one column of that name", file=name, row=1,
                                      column=c) for c in duplicated])  # fmt: skip
    frame.columns = columns
    if rows is None:
        frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
    else:
        frame.index = pd.Index(list(rows), dtype="int64", name="row")
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            text = series.astype("str").str.strip().where(series.notna())
            frame[column] = text.where(~text.isin(MISSING_MARKERS))
    return frame.loc[frame.notna().any(axis=1)]


def _read_csv_arrow(utf8: bytes, text: str, delimiter: str) -> pd.DataFrame:
    """Multi-threaded Arrow CSV reader, every column as text (ids like '007' stay intact)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first_line = text.splitlines()[0] if text else ""
    width = len(next(csv.reader([first_line], delimiter=delimiter), []))
    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        io.BytesIO(utf8),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table.to_pandas()


def read_csv_bytes(data: bytes, name: str) -> tuple[pd.DataFrame, FileFormat]:
    """A delimited text file; ``;`` files are taken to use the decimal comma."""
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise _problem("file_empty", f"{name} is empty", "export the table with its header row "
                       "and data", name)  # fmt: skip
    delimiter = _sniff_delimiter(text)
    try:
        if _BLANK_LINE.search(text):  # keep blank lines so later rows keep their numbers
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype="str", header=None,
                                keep_default_na=False, skip_blank_lines=False)  # fmt: skip
        else:
            utf8 = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
            frame = _read_csv_arrow(utf8 if encoding == "utf-8" else text.encode(), text, delimiter)
    except (pd.errors.ParserError, ValueError, csv.Error) as err:  # ArrowInvalid: ValueError
        raise _problem("csv_malformed", f"{name} is not a well-formed table: {err}",
                       "check that every row has as many cells as the header (quote cells "
                       "containing the delimiter)", name) from None  # fmt: skip
    if frame.empty or frame.shape[1] == 0:
        raise _problem("file_empty", f"{name} has no header row", "put the column names in the "
                       "first line, then one record per line", name)  # fmt: skip
    decimal = "," if delimiter == ";" else "."
    # header=None keeps duplicate header names visible (pandas would rename them "x.1")
    header = [("" if pd.isna(v) else str(v)) for v in frame.iloc[0]]
    frame = frame.iloc[1:].set_axis(header, axis=1).reset_index(drop=True)
    return _finish(frame, name), FileFormat("csv", encoding, delimiter, decimal)


def _check_xlsx_parts(data: bytes, name: str) -> None:
    """Refuse a workbook with macros, and one whose parts inflate past
    :data:`~inventory.core.limits.XLSX_MAX_INFLATED_BYTES` (counted while inflating, every part
    CRC-checked: openpyxl then reads parts whose sizes are known to be true)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            macros = [i.filename for i in infos if i.filename.lower().endswith(MACRO_PARTS)]
            if macros:
                raise _problem("xlsx_macro", f"{name} holds macros ({', '.join(macros)}); "
                               "macros are never run and a workbook carrying them is not "
                               "accepted", "save the sheet as 'Excel Workbook (.xlsx)' (no "
                               "macros) or as CSV, and send that", name)  # fmt: skip
            inflated = 0
            for info in infos:
                inflated += len(inflate_bounded(archive, info, limits.XLSX_MAX_INFLATED_BYTES
                                                - inflated))  # fmt: skip
    except InflateLimit:
        raise _problem("zip_bomb", f"{name} inflates to more than "
                       f"{limits.XLSX_MAX_INFLATED_BYTES:,} bytes",
                       "save the sheet again as CSV", name) from None  # fmt: skip
    except ZIP_ERRORS:
        raise _problem(
            "xlsx_unreadable",
            f"{name} is not a valid .xlsx workbook",
            "save the sheet again as Excel Workbook (.xlsx) or CSV",
            name,
        ) from None


def _xlsx_cell(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _pick_sheet(book: Any, name: str, wanted: tuple[str, ...]) -> tuple[Any, list[str]]:
    """The data sheet: the one named like the dataset (the templates' name), else the single
    visible sheet besides the templates' own; also the sheets left unread, with why."""
    titles = {ws.title.casefold(): ws for ws in book.worksheets}
    chosen = next((titles[w.casefold()] for w in wanted if w and w.casefold() in titles), None)
    if chosen is None:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"
                   and ws.title.casefold() not in TEMPLATE_SHEETS]  # fmt: skip
        if len(visible) != 1:
            listed = ", ".join(repr(ws.title) for ws in visible) or "none"
            raise _problem("xlsx_sheet_ambiguous", f"{name} has {len(visible)} visible data "
                           f"sheets ({listed}); which one holds the data cannot be told",
                           f"name the data sheet {wanted[0]!r} (as in the template) or keep "
                           "only that sheet visible", name)  # fmt: skip
        chosen = visible[0]
    ignored = [f"sheet {ws.title!r} ({ws.sheet_state})" for ws in book.worksheets
               if ws is not chosen]  # fmt: skip
    return chosen, ignored


def _sheet_cells(book: Any, sheet: Any, name: str) -> tuple[dict[int, dict[int, object]], list]:
    """``{row: {column: value}}`` of the cells that hold something, and the formula cells.

    Parsed cell by cell (openpyxl's worksheet parser, as its read-only sheets use it, without
    their padding of every row to the sheet's declared dimension: a 1.7 KB file declaring
    A1:XFD1048576 cost minutes). Work is bounded by the cells actually present:
    a cell right of :data:`~inventory.core.limits.XLSX_MAX_COLUMNS` or below
    :data:`~inventory.core.limits.XLSX_MAX_ROWS` is refused.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import WorkSheetParser

    rows: dict[int, dict[int, object]] = {}
    formulas: list[tuple[int, int, object]] = []
    with sheet._get_source() as source:  # the sheet's XML part, streamed
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=False,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)  # fmt: skip
        for index, cells in parser.parse():
            if index > limits.XLSX_MAX_ROWS:
                raise _problem(
                    "xlsx_too_large",
                    f"{name} has cells below row {limits.XLSX_MAX_ROWS:,}",
                    "send the table as CSV",
                    name,
                )
            kept = {}
            for cell in cells:
                value, column = cell["value"], cell["column"]
                if value is None or value == "":
                    continue
                if column > limits.XLSX_MAX_COLUMNS:
                    ref = f"{get_column_letter(column)}{index}"
                    raise _problem("xlsx_too_wide", f"{name}: cell {ref} holds a value, right "
                                   f"of column {get_column_letter(limits.XLSX_MAX_COLUMNS)} "
                                   f"(the {limits.XLSX_MAX_COLUMNS}th), the widest a dataset "
                                   "may be", "delete the columns right of the table (or "
                                   "copy the table alone to a new sheet)", name)  # fmt: skip
                if cell["data_type"] == "f":
                    formulas.append((index, column, value))
                kept[column] = value
            if kept:
                rows[index] = kept
    return rows, formulas


def _formula_failures(formulas: list, header: list[str], name: str) -> list[dict]:
    from openpyxl.utils import get_column_letter

    return [failure("xlsx_formula", f"cell {get_column_letter(c)}{r} holds the formula "
                    f"{str(v)!r}; a formula's stored result may be stale and is not read",
                    "replace the formulas by their values (select, copy, Paste Special > "
                    "Values) and save again", file=name, row=r,
                    column=header[c - 1] if c <= len(header) else get_column_letter(c),
                    value=str(v)) for r, c, v in formulas]  # fmt: skip


def read_xlsx_bytes(data: bytes, name: str, *,
                    sheet: str | None = None) -> tuple[pd.DataFrame, FileFormat]:  # fmt: skip
    """The data sheet of a workbook (:func:`_pick_sheet`); row numbers are the sheet's own.

    Refused: macros, formula cells (their cached value may be stale), cells beyond the limits
    of :mod:`inventory.core.limits`, more than one candidate sheet. The sheets left unread are
    in :attr:`FileFormat.ignored`.
    """
    import openpyxl

    _check_xlsx_parts(data, name)
    wanted = (sheet or PurePosixPath(name).stem, PurePosixPath(name).stem)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as err:  # openpyxl raises many types on a damaged workbook
        raise _problem("xlsx_unreadable", f"{name} cannot be read as a workbook: {err}",
                       "save the sheet again as Excel Workbook (.xlsx) or CSV",
                       name) from None  # fmt: skip
    try:
        chosen, ignored = _pick_sheet(book, name, wanted)
        rows, formulas = _sheet_cells(book, chosen, name)
    except PackageProblem:
        raise
    except Exception as err:  # noqa: BLE001 - a damaged sheet part
        raise _problem("xlsx_unreadable", f"{name} cannot be read as a workbook: {err}",
                       "save the sheet again as Excel Workbook (.xlsx) or CSV",
                       name) from None  # fmt: skip
    finally:
        book.close()
    if 1 not in rows:
        raise _problem("file_empty", f"{name}: sheet {chosen.title!r} has no header row in row 1",
                       f"put the column names in row 1 of sheet {chosen.title!r}",
                       name)  # fmt: skip
    width = max(rows[1])
    header = [str(rows[1][c]) if c in rows[1] else f"unnamed_{c}" for c in range(1, width + 1)]
    if formulas:
        raise PackageProblem(_formula_failures(formulas, header, name))
    numbers = sorted(r for r in rows if r > 1)
    body = [[_xlsx_cell(rows[r].get(c)) for c in range(1, width + 1)] for r in numbers]
    frame = pd.DataFrame(body, columns=header, dtype="str")
    return _finish(frame, name, rows=numbers), FileFormat("xlsx", ignored=tuple(ignored))


def read_parquet_bytes(data: bytes, name: str) -> tuple[pd.DataFrame, FileFormat]:
    """A Parquet file; typed columns are kept (numbers stay numbers)."""
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ... on damaged files
        raise _problem("parquet_unreadable", f"{name} cannot be read as Parquet: {err}",
                       "write the file again, or send it as CSV", name) from None  # fmt: skip
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_xlsx_cell).astype("str").where(frame[column].notna())
    return _finish(frame, name), FileFormat("parquet")


def read_table(data: bytes, name: str, *,
               dataset: str | None = None) -> tuple[pd.DataFrame, FileFormat]:  # fmt: skip
    """Dispatch on the file name's suffix (``dataset``: the workbook sheet to prefer)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_csv_bytes(data, name)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx_bytes(data, name, sheet=dataset)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet_bytes(data, name)
    raise _problem("file_type_unsupported", f"{name}: files of type {suffix or '(none)'!r} "
                   "cannot be read", f"send CSV, XLSX or Parquet ({', '.join(SUPPORTED)})",
                   name)  # fmt: skip
