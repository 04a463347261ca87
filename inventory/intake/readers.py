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
from dataclasses import dataclass
from pathlib import PurePosixPath

import charset_normalizer
import pandas as pd

from inventory.core import vocab
from inventory.core.failures import FIRST_DATA_ROW, failure
from inventory.intake.package import PackageProblem

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
# An .xlsx is itself a zip: the same bomb guard as for packages (XML inflates ~10-20x).
XLSX_MAX_INFLATED_FACTOR = 50
XLSX_BOMB_MIN_BYTES = 64 * 1024 * 1024  # small workbooks may inflate more; harmless below this


@dataclass(frozen=True)
class FileFormat:
    """What the reader detected in one file."""

    kind: str  # csv | xlsx | parquet
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."


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


def _finish(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """lower_snake headers, stripped text, blank -> missing, row-number index, blank rows out."""
    columns = [str(vocab.normalise_code(str(c))) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise PackageProblem([failure("duplicate_column", f"{name} has the column {c!r} twice",
                                      "keep one column of that name", file=name, row=1,
                                      column=c) for c in duplicated])  # fmt: skip
    frame.columns = columns
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame), name="row")
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


def _check_xlsx_inflation(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise _problem(
            "xlsx_unreadable",
            f"{name} is not a valid .xlsx workbook",
            "save the sheet again as Excel Workbook (.xlsx) or CSV",
            name,
        ) from None
    if inflated > XLSX_MAX_INFLATED_FACTOR * max(len(data), 1) and inflated > XLSX_BOMB_MIN_BYTES:
        raise _problem("zip_bomb", f"{name} inflates to {inflated:,} bytes",
                       "save the sheet again as CSV", name)  # fmt: skip


def _xlsx_cell(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def read_xlsx_bytes(data: bytes, name: str) -> tuple[pd.DataFrame, FileFormat]:
    """The first worksheet of a workbook; row numbers are the sheet's own."""
    import openpyxl

    _check_xlsx_inflation(data, name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        book.close()
    except Exception as err:  # openpyxl raises many types on a damaged workbook
        raise _problem(
            "xlsx_unreadable",
            f"{name} cannot be read as a workbook: {err}",
            "save the sheet again as Excel Workbook (.xlsx) or CSV",
            name,
        ) from None
    if not rows or not any(v is not None for v in rows[0]):
        raise _problem("file_empty", f"{name}: the first sheet has no header row in row 1",
                       "put the column names in row 1 of the first sheet", name)  # fmt: skip
    width = max(i + 1 for i, v in enumerate(rows[0]) if v is not None)
    header = [
        str(v) if v is not None else f"unnamed_{i + 1}" for i, v in enumerate(rows[0][:width])
    ]
    body = [[_xlsx_cell(v) for v in (list(r) + [None] * width)[:width]] for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype="str")
    return _finish(frame, name), FileFormat("xlsx")


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


def read_table(data: bytes, name: str) -> tuple[pd.DataFrame, FileFormat]:
    """Dispatch on the file name's suffix."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_csv_bytes(data, name)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx_bytes(data, name)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet_bytes(data, name)
    raise _problem("file_type_unsupported", f"{name}: files of type {suffix or '(none)'!r} "
                   "cannot be read", f"send CSV, XLSX or Parquet ({', '.join(SUPPORTED)})",
                   name)  # fmt: skip
