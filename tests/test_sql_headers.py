"""SQL headers: every model's and check's header parses and matches its query.

The parser (inventory.engine.sql_headers) reads the ``--`` header of each ``.sql`` file; the
loader refuses a header whose Params or Inputs differ from what the query binds and reads (the
tables read are taken from the SQL with sqlglot). These tests check every header statically,
the parser's layout rules (indentation is relative, errors name the file and the line) and that
a drifted header is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sql_packages import TOTALS_SQL, sql_package
from sql_packages import header as _header

from inventory.engine import sql_headers
from inventory.engine.sql_headers import (
    Column,
    SqlHeaderError,
    check_columns,
    check_params,
    check_tables,
    load_check,
    load_model,
    parse_check_header,
    parse_header,
    query_params,
    query_tables,
)

SQL_DIR = Path(sql_headers.__file__).parent / "sql"
MODEL_NAMES = sorted(p.stem for p in SQL_DIR.glob("*.sql"))
CHECK_NAMES = sorted(p.stem for p in (SQL_DIR / "checks").glob("*.sql"))


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A temporary package of SQL files: write(name, text) -> package name."""
    return sql_package(tmp_path, monkeypatch)


# -- every header of the package ----------------------------------------------------------


def test_every_model_has_a_valid_header():
    headers = sql_headers.model_headers()
    assert sorted(headers) == MODEL_NAMES
    assert len(headers) >= 20
    for name, header in headers.items():
        text = (SQL_DIR / f"{name}.sql").read_text()
        assert header.model == name
        assert header.method and header.inputs, name
        assert set(header.grain) <= set(header.column_names), name
        assert set(header.params) == set(query_params(text)), name
        assert set(header.input_tables) == query_tables(text), name
        for column in header.columns:
            assert column.description, (name, column.name)
            assert column.unit is None or column.unit.strip() == column.unit != "", name
        # the numbers of a published table carry a unit; codes and text need none
        for column in header.columns:
            if re.search(r"_(ha|tc|t|co2e|pct|per_yr|per_ha)$", column.name):
                assert column.unit, (name, column.name)


def test_every_check_has_a_valid_header():
    headers = sql_headers.check_headers()
    assert sorted(headers) == CHECK_NAMES
    for name, header in headers.items():
        text = (SQL_DIR / "checks" / f"{name}.sql").read_text()
        assert header.check and header.returns and header.inputs, name
        assert "empty = pass" in header.returns, name
        assert header.params == query_params(text)
        assert set(header.input_tables) == query_tables(text), name


def test_method_keeps_citations_and_layout():
    header = sql_headers.model_headers()["soc_stocks"]
    assert header.method.startswith("IPCC 2006 Vol.4 Ch.2 Eq. 2.25")
    assert "\nSOC(y) = SOC_REF(c,s) x F_LU x F_MG x F_I x A(y)" in header.method
    assert header.columns[1] == Column("year", "yr", "inventory year")
    assert header.input_tables == ("land_areas", "stratum_factors")
    stocks = sql_headers.model_headers()["stock_changes"]
    assert stocks.title == "Approach 1: areas by stratum and year"
    dco2 = dict((c.name, c) for c in stocks.columns)["dCO2_t_per_yr"]
    assert dco2.unit == "t CO2/yr" and "+ = emission" in dco2.description


def test_inputs_note_after_a_semicolon_is_no_table():
    """A ';' inside a description's parentheses is prose; after the list it starts the note."""
    headers = sql_headers.model_headers()
    assert headers["crt_land_transition_matrix"].input_tables == (
        "land_transitions", "crt_land_uses",
    )  # fmt: skip
    assert headers["stock_change_totals"].input_tables == ("stock_change_draws",)


# -- the parser ---------------------------------------------------------------------------


def test_parse_header_reads_every_section():
    header = parse_header(TOTALS_SQL)
    assert header.model == "totals" and header.title == ""
    assert header.method == (
        "sum of the areas per country (no IPCC equation).\nA second line of method."
    )
    assert header.grain == ("country",) and header.grain_note == "one row per country."
    assert header.inputs == "areas (country, year, area_ha)."
    assert header.input_tables == ("areas",)
    assert header.params == ("min_year",)
    assert header.columns == (
        Column("country", None, "ISO 3166-1 alpha-3 country code"),
        Column("area_ha", "ha", "area summed over the years from $min_year on"),
        Column("n_years", "count", "years summed"),
    )
    assert header.column_names == ("country", "area_ha", "n_years")


