"""The SQL model runner: a model's result must match its header; models run in graph order.

The runner (inventory.engine.sql_models) asserts on every run that a model's query binds exactly
the header's Params and that its result has the columns of its header, in order;
:func:`run_models` materialises target tables and the models upstream of them in the order of
the model graph (the tables the queries read), skipping the tables the connection holds.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sql_packages import TOTALS_SQL, model, sql_package
from sql_packages import header as _header

from inventory.engine import sql_models
from inventory.engine.sql_graph import SqlGraphError, Step
from inventory.engine.sql_headers import SqlHeaderError
from inventory.engine.sql_models import run_check, run_model, run_models


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A temporary package of SQL files: write(name, text) -> package name."""
    return sql_package(tmp_path, monkeypatch)


@pytest.fixture
def con():
    con = sql_models.connect()
    sql_models.register(con, {"areas": pd.DataFrame({
        "country": ["URY", "URY", "KEN"], "year": [2000, 2001, 2001],
        "area_ha": [1.0, 2.0, 5.0],
    })})  # fmt: skip
    return con


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


# -- run_models: the graph's order ---------------------------------------------------------


@pytest.fixture
def chain(package):
    """Models: b reads a, c reads a and b, d reads c; a reads the input ``src``."""
    package("a", model("a", ["src"]))
    package("b", model("b", ["a"]))
    package("c", model("c", ["a", "b"]))
    return package("d", model("d", ["c"]))


def _counts(con, table):
    return sorted(con.execute(f"SELECT n FROM {table}").df()["n"])


def test_run_models_runs_the_upstream_models_in_graph_order(chain, con):
    sql_models.register(con, {"src": pd.DataFrame({"x": [1, 2, 3]})})
    steps = run_models(con, ["d"], package=chain)
    assert steps == [Step("a", "a"), Step("b", "b"), Step("c", "c"), Step("d", "d")]
    assert _counts(con, "a") == [3] and _counts(con, "b") == [1]
    assert _counts(con, "c") == [1, 1]  # one row in a, one in b
    assert _counts(con, "d") == [2]


def test_run_models_uses_the_tables_the_connection_holds(chain, con):
    """A table already there is not made again (here: a and b given), a target always is."""
    sql_models.register(con, {"a": pd.DataFrame({"n": [7, 8]}), "b": pd.DataFrame({"n": [9]})})
    assert run_models(con, ["d"], package=chain) == [Step("c", "c"), Step("d", "d")]
    assert _counts(con, "c") == [1, 2]
    con.execute("CREATE OR REPLACE TABLE d AS SELECT 0 AS n")
    assert run_models(con, ["d"], package=chain) == [Step("d", "d")]  # c is there now
    assert _counts(con, "d") == [2]


def test_run_models_makes_a_table_with_another_model(chain, con):
    """``producers``: the table c is made by the model b (a table not named as its model)."""
    sql_models.register(con, {"src": pd.DataFrame({"x": [1]})})
    steps = run_models(con, ["d"], producers={"c": "b"}, package=chain)
    assert steps == [Step("a", "a"), Step("b", "c"), Step("d", "d")]
    assert _counts(con, "d") == [1] and "b" not in sql_models.tables_on(con)


def test_run_models_refuses_a_missing_input_before_running_anything(chain, con):
    with pytest.raises(SqlGraphError, match=r"a reads src"):
        run_models(con, ["d"], package=chain)
    assert not {"a", "b", "c", "d"} & sql_models.tables_on(con)


def test_run_models_binds_each_model_its_params(package, con):
    pkg = package("totals", TOTALS_SQL)
    package("count_totals", model("count_totals", ["totals"]))
    steps = run_models(con, ["count_totals"], {"min_year": 2001, "unused": 0}, package=pkg)
    assert [s.model for s in steps] == ["totals", "count_totals"]
    totals = con.execute("SELECT * FROM totals ORDER BY country").df()
    assert totals.set_index("country")["area_ha"].to_dict() == {"KEN": 5.0, "URY": 2.0}
    assert _counts(con, "count_totals") == [2]
