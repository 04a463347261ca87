"""SQL model headers: every model's header parses and matches its query and its result.

The runner (inventory.engine.sql_models) asserts on every run that a model's result has the
columns of its header, in order, and that its query binds exactly the header's Params; these
tests check every header statically and show that a drifted header is caught.
"""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path

import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.sql_models import (
    Column,
    SqlHeaderError,
    check_columns,
    check_params,
    parse_check_header,
    parse_header,
    query_params,
    run_check,
    run_model,
)

SQL_DIR = Path(sql_models.__file__).parent / "sql"
MODEL_NAMES = sorted(p.stem for p in SQL_DIR.glob("*.sql"))
CHECK_NAMES = sorted(p.stem for p in (SQL_DIR / "checks").glob("*.sql"))

TOTALS_SQL = """\
-- Model: totals
-- Method: sum of the areas per country (no IPCC equation).
--   A second line of method.
-- Grain: country; one row per country.
-- Inputs: areas (country, year, area_ha).
-- Params: $min_year (yr, first year summed).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   area_ha [ha]: area summed over the years
--     from $min_year on
--   n_years [count]: years summed
SELECT country, sum(area_ha) AS area_ha, count(*) AS n_years  -- $not_a_param in a comment
FROM areas
WHERE year >= $min_year AND country <> '$not_a_param_either'
GROUP BY country
ORDER BY country
"""


