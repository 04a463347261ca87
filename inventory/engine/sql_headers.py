"""The ``--`` comment headers of the SQL models (``inventory/engine/sql/``) and of the invariant
checks (``sql/checks/``): parsing, and the checks that keep a header true to its query.

A header is the run of ``--`` comment lines at the top of a ``.sql`` file; it ends at the first
line that is not a ``--`` comment::

    -- Model: soc_stocks
    -- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 ... (prose; a section continues on the lines
    --   below it that are indented further than its name)
    --     SOC(y) = ...   (layout beyond the least indented continuation line is kept)
    -- Grain: country, year, land_use; optional note after a semicolon
    -- Inputs: land_areas (description), stratum_factors; optional note after a semicolon
    -- Params: $first_year, $last_year (prose after the names) -- or: none (prose)
    -- Columns:
    --   country: ISO 3166-1 alpha-3 country code
    --   stock_tc [t C]: equilibrium stock ... (an entry's description continues on the
    --     lines indented further than the entry)

Indentation is relative: a section name starts at the indentation of the header's first line,
continuation lines are indented further (by any number of spaces), the Columns entries all start
at one indentation (that of the first entry) and an entry continues on the lines indented
further. Tabs are refused (their width is ambiguous). Sections come once each, in this order;
models have ``Model``, ``Method``, ``Grain``, ``Inputs``, ``Params``, ``Columns``; checks have
``Check``, ``Returns``, ``Inputs`` and may add ``Params`` and ``Columns``. ``Grain`` names
output columns; a column's unit is in brackets (``[1]`` for dimensionless numbers), omitted for
codes and text; ``Params`` lists every ``$name`` the query binds, or says ``none``.

``Inputs`` names the tables the query reads, separated by commas, each optionally followed by a
description in parentheses; what the query reads is taken from the SQL itself
(:func:`query_tables`, parsed with sqlglot; CTEs are not tables), and :func:`load_model` and
:func:`load_check` refuse a header whose Inputs or Params differ from its query. Every error
names the file and, when it is about a line, the line (``path.sql:12: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import sqlglot
import sqlglot.errors
from sqlglot import expressions as exp
from sqlglot.optimizer.scope import traverse_scope

SQL_PACKAGE = "inventory.engine.sql"
CHECK_PACKAGE = f"{SQL_PACKAGE}.checks"

MODEL_SECTIONS = ("Model", "Method", "Grain", "Inputs", "Params", "Columns")
CHECK_SECTIONS = ("Check", "Returns", "Inputs", "Params", "Columns")
_OPTIONAL_CHECK_SECTIONS = frozenset({"Params", "Columns"})

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_SECTION = re.compile(r"^(?P<key>[A-Z][A-Za-z]*):(?:\s+(?P<text>.*))?$")
_COLUMN_ENTRY = re.compile(
    rf"^(?P<name>{_IDENTIFIER})(?: \[(?P<unit>[^\[\]]+)\])?: (?P<description>\S.*)$"
)
_MODEL_LINE = re.compile(rf"^(?P<name>{_IDENTIFIER})(?: \((?P<title>.+)\))?$")
_PARAM = re.compile(rf"\$({_IDENTIFIER})")
_PARENTHESISED = re.compile(r"\([^()]*\)")


class SqlHeaderError(ValueError):
    """A SQL file's header is malformed, or its query or result does not match it."""


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
        The Inputs section as written (table names with their descriptions).
    input_tables : tuple of str
        The table names of the Inputs section, in header order.
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
    input_tables: tuple[str, ...]
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
        The Inputs section as written (table names with their descriptions).
    input_tables : tuple of str
        The table names of the Inputs section, in header order.
    params : tuple of str
        ``$parameters`` the query binds (empty when the section is absent or ``none``).
    columns : tuple of Column
        Output columns, or empty when the header declares none (then they are not asserted).
    """

    check: str
    returns: str
    inputs: str
    input_tables: tuple[str, ...]
    params: tuple[str, ...]
    columns: tuple[Column, ...]


class _Line(NamedTuple):
    """One header line: its number in the file, its indentation after ``--`` and its text."""

    number: int
    indent: int
    text: str


class _Section(NamedTuple):
    """A header section: the line of its name, the text after ``Key:`` and its continuation
    lines (in file order)."""

    line: _Line
    text: str
    more: list[_Line]


def _error(source: str, message: str, line: _Line | None = None) -> SqlHeaderError:
    where = f"{source}:{line.number}" if line is not None else source
    return SqlHeaderError(f"{where}: {message}")


def _header_lines(text: str, source: str) -> list[_Line]:
    """The leading ``--`` comment lines of a SQL file (blank comment lines are dropped)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith("--"):
            break
        body = raw[2:].rstrip()
        if not body.strip():
            continue
        line = _Line(number, len(body) - len(body.lstrip(" ")), body.lstrip(" "))
        if line.text.startswith("\t"):
            raise _error(source, "tab in the indentation: indent with spaces", line)
        lines.append(line)
    return lines


