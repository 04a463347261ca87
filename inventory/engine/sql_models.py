"""Run the SQL models of ``inventory/engine/sql/`` on a DuckDB connection.

Each ``.sql`` file is one query under a header of ``--`` comment lines, parsed by
:func:`parse_header` and checked on every run, so that a header cannot drift from its query::

    -- Model: soc_stocks
    -- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 ... (prose; continuation lines are indented by
    --   two or more spaces after the ``--``)
    -- Grain: country, year, land_use; optional note after a semicolon
    -- Inputs: land_areas (...), stratum_factors (prose)
    -- Params: $first_year, $last_year (prose after the names) -- or: none (prose)
    -- Columns:
    --   country: ISO 3166-1 alpha-3 country code
    --   stock_tc [t C]: equilibrium stock ... (a column's description continues on lines
    --     indented further than its name)

Sections come once each, in this order. The header ends at the first line that is not a
``--`` comment. ``Grain`` names output columns (the list ends at an optional ``;``). A column's
unit is in brackets (``[1]`` for dimensionless numbers), omitted for codes and text. ``Params``
lists every ``$name`` bound in the query body, or says ``none``. Checks (``checks/*.sql``) have
``-- Check:``, ``-- Returns:`` and ``-- Inputs:`` and may add ``Params`` and ``Columns``.

:func:`run_model` asserts that the body uses exactly the header's Params and that the result
has exactly the header's Columns, in order (:class:`SqlHeaderError` otherwise). Parameters are
bound by DuckDB (``$name``); SQL is never built from user input. Input tables are registered by
name from pandas/Arrow objects or read from Parquet paths; identifiers come from fixed lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, overload

import duckdb
import pandas as pd

SQL_PACKAGE = "inventory.engine.sql"
CHECK_PACKAGE = f"{SQL_PACKAGE}.checks"

MODEL_SECTIONS = ("Model", "Method", "Grain", "Inputs", "Params", "Columns")
CHECK_SECTIONS = ("Check", "Returns", "Inputs", "Params", "Columns")
_OPTIONAL_CHECK_SECTIONS = frozenset({"Params", "Columns"})

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_SECTION_LINE = re.compile(r"^-- (?P<key>[A-Z][A-Za-z]*):(?: (?P<text>.*))?$")
_CONTINUATION_LINE = re.compile(r"^--   +\S")  # "-- " plus an indent of 2+ spaces
_COLUMN_ENTRY = re.compile(
    rf"^(?P<name>{_IDENTIFIER})(?: \[(?P<unit>[^\[\]]+)\])?: (?P<description>\S.*)$"
)
_MODEL_LINE = re.compile(rf"^(?P<name>{_IDENTIFIER})(?: \((?P<title>.+)\))?$")
_PARAM = re.compile(rf"\$({_IDENTIFIER})")


class SqlHeaderError(ValueError):
    """A SQL model's header is malformed, or its query or result does not match it."""


class Column(NamedTuple):
    """One output column of a SQL model, as its header's Columns section declares it."""

    name: str
    unit: str | None
    description: str


@dataclass(frozen=True)
class ModelHeader:
    """The parsed header of a SQL model (``inventory/engine/sql/<model>.sql``).

    Attributes
    ----------
    model : str
        Model name; equals the file name without ``.sql``.
    title : str
        Optional note after the model name (``-- Model: name (note)``); empty without one.
    method : str
        Method statement with its citations; line breaks and formula layout kept.
    grain : tuple of str
        Output columns that identify a row.
    grain_note : str
        Prose after the grain list (after ``;``); empty without one.
    inputs : str
        Input tables, as prose.
    params : tuple of str
        Names of the ``$parameters`` the query binds, without ``$``, in header order.
    params_note : str
        The Params section as written (names with their prose).
    columns : tuple of Column
        Output columns in result order: ``(name, unit, description)``; unit None for codes
        and text.
    """

    model: str
    title: str
    method: str
    grain: tuple[str, ...]
    grain_note: str
    inputs: str
    params: tuple[str, ...]
    params_note: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the output columns, in order."""
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class CheckHeader:
    """The parsed header of an invariant query (``inventory/engine/sql/checks/<name>.sql``).

    Attributes
    ----------
    check : str
        The rule that every row returned breaks (the ``Check`` section).
    returns : str
        What a returned row is (``Returns``); an empty result means the check passes.
    inputs : str
        Tables read, as prose.
    params : tuple of str
        ``$parameters`` the query binds (empty when the section is absent or ``none``).
    columns : tuple of Column
        Output columns, or empty when the header declares none (then they are not asserted).
    """

    check: str
    returns: str
    inputs: str
    params: tuple[str, ...]
    columns: tuple[Column, ...]


def sql_text(name: str, *, package: str = SQL_PACKAGE) -> str:
    """Read the text of one SQL file.

    Parameters
    ----------
    name : str
        File name without ``.sql``.
    package : str, optional
        Package holding the file: the models (default) or :data:`CHECK_PACKAGE`.

    Returns
    -------
    str
        Header and query of ``<package>/<name>.sql``.
    """
    return resources.files(package).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _header_lines(text: str) -> list[str]:
    """The leading ``--`` comment lines of a SQL file (the header)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.rstrip())
    return lines