def _header(**replace: str) -> str:
    """TOTALS_SQL with header lines replaced (key: a line prefix -> its new text)."""
    lines = TOTALS_SQL.splitlines()
    for prefix, new in replace.items():
        lines = [new if line.startswith(prefix) else line for line in lines]
    return "\n".join(line for line in lines if line != "DROP") + "\n"


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A temporary package of SQL files: write(name, text) -> package name."""
    name = f"sqlhdr_{uuid.uuid4().hex}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()

    def write(model: str, text: str) -> str:
        (root / f"{model}.sql").write_text(text)
        return name

    return write


@pytest.fixture
def con():
    con = sql_models.connect()
    sql_models.register(con, {"areas": pd.DataFrame({
        "country": ["URY", "URY", "KEN"], "year": [2000, 2001, 2001],
        "area_ha": [1.0, 2.0, 5.0],
    })})  # fmt: skip
    return con


# -- every header of the package ----------------------------------------------------------


def test_every_model_has_a_valid_header():
    headers = sql_models.model_headers()
    assert sorted(headers) == MODEL_NAMES
    assert len(headers) >= 20
    for name, header in headers.items():
        text = (SQL_DIR / f"{name}.sql").read_text()
        assert header.model == name
        assert header.method and header.inputs, name
        assert set(header.grain) <= set(header.column_names), name
        assert set(header.params) == set(query_params(text)), name
        for column in header.columns:
            assert column.description, (name, column.name)
            assert column.unit is None or column.unit.strip() == column.unit != "", name
        # the numbers of a published table carry a unit; codes and text need none
        for column in header.columns:
            if re.search(r"_(ha|tc|t|co2e|pct|per_yr|per_ha)$", column.name):
                assert column.unit, (name, column.name)


def test_every_check_has_a_valid_header():
    headers = sql_models.check_headers()
    assert sorted(headers) == CHECK_NAMES
    for name, header in headers.items():
        assert header.check and header.returns and header.inputs, name
        assert "empty = pass" in header.returns, name
        assert header.params == query_params((SQL_DIR / "checks" / f"{name}.sql").read_text())


def test_method_keeps_citations_and_layout():
    header = sql_models.model_headers()["soc_stocks"]
    assert header.method.startswith("IPCC 2006 Vol.4 Ch.2 Eq. 2.25")
    assert "\nSOC(y) = SOC_REF(c,s) x F_LU x F_MG x F_I x A(y)" in header.method
    assert header.columns[1] == Column("year", "yr", "inventory year")
    stocks = sql_models.model_headers()["stock_changes"]
    assert stocks.title == "Approach 1: areas by stratum and year"
    dco2 = dict((c.name, c) for c in stocks.columns)["dCO2_t_per_yr"]
    assert dco2.unit == "t CO2/yr" and "+ = emission" in dco2.description


# -- the parser ---------------------------------------------------------------------------


def test_parse_header_reads_every_section():
    header = parse_header(TOTALS_SQL)
    assert header.model == "totals" and header.title == ""
    assert header.method == (
        "sum of the areas per country (no IPCC equation).\nA second line of method."
    )
    assert header.grain == ("country",) and header.grain_note == "one row per country."
    assert header.inputs == "areas (country, year, area_ha)."
    assert header.params == ("min_year",)
    assert header.columns == (
        Column("country", None, "ISO 3166-1 alpha-3 country code"),
        Column("area_ha", "ha", "area summed over the years from $min_year on"),
        Column("n_years", "count", "years summed"),
    )
    assert header.column_names == ("country", "area_ha", "n_years")


def test_params_none():
    text = _header(**{"-- Params:": "-- Params: none (nothing to bind)."})
    assert parse_header(text).params == ()


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"-- Grain:": "DROP"}, "missing section"),
        ({"-- Inputs:": "DROP", "-- Params:": "-- Params: $min_year\n-- Inputs: areas"}, "order"),
        ({"-- Inputs:": "-- Inputs: a\n-- Inputs: b"}, "repeated"),
        ({"--   A second": "-- A second line, not indented"}, "continuation"),
        ({"-- Grain:": "-- Grain: one row per (country)"}, "Grain must list"),
        ({"-- Grain:": "-- Grain: country, year"}, "not in Columns: year"),
        ({"-- Params:": "-- Params: the minimum year"}, "Params must start"),
        ({"-- Params:": "-- Params: none, but $min_year"}, "Params says 'none'"),
        ({"-- Columns:": "-- Columns: country, area_ha, n_years"}, "own lines"),
        ({"--   n_years": "--   n_years (count): years summed"}, "bad Columns entry"),
        ({"--   n_years": "--   n_years [count] years summed"}, "bad Columns entry"),
        ({"--   n_years": "--    n_years [count]: one space too deep"}, "neither an entry"),
        ({"--   n_years": "--   area_ha [ha]: declared twice"}, "declared twice"),
        ({"-- Model:": "-- Model: totals, the model"}, "Model must be"),
    ],
)
def test_parse_header_rejects(replace, message):
    with pytest.raises(SqlHeaderError, match=re.escape(message)):
        parse_header(_header(**replace))


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
    assert header.params == () and header.columns == ()
    with pytest.raises(SqlHeaderError, match="missing section"):
        parse_check_header(text.replace("-- Inputs: areas.\n", ""))


def test_query_params_skip_comments_and_strings():
    assert query_params(TOTALS_SQL) == ("min_year",)
    assert query_params("SELECT $a /* $b */, '$c', \"$d\" -- $e\n, $f") == ("a", "f")


def test_check_params():
    check_params("totals", ["min_year"], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"used but not declared \['\$min_year'\]"):
        check_params("totals", [], TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match=r"declared but not used \['\$max_year'\]"):
        check_params("totals", ["min_year", "max_year"], TOTALS_SQL)


def test_check_columns_names_missing_unexpected_and_order():
    check_columns("m", ["a", "b"], ["a", "b"])
    with pytest.raises(SqlHeaderError, match=r"'m'.*missing \['b'\], unexpected \['c'\]"):
        check_columns("m", ["a", "b"], ["a", "c"])
    with pytest.raises(SqlHeaderError, match="another order"):
        check_columns("m", ["a", "b"], ["b", "a"])


# -- the runner on a tiny DuckDB table ----------------------------------------------------


@pytest.mark.parametrize("into", [None, "totals_table"])
def test_run_model_accepts_a_matching_header(package, con, into):
    pkg = package("totals", TOTALS_SQL)
    result = run_model(con, "totals", {"min_year": 2001, "unused": 1}, into=into, package=pkg)
    if into:
        result = con.execute(f"SELECT * FROM {into}").df()
    assert list(result.columns) == ["country", "area_ha", "n_years"]
    assert result.set_index("country")["area_ha"].to_dict() == {"KEN": 5.0, "URY": 2.0}


@pytest.mark.parametrize("into", [None, "totals_table"])
def test_run_model_rejects_a_drifted_header(package, con, into):
    drifted = _header(**{"--   n_years": "--   n_rows [count]: years summed"})
    pkg = package("totals", drifted)
    with pytest.raises(
        SqlHeaderError, match=r"'totals'.*missing \['n_rows'\], unexpected \['n_years'\]"
    ):
        run_model(con, "totals", {"min_year": 2001}, into=into, package=pkg)


def test_run_model_rejects_reordered_columns(package, con):
    reordered = TOTALS_SQL.replace(
        "--   area_ha [ha]: area summed over the years\n--     from $min_year on\n", ""
    ).replace("--   n_years [count]: years summed\n",
              "--   n_years [count]: years summed\n--   area_ha [ha]: area summed\n")  # fmt: skip
    pkg = package("totals", reordered)
    with pytest.raises(SqlHeaderError, match="another order"):
        run_model(con, "totals", {"min_year": 2001}, package=pkg)


def test_run_model_rejects_params_drift_before_running(package, con):
    pkg = package("totals", _header(**{"-- Params:": "-- Params: none."}))
    with pytest.raises(SqlHeaderError, match=r"used but not declared \['\$min_year'\]"):
        run_model(con, "totals", {"min_year": 2001}, into="never_created", package=pkg)
    assert "never_created" not in set(con.execute("SHOW TABLES").df()["name"])


def test_run_model_rejects_a_header_of_another_model(package, con):
    pkg = package("other", TOTALS_SQL)
    with pytest.raises(SqlHeaderError, match="header names model 'totals'"):
        run_model(con, "other", {"min_year": 2001}, package=pkg)


def test_run_check_asserts_declared_columns(package, con):
    check = (
        "-- Check: areas are positive.\n"
        "-- Returns: the offending rows; empty = pass.\n"
        "-- Inputs: areas.\n"
        "-- Columns:\n"
        "--   country: ISO 3166-1 alpha-3 country code\n"
        "--   area_ha [ha]: the offending area\n"
        "SELECT country, area_ha FROM areas WHERE area_ha <= 0\n"
    )
    pkg = package("positive", check)
    assert run_check(con, "positive", package=pkg).empty
    pkg = package("positive_drifted", check.replace("SELECT country, area_ha", "SELECT *"))
    with pytest.raises(SqlHeaderError, match=r"unexpected \['year'\]"):
        run_check(con, "positive_drifted", package=pkg)
