"""CSV files opened in spreadsheets: neutralising cells that a spreadsheet would run as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is evaluated as a
formula by Excel, LibreOffice and Google Sheets (CSV injection). Following the OWASP "CSV
Injection" recommendation, every text cell of a CSV the system writes that starts with one of these
characters is prefixed with a single quote, which spreadsheets show as text. Numeric columns are
left alone (a number is never a formula).
"""

from __future__ import annotations

import pandas as pd

# OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): leading characters.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE_PREFIX = "'"


def neutralise_cell(value: object) -> object:
    """One cell: text starting with a formula trigger gets a leading ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE_PREFIX + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            out[column] = series.map(neutralise_cell, na_action="ignore")
    out.columns = [str(neutralise_cell(str(c))) for c in out.columns]
    return out