def _sections(
    text: str, allowed: Sequence[str], optional: frozenset[str], where: str
) -> dict[str, list[str]]:
    """Split a header into its sections: key -> [text of the key line, continuation lines].

    Continuation lines keep their indentation beyond the two spaces after ``-- ``.
    Raises SqlHeaderError for an unknown, repeated, missing or misplaced section, and for a
    comment line that is neither a section nor an indented continuation.
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    lines = _header_lines(text)
    if not lines:
        raise SqlHeaderError(f"{where}: no header (leading '--' comment lines)")
    for number, line in enumerate(lines, start=1):
        section = _SECTION_LINE.match(line)
        if section and section["key"] in allowed:
            key = section["key"]
            if key in sections:
                raise SqlHeaderError(f"{where}: line {number}: section {key!r} repeated")
            sections[key] = current = [(section["text"] or "").strip()]
            continue
        continuation = _CONTINUATION_LINE.match(line)
        if continuation and current is not None:
            current.append(line[5:])  # drop "-- " and the two-space continuation indent
            continue
        raise SqlHeaderError(
            f"{where}: line {number}: expected '-- <Section>: ...' with a section of "
            f"{', '.join(allowed)}, or a continuation indented by 2+ spaces, got {line!r}"
        )
    present = [k for k in allowed if k in sections]
    missing = [k for k in allowed if k not in sections and k not in optional]
    if missing:
        raise SqlHeaderError(f"{where}: missing section(s) {', '.join(missing)}")
    if list(sections) != present:
        raise SqlHeaderError(
            f"{where}: sections out of order: {', '.join(sections)} (expected order "
            f"{', '.join(allowed)})"
        )
    return sections


def _prose(lines: list[str]) -> str:
    """Section lines joined into one line of prose."""
    return " ".join(part.strip() for part in lines if part.strip())


def _block(lines: list[str]) -> str:
    """Section lines joined with their line breaks (for formulas laid out in columns)."""
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _params(lines: list[str], where: str) -> tuple[tuple[str, ...], str]:
    """The ``$names`` of a Params section (none for ``none``) and the section's prose."""
    text = _prose(lines)
    names = tuple(dict.fromkeys(_PARAM.findall(text)))
    if text.startswith("none"):
        if names:
            raise SqlHeaderError(f"{where}: Params says 'none' but names ${', $'.join(names)}")
    elif not text.startswith("$"):
        raise SqlHeaderError(f"{where}: Params must start with a $name or 'none', got {text!r}")
    return names, text


def _columns(lines: list[str], where: str) -> tuple[Column, ...]:
    """The entries of a Columns section: ``  name [unit]: description`` + deeper continuations."""
    if lines[0]:
        raise SqlHeaderError(
            f"{where}: Columns entries go on their own lines ('--   name [unit]: ...'), "
            f"not after 'Columns:' ({lines[0]!r})"
        )
    entries: list[tuple[str, str | None, list[str]]] = []
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))  # beyond the two spaces of every entry
        if indent == 0:
            entry = _COLUMN_ENTRY.match(line)
            if not entry:
                raise SqlHeaderError(
                    f"{where}: bad Columns entry {line.strip()!r}: expected "
                    f"'name [unit]: description' (unit optional)"
                )
            unit = entry["unit"].strip() if entry["unit"] else None
            entries.append((entry["name"], unit, [entry["description"]]))
        elif indent >= 2 and entries:
            entries[-1][2].append(line)
        else:
            raise SqlHeaderError(
                f"{where}: Columns line {line.strip()!r} is neither an entry (indented 2 "
                f"spaces) nor a continuation of one (indented 4+)"
            )
    if not entries:
        raise SqlHeaderError(f"{where}: Columns section lists no column")
    names = [name for name, _, _ in entries]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SqlHeaderError(f"{where}: column(s) declared twice: {', '.join(repeated)}")
    return tuple(Column(name, unit, _prose(text)) for name, unit, text in entries)


