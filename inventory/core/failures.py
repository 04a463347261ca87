"""The failure table every submission check writes to (collected, then reported once).

One row per problem: ``file`` (as named in submission.yaml), ``row`` (as the submitter sees it in
a spreadsheet: the header is row 1, so the first data row is row 2; empty for file- or
package-level problems), ``column``, ``value`` (as submitted), ``rule_id`` (machine-readable),
``message`` (what is wrong) and ``fix`` (what to do, in words a non-programmer can act on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from inventory.core.errors import UserError
from inventory.core.limits import REPORT_VALUE_MAX_CHARS

FAILURE_COLUMNS = ["file", "row", "column", "value", "rule_id", "message", "fix"]
FIRST_DATA_ROW = 2  # spreadsheet row of the first record: row 1 is the header
# A message quotes the value once besides its own words: it may be this many times longer.
MESSAGE_MAX_CHARS = 5 * REPORT_VALUE_MAX_CHARS


def failure(
    rule_id: str,
    message: str,
    fix: str,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
) -> dict[str, Any]:
    """One failure record (a dict with the :data:`FAILURE_COLUMNS` keys)."""
    return {"file": file, "row": row, "column": column, "value": value, "rule_id": rule_id,
            "message": message, "fix": fix}  # fmt: skip


def failure_frame(records: Iterable[dict[str, Any]] | pd.DataFrame = ()) -> pd.DataFrame:
    """Records (or frames) as one failure table with stable column order and types."""
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    frame = frame.reindex(columns=FAILURE_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    frame["value"] = frame["value"].map(_display_value, na_action="ignore").astype("object")
    for column in ("message", "fix"):
        frame[column] = frame[column].map(_cap_message, na_action="ignore")
    return frame.reset_index(drop=True)


_CUT = re.compile(r"\.\.\. \([0-9,]+ characters\)")
_CUT_MAX = 40  # the longest such suffix


def cap_text(text: str, limit: int = REPORT_VALUE_MAX_CHARS) -> str:
    """``text`` when at most ``limit`` characters, else its first ``limit`` characters and
    ``... (N characters)``: a report repeats at most that much of a submitted value (a package
    of 1 MiB cells made a quarantine report 7 times the package). Idempotent: a text it cut
    already is returned as is."""
    if len(text) <= limit or (len(text) <= limit + _CUT_MAX and _CUT.fullmatch(text[limit:])):
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def _cap_message(text: Any) -> Any:
    return cap_text(text, MESSAGE_MAX_CHARS) if isinstance(text, str) else text


def concat_failures(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All failures, ordered by file, row and rule (file/package problems first)."""
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        return failure_frame()
    out = failure_frame(pd.concat([f.reindex(columns=FAILURE_COLUMNS) for f in frames]))
    order = out.assign(_f=out["file"].fillna(""), _r=out["row"].fillna(0))
    order = order.sort_values(["_f", "_r", "rule_id", "column"], kind="stable", na_position="first")
    return failure_frame(order.drop(columns=["_f", "_r"]))


def _display_value(value: Any) -> Any:
    """Values as the submitter typed them (floats without a spurious ``.0``), cut by
    :func:`cap_text`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str, bool)):
        return cap_text(value) if isinstance(value, str) else str(value)
    return cap_text(str(value))


LISTED_ROWS = 20  # rows spelled out in an error message; the rest are counted


def listed(lines: Iterable[str], total: int) -> str:
    """The first ``LISTED_ROWS`` lines of an error listing, indented, plus a count of the rest."""
    shown = list(lines)[:LISTED_ROWS]
    more = f" (+{total - LISTED_ROWS} more)" if total > LISTED_ROWS else ""
    return "\n  " + "\n  ".join(shown) + more


class RowListingError(UserError, ValueError):
    """A user error about table rows: a headline with the fix, then the rows one per line.

    Subclasses set ``headline`` and :meth:`describe` (one row as text); ``rows`` keeps the table.
    """

    headline = "these rows break a rule:"

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows
        lines = (self.describe(r) for r in rows.head(LISTED_ROWS).itertuples())
        super().__init__(self.headline + listed(lines, len(rows)))

    def describe(self, row: Any) -> str:
        return str(row)