def test_indentation_is_relative_not_counted():
    """Any indentation deeper than a section's continues it; the Columns entries share the
    first entry's indentation and continue deeper: 4/6/8 spaces read as 2/2/4 do."""
    deeper = (
        TOTALS_SQL.replace("--   A second", "--       A second")
        .replace("--   country:", "--      country:")
        .replace("--   area_ha", "--      area_ha")
        .replace("--     from $min_year", "--               from $min_year")
        .replace("--   n_years", "--      n_years")
    )
    assert deeper != TOTALS_SQL
    assert parse_header(deeper) == parse_header(TOTALS_SQL)
    flush = "\n".join(line.replace("-- ", "--", 1) for line in TOTALS_SQL.splitlines())
    assert parse_header(flush) == parse_header(TOTALS_SQL)  # "--Model:" with "--  " below


def test_method_layout_is_kept_beyond_the_least_indented_line():
    text = _header(**{"--   A second": "--     x = a\n--       + b\n--     y"})
    assert parse_header(text).method == (
        "sum of the areas per country (no IPCC equation).\nx = a\n  + b\ny"
    )


def test_blank_comment_lines_in_the_header_are_skipped():
    text = TOTALS_SQL.replace("-- Grain:", "--\n-- Grain:")
    assert parse_header(text) == parse_header(TOTALS_SQL)


def test_params_none():
    text = _header(**{"-- Params:": "-- Params: none (nothing to bind)."})
    assert parse_header(text).params == ()


def test_inputs_none_and_note():
    assert parse_header(_header(**{"-- Inputs:": "-- Inputs: none."})).input_tables == ()
    text = _header(**{"-- Inputs:": "-- Inputs: areas (a, b; c), other; from the lake, d."})
    assert parse_header(text).input_tables == ("areas", "other")


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"-- Grain:": "DROP"}, "missing section"),
        ({"-- Inputs:": "DROP", "-- Params:": "-- Params: $min_year\n-- Inputs: areas"}, "order"),
        ({"-- Inputs:": "-- Inputs: a\n-- Inputs: b"}, "repeated"),
        ({"--   A second": "-- A second line, not indented"}, "continuation"),
        ({"-- Grain:": "-- Grain: one row per (country)"}, "Grain must list"),
        ({"-- Grain:": "-- Grain: country, year"}, "not in Columns: year"),
        ({"-- Inputs:": "-- Inputs: the table of areas"}, "Inputs must list"),
        ({"-- Params:": "-- Params: the minimum year"}, "Params must start"),
        ({"-- Params:": "-- Params: none, but $min_year"}, "Params says 'none'"),
        ({"-- Columns:": "-- Columns: country, area_ha, n_years"}, "own lines"),
        ({"--   n_years": "--   n_years (count): years summed"}, "bad Columns entry"),
        ({"--   n_years": "--   n_years [count] years summed"}, "bad Columns entry"),
        ({"--   country": "--    country: one space deeper than the next entries"},
         "indented less than the first entry"),
        ({"--   n_years": "--   area_ha [ha]: declared twice"}, "declared twice"),
        ({"-- Model:": "-- Model: totals, the model"}, "Model must be"),
        ({"--   A second": "--  \tA tab"}, "tab in the indentation"),
    ],
)  # fmt: skip
def test_parse_header_rejects(replace, message):
    with pytest.raises(SqlHeaderError, match=re.escape(message)):
        parse_header(_header(**replace))


@pytest.mark.parametrize(
    ("replace", "line"),
    [
        ({"--   A second": "-- A second line, not indented"}, 3),
        ({"-- Grain:": "-- Grain: country, year"}, 4),
        ({"-- Inputs:": "-- Inputs: the table of areas"}, 5),
        ({"-- Params:": "-- Params: the minimum year"}, 6),
        ({"--   n_years": "--   n_years [count] years summed"}, 11),
    ],
)
def test_errors_name_the_file_and_the_line(replace, line):
    with pytest.raises(SqlHeaderError, match=rf"^sql/totals\.sql:{line}: "):
        parse_header(_header(**replace), source="sql/totals.sql")


def test_parse_header_needs_a_header():
    with pytest.raises(SqlHeaderError, match="no header"):
        parse_header("SELECT 1\n")


