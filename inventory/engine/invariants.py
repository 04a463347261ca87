"""Every invariant check of ``inventory/engine/sql/checks/`` on one country's run.

At the end of a country's computation its input and result tables are registered in an
in-memory DuckDB connection under their table names and **every** check runs
(:func:`run_invariants`), so a check added to the folder runs in production without further
wiring. The tables a check reads are taken from its SQL
(:func:`inventory.engine.sql_graph.check_graph`), and the run's tables are looked up in the
run's results first, then on the engine's connection. Nothing is skipped silently:

* a table the run has no reason to have (e.g. the land-unit histories of a run on stratum
  areas) is given by the caller as a *stand-in* with its reason: an empty table with the columns
  of the SQL model of that name (:func:`stand_in_sql`), so the check runs and passes trivially,
  and the reason is kept with the result;
* a table that is neither there nor stood in for makes the check's status ``missing_input``
  (not passed), so a table renamed or no longer produced fails the run instead of switching the
  check off.

A check's ``$parameters`` are bound from the run's parameters. Results (name, status, rows,
the first offending rows of a failed check, the stand-ins and the missing tables) go into the
run manifest; a check that did not pass stops the publish (:mod:`inventory.lake.releases`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from inventory.core.failures import LISTED_ROWS, listed
from inventory.engine import sql_graph, sql_headers, sql_models

Status = Literal["pass", "fail", "missing_input"]
# SQL type of an empty stand-in column, by the unit of the model header's column
_YEAR_UNITS = frozenset({"yr"})
_COUNT_UNITS = frozenset({"count"})


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one invariant check on one country.

    ``rows``: offending rows (0 = pass); ``missing``: input tables the run lacks (the check
    could not run); ``stand_ins``: (table, reason) of the inputs it ran on as empty tables.
    """

    name: str
    rule: str  # the header's Check sentence
    rows: int
    offending: tuple[str, ...] = ()  # the first LISTED_ROWS rows, one line each
    missing: tuple[str, ...] = ()
    stand_ins: tuple[tuple[str, str], ...] = ()

    @property
    def status(self) -> Status:
        if self.missing:
            return "missing_input"
        return "pass" if self.rows == 0 else "fail"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "rows": self.rows,
                "passed": self.passed, "offending": list(self.offending),
                "missing": list(self.missing), "stand_ins": dict(self.stand_ins)}  # fmt: skip

    def message(self, country: str) -> str:
        """The check, the rule and the offending rows (first LISTED_ROWS, then a count), or the
        tables it could not run without."""
        if self.missing:
            tables = ", ".join(self.missing)
            return (f"invariant check {self.name} could not run for {country}: the run has no "
                    f"table {tables} (renamed, or no longer produced?)")  # fmt: skip
        return (f"invariant check {self.name} failed for {country}: {self.rows} row(s) break "
                f"'{self.rule}'" + listed(self.offending, self.rows))  # fmt: skip


def stand_in_sql(table: str) -> str:
    """``CREATE TABLE`` of an empty table with the columns of the SQL model ``table``.

    Column types follow the header's units: ``[yr]`` INTEGER, ``[count]`` BIGINT, any other
    unit DOUBLE, no unit (codes, text, flags) VARCHAR.

    Raises
    ------
    ValueError
        No SQL model is named ``table`` (a stand-in needs a header for its columns).
    """
    headers = sql_headers.model_headers()
    if table not in headers:
        raise ValueError(f"no SQL model makes {table!r}: it cannot be stood in for")
    columns = ", ".join(f'"{c.name}" {_sql_type(c.unit)}' for c in headers[table].columns)
    return f'CREATE TABLE "{table}" ({columns})'  # names from the package's own headers


def _sql_type(unit: str | None) -> str:
    if unit is None:
        return "VARCHAR"
    if unit in _YEAR_UNITS:
        return "INTEGER"
    return "BIGINT" if unit in _COUNT_UNITS else "DOUBLE"


def _row_line(row: Mapping[Any, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def _on_engine(engine: duckdb.DuckDBPyConnection | None, names: set[str]) -> dict[str, Any]:
    """The tables of ``names`` that the engine's connection holds, as Arrow tables."""
    if engine is None:
        return {}
    there = sorted(names & sql_models.tables_on(engine))
    return {name: engine.table(name).to_arrow_table() for name in there}


def run_invariants(
    tables: Mapping[str, pd.DataFrame | None],
    params: Mapping[str, Any] | None = None,
    *,
    engine: duckdb.DuckDBPyConnection | None = None,
    stand_ins: Mapping[str, str] | None = None,
    package: str = sql_headers.CHECK_PACKAGE,
) -> list[CheckResult]:
    """Run every invariant check on a run's tables.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The run's tables by name (inputs and results; None = absent).
    params : mapping, optional
        The run's parameters; each check binds those it declares.
    engine : duckdb.DuckDBPyConnection, optional
        The connection the run computed on: a table a check reads that is not in ``tables``
        is taken from it when it holds one of that name.
    stand_ins : mapping of str to str, optional
        Table -> why this run has none: a check reading it runs on an empty table with the
        columns of the SQL model of that name (a table the run has is never stood in for).
    package : str, optional
        Package holding the checks.

    Returns
    -------
    list of CheckResult
        One per check of ``package``, in check-name order: ``pass`` or ``fail`` (with the
        stand-ins used), or ``missing_input`` naming the tables neither given nor stood in for.
    """
    graph = sql_graph.check_graph(package=package)
    headers = sql_headers.check_headers(package=package)
    given: dict[str, Any] = {k: v for k, v in tables.items() if v is not None}
    read = set().union(*graph.values()) if graph else set()
    given |= _on_engine(engine, read - set(given))
    reasons = {t: r for t, r in (stand_ins or {}).items() if t in read and t not in given}
    con = sql_models.connect()
    try:
        sql_models.register(con, given)
        for table in sorted(reasons):
            con.execute(stand_in_sql(table))
        results = []
        for name, inputs in graph.items():
            rule = " ".join(headers[name].check.split())
            missing = tuple(sorted(inputs - set(given) - set(reasons)))
            used = tuple((t, reasons[t]) for t in sorted(inputs & set(reasons)))
            if missing:
                results.append(CheckResult(name, rule, 0, missing=missing, stand_ins=used))
                continue
            rows = sql_models.run_check(con, name, params=params, package=package)
            lines = tuple(_row_line(r) for r in rows.head(LISTED_ROWS).to_dict("records"))
            results.append(CheckResult(name, rule, len(rows), lines, stand_ins=used))
        return results
    finally:
        con.close()