def _sections(
    text: str, allowed: Sequence[str], optional: frozenset[str], source: str
) -> dict[str, _Section]:
    """Split a header into its sections (see the module docstring for the layout).

    Raises SqlHeaderError for an unknown, repeated, missing or misplaced section, and for a
    line that is neither a section name nor indented further than one.
    """
    lines = _header_lines(text, source)
    if not lines:
        raise _error(source, "no header (leading '--' comment lines)")
    base = lines[0].indent
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for line in lines:
        if line.indent > base and current is not None:
            current.more.append(line)
            continue
        match = _SECTION.match(line.text)
        if line.indent == base and match and match["key"] in allowed:
            key = match["key"]
            if key in sections:
                raise _error(source, f"section {key!r} repeated", line)
            sections[key] = current = _Section(line, (match["text"] or "").strip(), [])
            continue
        raise _error(
            source,
            f"expected '-- <Section>: ...' with a section of {', '.join(allowed)} (at the "
            f"indentation of the first header line), or a continuation indented further than "
            f"its section, got {line.text!r}",
            line,
        )
    present = [k for k in allowed if k in sections]
    missing = [k for k in allowed if k not in sections and k not in optional]
    if missing:
        raise _error(source, f"missing section(s) {', '.join(missing)}")
    if list(sections) != present:
        raise _error(
            source,
            f"sections out of order: {', '.join(sections)} (expected order {', '.join(allowed)})",
        )
    return sections


def _prose(section: _Section) -> str:
    """A section's text joined into one line of prose."""
    return " ".join(part for part in [section.text, *(m.text for m in section.more)] if part)


def _block(section: _Section) -> str:
    """A section's text with its line breaks and, beyond the least indented continuation line,
    its layout (for formulas laid out in columns)."""
    margin = min((m.indent for m in section.more), default=0)
    more = [" " * (m.indent - margin) + m.text for m in section.more]
    return "\n".join(part for part in [section.text, *more] if part)


def _params(section: _Section, source: str) -> tuple[tuple[str, ...], str]:
    """The ``$names`` of a Params section (none for ``none``) and the section's prose."""
    text = _prose(section)
    names = tuple(dict.fromkeys(_PARAM.findall(text)))
    if text.startswith("none"):
        if names:
            raise _error(source, f"Params says 'none' but names ${', $'.join(names)}", section.line)
    elif not text.startswith("$"):
        raise _error(
            source, f"Params must start with a $name or 'none', got {text!r}", section.line
        )
    return names, text


def _input_tables(section: _Section, source: str) -> tuple[str, ...]:
    """The table names of an Inputs section: ``name (description), name; note``."""
    listed = _prose(section)
    while _PARENTHESISED.search(listed):
        listed = _PARENTHESISED.sub("", listed)
    names = [item.strip().rstrip(".").strip() for item in listed.partition(";")[0].split(",")]
    if names == ["none"]:
        return ()
    bad = [n for n in names if not re.fullmatch(_IDENTIFIER, n)]
    if bad:
        raise _error(
            source,
            f"Inputs must list table names separated by commas, each optionally followed by a "
            f"description in parentheses (a note may follow a ';'), or say 'none'; "
            f"got {', '.join(repr(b) for b in bad)}",
            section.line,
        )
    return tuple(dict.fromkeys(names))