def parse_header(text: str) -> ModelHeader:
    """Parse the header of a SQL model.

    Parameters
    ----------
    text : str
        The whole ``.sql`` file; only its leading ``--`` lines are read.

    Returns
    -------
    ModelHeader
        Model name, method, grain, inputs, params and columns.

    Raises
    ------
    SqlHeaderError
        A section is missing, repeated, out of order or malformed, a column is declared twice,
        or a Grain column is not among the Columns.
    """
    sections = _sections(text, MODEL_SECTIONS, frozenset(), "SQL header")
    model_line = _MODEL_LINE.match(_prose(sections["Model"]))
    if not model_line:
        raise SqlHeaderError(
            f"SQL header: Model must be 'name' or 'name (note)', got {_prose(sections['Model'])!r}"
        )
    where = f"SQL model {model_line['name']!r}"
    grain_text, _, grain_note = _prose(sections["Grain"]).partition(";")
    grain = tuple(part.strip() for part in grain_text.split(","))
    bad = [g for g in grain if not re.fullmatch(_IDENTIFIER, g)]
    if bad:
        raise SqlHeaderError(
            f"{where}: Grain must list column names separated by commas (a note may follow "
            f"a ';'), got {grain_text!r}"
        )
    params, params_note = _params(sections["Params"], where)
    columns = _columns(sections["Columns"], where)
    header = ModelHeader(
        model=model_line["name"],
        title=model_line["title"] or "",
        method=_block(sections["Method"]),
        grain=grain,
        grain_note=grain_note.strip(),
        inputs=_prose(sections["Inputs"]),
        params=params,
        params_note=params_note,
        columns=columns,
    )
    outside = [g for g in header.grain if g not in header.column_names]
    if outside:
        raise SqlHeaderError(f"{where}: Grain column(s) not in Columns: {', '.join(outside)}")
    return header


def parse_check_header(text: str) -> CheckHeader:
    """Parse the header of an invariant query (``checks/*.sql``).

    Parameters
    ----------
    text : str
        The whole ``.sql`` file; only its leading ``--`` lines are read.

    Returns
    -------
    CheckHeader
        Rule, returned rows, inputs, and the optional params and columns.

    Raises
    ------
    SqlHeaderError
        A section is missing, repeated, out of order or malformed.
    """
    where = "SQL check header"
    sections = _sections(text, CHECK_SECTIONS, _OPTIONAL_CHECK_SECTIONS, where)
    params = _params(sections["Params"], where)[0] if "Params" in sections else ()
    columns = _columns(sections["Columns"], where) if "Columns" in sections else ()
    return CheckHeader(
        check=_prose(sections["Check"]),
        returns=_prose(sections["Returns"]),
        inputs=_prose(sections["Inputs"]),
        params=params,
        columns=columns,
    )


