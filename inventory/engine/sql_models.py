"""Run the SQL models of ``inventory/sql/`` on a DuckDB connection.

Each ``.sql`` file is one query with a header (Method, Grain, Params, Columns). Parameters are
bound by DuckDB (``$name``); SQL is never built from user input. Input tables are registered by
name from pandas/Arrow objects or read from Parquet paths; identifiers come from fixed lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, overload

import duckdb
import pandas as pd

SQL_PACKAGE = "inventory.engine.sql"


def sql_text(name: str, *, package: str = SQL_PACKAGE) -> str:
    """The text of ``inventory/sql/<name>.sql`` (or ``checks/<name>.sql`` with a package)."""
    return resources.files(package).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def connect(
    path: str | Path | None = None, *, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection: in memory by default (no file lock), or a database file."""
    con = duckdb.connect(str(path) if path else ":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


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
) -> pd.DataFrame: ...


@overload
def run_model(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None, *, into: str
) -> None: ...


def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: str | None = None,
) -> pd.DataFrame | None:
    """Run one SQL model with bound parameters.

    With ``into``, the result is materialised as table ``into`` (so later models can read it)
    and None is returned; otherwise the result comes back as a pandas DataFrame.
    """
    query = sql_text(name)
    bound = {k: v for k, v in (params or {}).items() if f"${k}" in query}
    if into is not None:
        if not into.isidentifier():
            raise ValueError(f"not a table name: {into!r}")
        con.execute(f"CREATE OR REPLACE TABLE {into} AS {query}", bound)
        return None
    return con.execute(query, bound).df()


def run_check(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """Run an invariant query from ``inventory/sql/checks``: rows returned break the rule."""
    return con.execute(sql_text(name, package=f"{SQL_PACKAGE}.checks")).df()