def _columns(section: _Section, source: str) -> tuple[Column, ...]:
    """The entries of a Columns section: ``name [unit]: description`` lines at one indentation,
    each continued on the lines indented further."""
    if section.text:
        raise _error(
            source,
            f"Columns entries go on their own lines ('--   name [unit]: ...'), not after "
            f"'Columns:' ({section.text!r})",
            section.line,
        )
    if not section.more:
        raise _error(source, "Columns section lists no column", section.line)
    margin = section.more[0].indent
    entries: list[tuple[str, str | None, list[str]]] = []
    for line in section.more:
        if line.indent == margin:
            entry = _COLUMN_ENTRY.match(line.text)
            if not entry:
                raise _error(
                    source,
                    f"bad Columns entry {line.text!r}: expected 'name [unit]: description' "
                    f"(unit optional)",
                    line,
                )
            unit = entry["unit"].strip() if entry["unit"] else None
            entries.append((entry["name"], unit, [entry["description"]]))
        elif line.indent > margin:
            entries[-1][2].append(line.text)
        else:
            raise _error(
                source,
                f"Columns line {line.text!r} is indented less than the first entry "
                f"({margin} spaces after '--'): neither an entry nor a continuation of one",
                line,
            )
    names = [name for name, _, _ in entries]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _error(source, f"column(s) declared twice: {', '.join(repeated)}", section.line)
    return tuple(Column(name, unit, " ".join(text)) for name, unit, text in entries)


