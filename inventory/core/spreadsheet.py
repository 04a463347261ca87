"""Files opened in spreadsheets: the one writer of every CSV and XLSX the system makes.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is evaluated as a
formula by Excel, LibreOffice and Google Sheets (CSV injection). Following the OWASP "CSV
Injection" recommendation, every text cell of a CSV or XLSX the system writes that starts with one
of these characters is prefixed with a single quote, which spreadsheets show as text. Numeric
columns are left alone (a number is never a formula, and stays a number). XLSX cannot hold the
C0 control characters other than tab, line feed and carriage return (openpyxl raises
``IllegalCharacterError``): in an XLSX they are written as the visible escape ``\\x0b``, so a
stored value never fails a download.

Every writer goes through :func:`csv_bytes`, :func:`write_csv` or :func:`xlsx_bytes`
(``inventory.lake.zones.write_csv_atomic`` for the lake's CSVs, the portal's downloads and the
quarantine reports).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

# OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): leading characters.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE_PREFIX = "'"
# Characters an XLSX cell cannot hold (XML 1.0; openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_ROWS = 1_048_575  # data rows of one Excel sheet under the header


def neutralise_cell(value: object) -> object:
    """One cell: text starting with a formula trigger gets a leading ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE_PREFIX + value
    return value


def xlsx_cell(value: object) -> object:
    """One cell for an XLSX: neutralised, illegal characters written as ``\\xNN``."""
    value = neutralise_cell(value)
    if isinstance(value, str) and XLSX_ILLEGAL.search(value):
        return XLSX_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [c for c in frame.columns
            if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object]  # fmt: skip


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(neutralise_cell, na_action="ignore")
    out.columns = [str(neutralise_cell(str(c))) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV bytes, formula cells neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as a UTF-8 CSV at ``path``, formula cells neutralised."""
    neutralise_formulas(frame).to_csv(path, index=False, encoding="utf-8")
    return Path(path)


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "data") -> bytes:
    """``frame`` as a one-sheet workbook: formula cells neutralised, illegal characters
    escaped (sheet names are cut at Excel's 31 characters); numbers stay numbers."""
    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"{len(frame):,} rows do not fit in one sheet: take CSV or Parquet")
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = out[column].map(xlsx_cell, na_action="ignore")
    out.columns = [str(xlsx_cell(str(c))) for c in out.columns]
    buffer = io.BytesIO()
    out.to_excel(buffer, index=False, sheet_name=str(xlsx_cell(sheet))[:31])
    return buffer.getvalue()
