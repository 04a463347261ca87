"""Monte Carlo draws held as (quantities x draws) matrices: sums and percentiles to the bit.

The matrices replace long per-draw tables (one row per quantity and draw); their readers must
give the numbers the long tables gave, to the last bit: sums in the order DuckDB's one-thread
``sum`` adds the rows, percentiles with pandas' or DuckDB's own interpolation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral
from inventory.engine.options import EngineOptions
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import indicators, propagation
from inventory.engine.uncertainty import montecarlo
from inventory.engine.uncertainty.draw_matrix import DrawMatrix


def _bits(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype="float64").view("int64")


def test_group_sums_add_in_row_order_by_hand():
    # 0.1 + 0.2 + 0.3 in that order is 0.6000000000000001; 0.3 + 0.2 + 0.1 is 0.6
    keys = pd.DataFrame({"country": ["KEN", "KEN", "KEN", "IRL"], "year": [2000] * 4})
    values = np.array([[0.1, 1.0], [0.2, 2.0], [0.3, 3.0], [5.0, 7.0]])
    sums = DrawMatrix(keys, values).group_sums(["country", "year"])
    assert list(sums.keys["country"]) == ["IRL", "KEN"]  # sorted groups
    assert sums.values[1, 0] == 0.6000000000000001 and sums.values[1, 1] == 6.0
    reverse = DrawMatrix(keys.iloc[[2, 1, 0]], values[[2, 1, 0]]).group_sums(["country"])
    assert reverse.values[0, 0] == 0.6
    assert sums.values[0].tolist() == [5.0, 7.0]


def test_group_sums_equal_duckdbs_one_thread_sum_of_the_long_table():
    rng = np.random.default_rng(11)
    keys = pd.DataFrame({"country": rng.choice(["IRL", "KEN", "URY"], 300),
                         "year": rng.integers(1990, 2000, 300)})  # fmt: skip
    values = rng.normal(size=(300, 51)) * 10.0 ** rng.uniform(-3, 7, size=(300, 1))
    matrix = DrawMatrix(keys, values)
    con = sql_models.connect(threads=1)
    con.register("draws", matrix.long("v", {"draw": "int32", "year": "int64"}))
    expected = con.execute(
        "SELECT country, year, draw, sum(v) AS v FROM draws GROUP BY ALL ORDER BY ALL"
    ).df()
    sums = matrix.group_sums(["country", "year"])
    got = sums.long("v", {"draw": "int32", "year": "int64"}).sort_values(
        ["country", "year", "draw"], ignore_index=True
    )
    assert np.array_equal(_bits(expected["v"]), _bits(got["v"]))


def test_long_and_from_long_round_trip():
    keys = pd.DataFrame({"country": ["KEN", "IRL"], "year": [2001, 2000]})
    matrix = DrawMatrix(keys, np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    long = matrix.long("e", {"draw": "int32", "year": "int64"})
    assert long["draw"].tolist() == [0, 0, 1, 1, 2, 2]  # draw-major
    assert long["country"].tolist() == ["KEN", "IRL"] * 3
    assert long["e"].tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    back = DrawMatrix.from_long(long.sample(frac=1.0, random_state=3), ["country", "year"], "e")
    order = back.keys.sort_values("country").index.to_numpy()
    assert back.values[order].tolist() == [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]]
    assert matrix.n_draws == 2 and not matrix.empty


def test_from_long_refuses_a_missing_or_repeated_draw():
    long = pd.DataFrame({"draw": [0, 1, 0], "country": ["KEN", "KEN", "IRL"], "e": 1.0})
    with pytest.raises(ValueError, match="not one row per key and draw 0..1"):
        DrawMatrix.from_long(long, ["country"], "e")
    twice = pd.DataFrame({"draw": [0, 1, 1, 0], "country": ["KEN"] * 2 + ["IRL"] * 2,
                          "e": 1.0}).replace({"country": {"IRL": "KEN"}})  # fmt: skip
    with pytest.raises(ValueError, match="not one row per key"):
        DrawMatrix.from_long(twice, ["country"], "e")


def test_grouped_quantile_intervals_are_pandas_grouped_quantiles_to_the_bit():
    """Random rows at several N, a row with NaN (skipped by pandas) and one with an
    infinity: the same bits as pandas' grouped quantile over the long table."""
    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 39, 1000, 9999):
        samples = rng.normal(size=(60, n)) * 10.0 ** rng.uniform(-3, 6, size=(60, 1))
        if n > 2:
            samples[3, 1] = np.nan
            samples[4, 0] = np.inf
        long = pd.DataFrame({"row": np.repeat(np.arange(60), n), "v": samples.ravel()})
        expected = long.groupby("row")["v"].quantile(np.array([0.025, 0.975])).unstack()
        low, high = montecarlo.grouped_quantile_intervals(samples)
        assert np.array_equal(_bits(expected[0.025]), _bits(low)), n
        assert np.array_equal(_bits(expected[0.975]), _bits(high)), n