def parse_header(text: str, *, source: str = "<sql>") -> ModelHeader:
    """Parse the header of a SQL model.

    Parameters
    ----------
    text : str
        The whole ``.sql`` file; only its leading ``--`` lines are read.
    source : str, optional
        The file, for the messages (``source:line: ...``).

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
    sections = _sections(text, MODEL_SECTIONS, frozenset(), source)
    model_line = _MODEL_LINE.match(_prose(sections["Model"]))
    if not model_line:
        raise _error(
            source,
            f"Model must be 'name' or 'name (note)', got {_prose(sections['Model'])!r}",
            sections["Model"].line,
        )
    grain_text, _, grain_note = _prose(sections["Grain"]).partition(";")
    grain = tuple(part.strip() for part in grain_text.split(","))
    if not all(re.fullmatch(_IDENTIFIER, g) for g in grain):
        raise _error(
            source,
            f"Grain must list column names separated by commas (a note may follow a ';'), "
            f"got {grain_text!r}",
            sections["Grain"].line,
        )
    params, params_note = _params(sections["Params"], source)
    columns = _columns(sections["Columns"], source)
    header = ModelHeader(
        model=model_line["name"],
        title=model_line["title"] or "",
        method=_block(sections["Method"]),
        grain=grain,
        grain_note=grain_note.strip(),
        inputs=_prose(sections["Inputs"]),
        input_tables=_input_tables(sections["Inputs"], source),
        params=params,
        params_note=params_note,
        columns=columns,
    )
    outside = [g for g in header.grain if g not in header.column_names]
    if outside:
        raise _error(
            source, f"Grain column(s) not in Columns: {', '.join(outside)}", sections["Grain"].line
        )
    return header


def parse_check_header(text: str, *, source: str = "<sql>") -> CheckHeader:
    """Parse the header of an invariant query (``checks/*.sql``); as :func:`parse_header`,
    but returns a :class:`CheckHeader` (rule, returned rows, inputs, optional params and
    columns).
    """
    sections = _sections(text, CHECK_SECTIONS, _OPTIONAL_CHECK_SECTIONS, source)
    params = _params(sections["Params"], source)[0] if "Params" in sections else ()
    columns = _columns(sections["Columns"], source) if "Columns" in sections else ()
    return CheckHeader(
        check=_prose(sections["Check"]),
        returns=_prose(sections["Returns"]),
        inputs=_prose(sections["Inputs"]),
        input_tables=_input_tables(sections["Inputs"], source),
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


@lru_cache(maxsize=512)
def query_tables(text: str) -> frozenset[str]:
    """The tables a query reads, from its SQL (parsed with sqlglot, DuckDB dialect).

    Every table a ``FROM`` or ``JOIN`` of any (sub)query names, minus the query's CTEs; table
    functions (``range(...)``, ``read_parquet(...)``) are no tables.

    Parameters
    ----------
    text : str
        One SQL query (comments included or not).

    Returns
    -------
    frozenset of str
        Table names (without schema).

    Raises
    ------
    SqlHeaderError
        sqlglot cannot parse the query.
    """
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as err:
        raise SqlHeaderError(f"sqlglot cannot parse the query: {err}") from err
    tables = set()
    for scope in traverse_scope(tree):
        for source in scope.sources.values():  # a CTE reference is a Scope, a table a Table
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                tables.add(source.name)
    return frozenset(tables)


def check_params(name: str, declared: Iterable[str], text: str) -> None:
    """Assert that a query binds exactly the parameters its header declares.

    Parameters
    ----------
    name : str
        Model or check name (or file), for the message.
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
            f"{name}: header Params do not match the query: "
            f"used but not declared {['$' + p for p in undeclared]}, "
            f"declared but not used {['$' + p for p in unused]}"
        )


def check_tables(name: str, declared: Iterable[str], text: str) -> None:
    """Assert that a header's Inputs name exactly the tables its query reads.

    Parameters
    ----------
    name : str
        Model or check name (or file), for the message.
    declared : iterable of str
        The header's input tables.
    text : str
        The SQL file.

    Raises
    ------
    SqlHeaderError
        The query reads a table the header does not list, or the reverse.
    """
    declared = set(declared)
    try:
        read = query_tables(text)
    except SqlHeaderError as err:
        raise SqlHeaderError(f"{name}: {err}") from err
    if declared != read:
        raise SqlHeaderError(
            f"{name}: header Inputs do not match the tables the query reads: "
            f"read but not listed {sorted(read - declared)}, "
            f"listed but not read {sorted(declared - read)}"
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


def sql_source(name: str, package: str) -> str:
    """The file of a SQL model or check as messages name it (``inventory/engine/sql/x.sql``)."""
    return f"{package.replace('.', '/')}/{name}.sql"


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


def sql_names(package: str) -> list[str]:
    """Names of the ``.sql`` files of a package (models or checks), sorted."""
    files = resources.files(package).iterdir()
    return sorted(f.name.removesuffix(".sql") for f in files if f.name.endswith(".sql"))


def load_model(name: str, *, package: str = SQL_PACKAGE) -> tuple[ModelHeader, str]:
    """Read and parse one SQL model, checking its name, Inputs and Params against the query.

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
        The header is malformed, names another model, or its Inputs or Params differ from the
        query's tables and parameters.
    """
    source = sql_source(name, package)
    text = sql_text(name, package=package)
    header = parse_header(text, source=source)
    if header.model != name:
        raise SqlHeaderError(f"{source}: header names model {header.model!r}")
    check_params(source, header.params, text)
    check_tables(source, header.input_tables, text)
    return header, text


def load_check(name: str, *, package: str = CHECK_PACKAGE) -> tuple[CheckHeader, str]:
    """Read and parse one invariant check, checking its Inputs and Params against the query
    (as :func:`load_model`; a check's header names no model). Returns the header and the text.
    """
    source = sql_source(name, package)
    text = sql_text(name, package=package)
    header = parse_check_header(text, source=source)
    check_params(source, header.params, text)
    check_tables(source, header.input_tables, text)
    return header, text


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
        A header is malformed or does not match its query's tables or parameters.
    """
    return {name: load_model(name, package=package)[0] for name in sql_names(package)}


def check_headers(*, package: str = CHECK_PACKAGE) -> dict[str, CheckHeader]:
    """Parse the header of every invariant query (as :func:`model_headers`, for the checks
    of ``package``, default :data:`CHECK_PACKAGE`).
    """
    return {name: load_check(name, package=package)[0] for name in sql_names(package)}