def query_params(text: str) -> tuple[str, ...]:
    """The ``$parameters`` a query binds, in order of first use.

    Comments (``--`` to end of line, ``/* */``) and quoted strings and identifiers are skipped,
    so a ``$name`` quoted in the header prose does not count.

    Parameters
    ----------
    text : str
        SQL text (header included or not).

    Returns
    -------
    tuple of str
        Parameter names without ``$``.
    """
    code = re.sub(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", " ", text, flags=re.S)
    return tuple(dict.fromkeys(_PARAM.findall(code)))


def check_params(name: str, declared: Iterable[str], text: str) -> None:
    """Assert that a query binds exactly the parameters its header declares.

    Parameters
    ----------
    name : str
        Model or check name, for the message.
    declared : iterable of str
        The header's Params (without ``$``).
    text : str
        The SQL file.

    Raises
    ------
    SqlHeaderError
        The body uses a parameter the header does not declare, or the reverse.
    """
    declared = tuple(declared)
    used = query_params(text)
    undeclared = [p for p in used if p not in declared]
    unused = [p for p in declared if p not in used]
    if undeclared or unused:
        raise SqlHeaderError(
            f"SQL model {name!r}: header Params do not match the query: "
            f"used but not declared {['$' + p for p in undeclared]}, "
            f"declared but not used {['$' + p for p in unused]}"
        )


def check_columns(name: str, declared: Sequence[str], result: Sequence[str]) -> None:
    """Assert that a result has exactly the declared columns, in order.

    Parameters
    ----------
    name : str
        Model name, for the message.
    declared : sequence of str
        Column names of the header's Columns section.
    result : sequence of str
        Column names of the query result.

    Raises
    ------
    SqlHeaderError
        Naming the missing and unexpected columns, or both orders when only the order differs.
    """
    declared, result = list(declared), list(result)
    if declared == result:
        return
    missing = [c for c in declared if c not in result]
    unexpected = [c for c in result if c not in declared]
    detail = f"missing {missing}, unexpected {unexpected}"
    if not missing and not unexpected:
        detail = f"same columns in another order: header {declared}, result {result}"
    raise SqlHeaderError(
        f"SQL model {name!r}: result columns do not match header Columns: {detail}"
    )


def load_model(name: str, *, package: str = SQL_PACKAGE) -> tuple[ModelHeader, str]:
    """Read and parse one SQL model, checking its name and its Params against the query.

    Parameters
    ----------
    name : str
        Model name (file name without ``.sql``).
    package : str, optional
        Package holding the models.

    Returns
    -------
    header : ModelHeader
        The parsed header.
    text : str
        The whole SQL file (header comments and query).

    Raises
    ------
    SqlHeaderError
        The header is malformed, names another model, or its Params differ from the query's.
    """
    text = sql_text(name, package=package)
    try:
        header = parse_header(text)
    except SqlHeaderError as err:
        raise SqlHeaderError(f"{name}.sql: {err}") from err
    if header.model != name:
        raise SqlHeaderError(f"{name}.sql: header names model {header.model!r}")
    check_params(name, header.params, text)
    return header, text


def _sql_names(package: str) -> list[str]:
    """Names of the ``.sql`` files of a package, sorted."""
    files = resources.files(package).iterdir()
    return sorted(f.name.removesuffix(".sql") for f in files if f.name.endswith(".sql"))


def model_headers(*, package: str = SQL_PACKAGE) -> dict[str, ModelHeader]:
    """Parse the header of every SQL model (e.g. for a data dictionary of the outputs).

    Parameters
    ----------
    package : str, optional
        Package holding the models.

    Returns
    -------
    dict of str to ModelHeader
        Model name -> header, sorted by name.

    Raises
    ------
    SqlHeaderError
        A header is malformed or does not match its query's parameters.
    """
    return {name: load_model(name, package=package)[0] for name in _sql_names(package)}


def check_headers(*, package: str = CHECK_PACKAGE) -> dict[str, CheckHeader]:
    """Parse the header of every invariant query.

    Parameters
    ----------
    package : str, optional
        Package holding the checks.

    Returns
    -------
    dict of str to CheckHeader
        Check name -> header, sorted by name.

    Raises
    ------
    SqlHeaderError
        A header is malformed or does not match its query's parameters.
    """
    return {name: _load_check(name, package)[0] for name in _sql_names(package)}


def _load_check(name: str, package: str) -> tuple[CheckHeader, str]:
    """Read and parse one check, checking its Params against the query."""
    text = sql_text(name, package=package)
    try:
        header = parse_check_header(text)
    except SqlHeaderError as err:
        raise SqlHeaderError(f"{name}.sql: {err}") from err
    check_params(name, header.params, text)
    return header, text


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
    package: str = SQL_PACKAGE,
) -> pd.DataFrame: ...


@overload
def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: str,
    package: str = SQL_PACKAGE,
) -> None: ...


def run_model(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    into: str | None = None,
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
        con.execute(f"CREATE OR REPLACE TABLE {into} AS {query}", bound)
        description = con.execute(f"SELECT * FROM {into} LIMIT 0").description or []
        check_columns(name, header.column_names, [d[0] for d in description])
        return None
    result = con.execute(query, bound).df()
    check_columns(name, header.column_names, [str(c) for c in result.columns])
    return result


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
    header, query = _load_check(name, package)
    bound = {k: v for k, v in (params or {}).items() if k in header.params}
    result = con.execute(query, bound).df()
    if header.columns:
        check_columns(name, [c.name for c in header.columns], [str(c) for c in result.columns])
    return result