def test_parse_check_header():
    text = (
        "-- Check: areas are positive\n"
        "--   (continued).\n"
        "-- Returns: the offending rows; empty = pass.\n"
        "-- Inputs: areas.\n"
        "SELECT * FROM areas WHERE area_ha <= 0\n"
    )
    header = parse_check_header(text)
    assert header.check == "areas are positive (continued)."
    assert header.input_tables == ("areas",)
    assert header.params == () and header.columns == ()
    with pytest.raises(SqlHeaderError, match="missing section"):
        parse_check_header(text.replace("-- Inputs: areas.\n", ""))


# -- the query: parameters and tables -----------------------------------------------------


def test_query_params_skip_comments_and_strings():
    assert query_params(TOTALS_SQL) == ("min_year",)
    assert query_params("SELECT $a /* $b */, '$c', \"$d\" -- $e\n, $f") == ("a", "f")


@pytest.mark.parametrize(
    ("query", "tables"),
    [
        (TOTALS_SQL, {"areas"}),
        ("WITH a AS (SELECT * FROM b) SELECT * FROM a JOIN c USING (k)", {"b", "c"}),
        ("SELECT * FROM t ANTI JOIN v USING (x) WHERE x IN (SELECT y FROM u)", {"t", "u", "v"}),
        ("SELECT (SELECT max(z) FROM w) FROM main.t2", {"w", "t2"}),
        ("SELECT * FROM range(10), read_parquet('x.parquet'), unnest([1]) AS u (x)", set()),
        ("WITH r (a) AS (VALUES (1)) SELECT * FROM r", set()),
    ],
)
def test_query_tables_are_the_tables_read_minus_ctes(query, tables):
    assert query_tables(query) == frozenset(tables)


def test_query_tables_refuses_sql_it_cannot_parse():
    with pytest.raises(SqlHeaderError, match="sqlglot cannot parse"):
        query_tables("SELECT * FROM (")


def test_check_params():
    check_params("totals", ["min_year"], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"used but not declared \['\$min_year'\]"):
        check_params("totals", [], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"declared but not used \['\$max_year'\]"):
        check_params("totals", ["min_year", "max_year"], TOTALS_SQL)


def test_check_tables():
    check_tables("totals", ["areas"], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"read but not listed \['areas'\]"):
        check_tables("totals", [], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"listed but not read \['other'\]"):
        check_tables("totals", ["areas", "other"], TOTALS_SQL)


def test_check_columns_names_missing_unexpected_and_order():
    check_columns("m", ["a", "b"], ["a", "b"])
    with pytest.raises(SqlHeaderError, match=r"'m'.*missing \['b'\], unexpected \['c'\]"):
        check_columns("m", ["a", "b"], ["a", "c"])
    with pytest.raises(SqlHeaderError, match="another order"):
        check_columns("m", ["a", "b"], ["b", "a"])


# -- loading a file: the header must match the query --------------------------------------


def test_load_model_refuses_inputs_that_drift_from_the_query(package):
    pkg = package("totals", _header(**{"-- Inputs:": "-- Inputs: areas, area_history."}))
    with pytest.raises(SqlHeaderError, match=(
        rf"^{pkg}/totals\.sql: header Inputs .* listed but not read \['area_history'\]"
    )):  # fmt: skip
        load_model("totals", package=pkg)
    pkg = package("renamed", TOTALS_SQL.replace("-- Model: totals", "-- Model: renamed")
                  .replace("FROM areas", "FROM areas_v2"))  # fmt: skip
    with pytest.raises(SqlHeaderError, match=r"read but not listed \['areas_v2'\]"):
        load_model("renamed", package=pkg)


def test_load_errors_name_the_file(package):
    pkg = package("totals", _header(**{"-- Grain:": "-- Grain: country, year"}))
    with pytest.raises(SqlHeaderError, match=rf"^{pkg}/totals\.sql:4: Grain column"):
        load_model("totals", package=pkg)


def test_load_check_refuses_inputs_that_drift_from_the_query(package):
    check = (
        "-- Check: areas are positive.\n"
        "-- Returns: the offending rows; empty = pass.\n"
        "-- Inputs: areas.\n"
        "SELECT * FROM area_table WHERE area_ha <= 0\n"
    )
    pkg = package("positive", check)
    with pytest.raises(SqlHeaderError, match=r"positive\.sql: header Inputs .*\['area_table'\]"):
        load_check("positive", package=pkg)
