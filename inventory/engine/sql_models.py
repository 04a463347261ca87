"""Run the SQL models of ``inventory/engine/sql/`` on a DuckDB connection.

Each ``.sql`` file is one query under a ``--`` comment header (parsed and checked against its
query by :mod:`inventory.engine.sql_headers`); the tables the queries read make the model graph
(:mod:`inventory.engine.sql_graph`).

* :func:`run_model` runs one model, asserting that its query binds exactly the header's Params
  and that its result has exactly the header's Columns, in order (``SqlHeaderError``
  otherwise); with ``into`` the result is materialised as a table.
* :func:`run_models` materialises target tables and the models upstream of them that the
  connection does not hold yet, in the graph's topological order.
* :func:`run_check` runs an invariant query of ``sql/checks/`` (rows returned break the rule).

Parameters are bound by DuckDB (``$name``); SQL is never built from user input. Input tables are
registered by name from pandas/Arrow objects or read from Parquet paths; identifiers come from
fixed lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, overload

import duckdb
import pandas as pd

from inventory.engine import sql_graph
from inventory.engine.sql_headers import (
    CHECK_PACKAGE,
    SQL_PACKAGE,
    check_columns,
    load_check,
    load_model,
)


def connect(
    path: str | Path | None = None, *, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection: in memory by default (no file lock), or a database file."""
    con = duckdb.connect(str(path) if path else ":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


@contextmanager
def one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The connection on one DuckDB thread for the block, its thread count restored after.

    A multi-threaded aggregate adds floats in an order that depends on the threads' schedule,
    so its last bits vary run to run; queries whose results must be reproducible bit for bit
    (differences of nearly equal sums, such as the forward-difference sensitivities of the
    uncertainty analysis) run inside this block.
    """
    (threads,) = con.execute("SELECT current_setting('threads')").fetchone() or (None,)
    con.execute("SET threads = 1")
    try:
        yield con
    finally:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")


def register(con: duckdb.DuckDBPyConnection, tables: Mapping[str, Any]) -> None:
    """Register frames (pandas or Arrow) or Parquet paths as views named by the mapping keys."""
    for name, table in tables.items():
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        if isinstance(table, (str, Path)):
            # a relation view: DuckDB 2.0 cannot prepare CREATE VIEW with a $parameter
            con.read_parquet(str(table)).create_view(name, replace=True)
        else:
            con.register(name, table)


@overload
def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: None = None,
    package: str = SQL_PACKAGE,
) -> pd.DataFrame: ...


@overload
def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: str,
    view: bool = False,
    package: str = SQL_PACKAGE,
) -> None: ...


def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: str | None = None,
    view: bool = False,
    package: str = SQL_PACKAGE,
) -> pd.DataFrame | None:
    """Run one SQL model with bound parameters, asserting its result against its header.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding the model's input tables.
    name : str
        Model name (file name without ``.sql``).
    params : mapping, optional
        Parameter values by name; those the model does not declare are ignored.
    into : str, optional
        Materialise the result as this table (so later models can read it) and return None.
    view : bool, default False
        With ``into``: a view instead of a table (the query runs, with its parameters bound,
        each time it is read; nothing is held), for a large result whose readers select a
        part of it.
    package : str, optional
        Package holding the models.

    Returns
    -------
    pandas.DataFrame or None
        The result, or None with ``into``.

    Raises
    ------
    SqlHeaderError
        The header is malformed, its Params differ from the query's, or the result's columns
        differ from its Columns (with ``into`` the table has been created by then).
    """
    header, query = load_model(name, package=package)
    bound = {k: v for k, v in (params or {}).items() if k in header.params}
    if into is not None:
        if not into.isidentifier():
            raise ValueError(f"not a table name: {into!r}")
        if view:  # a relation view: DuckDB 2.0 cannot prepare CREATE VIEW with a $parameter
            con.sql(query, params=bound).create_view(into, replace=True)
        else:
            con.execute(f"CREATE OR REPLACE TABLE {into} AS {query}", bound)
        description = con.execute(f"SELECT * FROM {into} LIMIT 0").description or []
        check_columns(name, header.column_names, [d[0] for d in description])
        return None
    result = con.execute(query, bound).df()
    check_columns(name, header.column_names, [str(c) for c in result.columns])
    return result


def tables_on(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views on a connection (registered frames included)."""
    return {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables")
            .fetchall()}  # fmt: skip


def run_models(
    con: duckdb.DuckDBPyConnection,
    targets: Iterable[str],
    params: Mapping[str, Any] | None = None,
    *,
    producers: Mapping[str, str] | None = None,
    package: str = SQL_PACKAGE,
) -> list[sql_graph.Step]:
    """Materialise tables and the SQL models upstream of them, in the graph's order.

    Each target is (re)made; every other table a target needs, directly or not, is made only
    when the connection does not hold it yet (a table the caller registered or an earlier call
    made is used as it is). The order comes from the tables the queries read
    (:func:`inventory.engine.sql_graph.upstream`), and every model is checked against its
    header as by :func:`run_model`.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding the input tables; the made tables are left on it.
    targets : iterable of str
        Tables to make: model names, or tables of ``producers``.
    params : mapping, optional
        Parameter values by name, for all the models run; each binds those it declares.
    producers : mapping of str to str, optional
        Table -> the model that makes it, for tables not named as their model (e.g.
        ``{"land_areas": "approach2_land_areas"}``).
    package : str, optional
        Package holding the models.

    Returns
    -------
    list of Step
        The ``(model, table)`` runs made, in order.

    Raises
    ------
    SqlGraphError
        A needed table is neither on the connection nor made by a model (nothing is run).
    SqlHeaderError
        A model's header is malformed or does not match its query or its result.
    """
    targets = list(targets)
    provided = tables_on(con) - set(targets)
    steps = sql_graph.upstream(targets, provided=provided, producers=producers, package=package)
    for step in steps:
        run_model(con, step.model, params, into=step.table, package=package)
    return steps


def run_check(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    package: str = CHECK_PACKAGE,
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run an invariant query from ``inventory/engine/sql/checks``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding the tables the check reads.
    name : str
        Check name (file name without ``.sql``).
    package : str, optional
        Package holding the checks.
    params : mapping, optional
        Parameter values by name; those the check does not declare are ignored.

    Returns
    -------
    pandas.DataFrame
        Rows that break the rule; empty = pass.

    Raises
    ------
    SqlHeaderError
        The header is malformed, or declares Columns the result does not have.
    """
    header, query = load_check(name, package=package)
    bound = {k: v for k, v in (params or {}).items() if k in header.params}
    result = con.execute(query, bound).df()
    if header.columns:
        check_columns(name, [c.name for c in header.columns], [str(c) for c in result.columns])
    return result
