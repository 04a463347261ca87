"""Every invariant check of ``inventory/engine/sql/checks/`` on one country's run.

At the end of a country's computation its input and result tables are registered in an
in-memory DuckDB connection under their table names, and every check whose header ``Inputs``
(checked against the tables its SQL reads) are all among them runs (:func:`run_invariants`), so
a check added to the folder runs in production without further wiring. A check's
``$parameters`` are bound from the run's parameters. Results (name, rows, passed, and the first
offending rows of a failed check) go into the run manifest; a failed check stops the publish
(:mod:`inventory.lake.releases`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from inventory.core.failures import LISTED_ROWS, listed
from inventory.engine import sql_headers, sql_models


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one invariant check on one country."""

    name: str
    rule: str  # the header's Check sentence
    rows: int  # offending rows; 0 = pass
    offending: tuple[str, ...] = ()  # the first LISTED_ROWS rows, one line each

    @property
    def passed(self) -> bool:
        return self.rows == 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "passed": self.passed,
                "offending": list(self.offending)}  # fmt: skip

    def message(self, country: str) -> str:
        """The check, the rule and the offending rows (first LISTED_ROWS, then a count)."""
        return (f"invariant check {self.name} failed for {country}: {self.rows} row(s) break "
                f"'{self.rule}'" + listed(self.offending, self.rows))  # fmt: skip


def runnable_checks(available: set[str]) -> dict[str, sql_headers.CheckHeader]:
    """Checks whose every input table is in ``available`` (name -> header)."""
    headers = sql_headers.check_headers()
    return {n: h for n, h in headers.items() if set(h.input_tables) <= available}


def _row_line(row: Mapping[Any, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def run_invariants(tables: Mapping[str, pd.DataFrame],
                   params: Mapping[str, Any] | None = None) -> list[CheckResult]:  # fmt: skip
    """Run every check whose inputs are in ``tables``; results in check-name order."""
    con = sql_models.connect()
    try:
        sql_models.register(con, {k: v for k, v in tables.items() if v is not None})
        results = []
        for name, header in runnable_checks(
            {k for k, v in tables.items() if v is not None}
        ).items():
            rows = sql_models.run_check(con, name, params=params)
            lines = tuple(_row_line(r) for r in rows.head(LISTED_ROWS).to_dict("records"))
            results.append(CheckResult(name, " ".join(header.check.split()), len(rows), lines))
        return results
    finally:
        con.close()