def test_grouped_quantile_intervals_by_hand():
    # 5 draws 10..50: h = 4 x 0.025 = 0.1 -> 10 + 0.1 x 10 = 11; 4 x 0.975 = 3.9 -> 49
    low, high = montecarlo.grouped_quantile_intervals(np.array([[30.0, 10, 50, 20, 40]]))
    assert (low[0], high[0]) == pytest.approx((11.0, 49.0), abs=1e-12)


@pytest.fixture(scope="module")
def approach1():
    """A small Approach 1 inventory with 200 draws on a one-thread connection (so the long
    tables' SQL sums read in their stored order)."""
    areas = pd.DataFrame([
        {"country": "IRL", "year": y, "climate_zone": "cool_temperate_moist", "soil_class": "hac",
         "land_use": lu, "management": m, "input": i, "area_ha": a}
        for y in range(2000, 2006)
        for lu, m, i, a in (("cropland", "full_tillage", "medium", 100.0 + 10 * (y - 2000)),
                            ("cropland", "no_tillage", "medium", 50.0),
                            ("grassland", "nominal", "not_applicable", 300.0 - 10 * (y - 2000)))
    ])  # fmt: skip
    con = sql_models.connect(threads=1)
    result = mineral.compute_mineral_inventory(
        areas,
        factors.factor_table("2019"),
        EngineOptions(first_year=2003, last_year=2005, mc_draws=200, seed=9),
        con=con,
    )
    return con, result


def test_the_engine_keeps_its_draws_as_the_long_view_holds_them(approach1):
    con, result = approach1
    draws = result.category_draws
    assert draws is not None and draws.n_draws == 200
    long = con.execute("SELECT * FROM stock_change_draws").df()
    matrix = DrawMatrix.from_long(long, mineral.CATEGORY_KEYS, "dC_tc_per_yr")
    assert matrix.keys.equals(draws.keys)  # the view's rows within a draw: the matrix's order
    assert np.array_equal(_bits(matrix.values), _bits(draws.values))


def test_fourp1000_intervals_from_the_matrix_equal_the_long_tables(approach1):
    """fourp1000 national intervals from the mineral draws in memory, and from the
    ``stock_change_draws`` view through SQL: the same bits."""
    con, result = approach1
    organic_soils = pd.DataFrame([{
        "country": "IRL", "year": y, "climate_zone": "cool_temperate_moist",
        "land_use": "cropland", "drainage": "drained", "nutrient_status": "not_applicable",
        "drainage_depth": "not_applicable", "area_ha": 20.0 + y - 2000,
    } for y in range(2003, 2006)])  # fmt: skip
    emissions = organic.organic_soil_emissions(con, organic_soils)
    organic_draws = propagation.organic_category_draw_matrix(emissions, n_draws=200, seed=9)
    kwargs = {"target_permille": 4.0, "base_year": 2003, "organic_draws": organic_draws}
    memory = indicators.fourp1000_indicators(
        con, result.inventory_stocks, emissions, mineral_draws=result.category_draws, **kwargs
    )
    sql = indicators.fourp1000_indicators(con, result.inventory_stocks, emissions, **kwargs)
    national = memory["land_use"].eq("all")
    both = memory[national & memory["scope"].eq("mineral_and_organic")]
    mineral_only = memory[national & memory["scope"].eq("mineral")]
    assert (
        both["change_ci_low_tc_per_yr"].to_numpy()
        != mineral_only["change_ci_low_tc_per_yr"].to_numpy()
    ).all()  # organic CO2 counted
    for column in indicators.FOURP1000_INTERVAL_COLUMNS:
        assert memory.loc[national, column].notna().all(), column
        assert np.array_equal(
            _bits(memory[column].to_numpy(dtype="float64", na_value=np.nan)),
            _bits(sql[column].to_numpy(dtype="float64", na_value=np.nan)),
        )


def test_organic_draws_long_table_is_the_matrix():
    keys = pd.DataFrame({"country": ["KEN"], "year": [2000], "category": ["organic_soils_x"],
                         "gas": ["CO2"]})  # fmt: skip
    matrix = DrawMatrix(keys, np.array([[1.5, 2.5]]))
    long = matrix.long("e", {"draw": "int32", "country": "str", "year": "int64",
                             "category": "str", "gas": "str", "e": "float64"})  # fmt: skip
    assert long.to_dict("list") == {"draw": [0, 1], "country": ["KEN"] * 2, "year": [2000] * 2,
                                    "category": ["organic_soils_x"] * 2, "gas": ["CO2"] * 2,
                                    "e": [1.5, 2.5]}  # fmt: skip
