"""Monte Carlo draws: one draw per source table row, shared by every zone; truncated, not clipped.

IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3 (Approach 2): correlated inputs must be sampled together. A row
of 2019 Table 5.5 such as "F_LU long-term cultivated, cool temperate/boreal, dry" (0.77 +/-14 %)
serves two climate zones (cool temperate dry and boreal dry); drawing it once per zone made the
zones independent and the national interval too narrow.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.uncertainty import montecarlo

SHARED_ROW = (
    "IPCC 2019 Vol.4 Table 5.5 (2019 updated): Cropland F_LU Long-term cultivated | "
    "Cool temperate/Boreal | Dry"
)


def _spec(mean: float, pct: float, key: str = "row") -> pd.DataFrame:
    sd = float(montecarlo.normal_sd(mean, pct))
    return pd.DataFrame({"source_row": [key], "mean": [mean], "sd": [sd], "df": [np.nan]})


def test_truncated_not_clipped_at_plus_minus_90_pct():
    """Mean 1, U = +/-90 %: sd = 0.9 / 1.959964 = 0.459192, 1 / sd = 2.177738.

    Clipping at 0 puts P(X <= 0) = Phi(-2.177738) = 1.471 % of the draws at exactly 0 and
    moves the mean to 1 x Phi(2.177738) + 0.459192 x phi(2.177738)
    = 0.985287 + 0.459192 x 0.037246 = 1.002390 (+0.24 %). Truncating (redrawing) leaves no
    zeros; its mean is mu + sd x phi(alpha) / (1 - Phi(alpha)), alpha = -2.177738:
    1 + 0.459192 x 0.037246 / 0.985287 = 1.017358 (+1.74 %), the documented cost of keeping
    every factor positive.
    """
    values = montecarlo.draw_source_rows(_spec(1.0, 90.0), n_draws=200_000, seed=1)[1:, 0]
    assert values.min() > 0.0 and not (values == 0.0).any()
    # SE of the mean: 0.45 / sqrt(200 000) = 0.001
    assert values.mean() == pytest.approx(1.017358, abs=0.004)
    assert abs(values.mean() - 1.002390) > 0.01  # not the clipped mean


def test_small_uncertainty_is_plain_normal():
    # 0.77 +/-14 %: sd = 0.77 x 0.14 / 1.959964 = 0.055001; 95 % interval 0.77 +/- 0.1078
    values = montecarlo.draw_source_rows(_spec(0.77, 14.0), n_draws=100_000, seed=2)
    assert values[0, 0] == 0.77  # draw 0 = table value
    low, high = np.quantile(values[1:, 0], [0.025, 0.975])
    assert (low, high) == pytest.approx((0.77 - 0.1078, 0.77 + 0.1078), abs=0.002)


def test_a_row_draws_the_same_values_whatever_else_is_drawn():
    """Each source row has its own stream (seed + row key): a partition of a run that uses only
    some rows gets the same draws for them (engines partitioned by land unit rely on it)."""
    both = pd.concat([_spec(0.77, 14.0, "a"), _spec(1.1, 5.0, "b")], ignore_index=True)
    alone = montecarlo.draw_source_rows(_spec(1.1, 5.0, "b"), n_draws=500, seed=3)
    together = montecarlo.draw_source_rows(both, n_draws=500, seed=3)
    assert np.array_equal(alone[:, 0], together[:, 1])
    other_seed = montecarlo.draw_source_rows(both, n_draws=500, seed=4)
    assert not np.array_equal(together[1:], other_seed[1:])


def _two_zone_areas() -> pd.DataFrame:
    """100 ha of native land in each of two zones, cropland (full tillage, medium) from 2001."""
    rows = [
        {"country": "CAN", "year": year, "climate_zone": zone, "soil_class": "hac",
         "land_use": "native" if year < 2001 else "cropland",
         "management": "not_applicable" if year < 2001 else "full_tillage",
         "input": "not_applicable" if year < 2001 else "medium", "area_ha": 100.0}
        for zone in ("cool_temperate_dry", "boreal_dry")
        for year in range(2000, 2003)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_one_ipcc_row_is_one_draw_in_both_zones():
    result = compute_mineral_inventory(
        _two_zone_areas(), factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    sf = result.stratum_factors
    f_lu = sf[(sf.factor == "F_LU") & (sf.land_use == "cropland")]
    assert sorted(f_lu.climate_zone) == ["boreal_dry", "cool_temperate_dry"]
    assert set(f_lu.source_row) == {SHARED_ROW} and set(f_lu.value) == {0.77}
    draws = montecarlo.factor_draws(sf, n_draws=300, seed=5)
    # two candidates (the table row expanded to both zones), one source row: identical draws
    assert f_lu.factor_id.nunique() == 2
    cool, boreal = (draws[draws.factor_id == fid].value.to_numpy() for fid in f_lu.factor_id)
    assert np.array_equal(cool, boreal) and cool.std() > 0


def _table(shared: bool) -> pd.DataFrame:
    """SOC_REF 50 t C/ha fixed in both zones, F_LU cropland 0.7 +/-20 % from one table row
    (shared) or from one row per zone (independent, the old scheme), other factors 1."""
    rows = []
    for zone in ("cool_temperate_dry", "boreal_dry"):
        rows += [
            ("SOC_REF", zone, "*", "*", 50.0, float("nan"), f"soc {zone}"),
            ("F_LU", zone, "cropland", "*", 0.7, 20.0, "flu" if shared else f"flu {zone}"),
        ]
    rows += [("F_LU", "*", "native", "*", 1.0, float("nan"), "one"),
             ("F_MG", "*", "*", "*", 1.0, float("nan"), "one"),
             ("F_I", "*", "*", "*", 1.0, float("nan"), "one")]  # fmt: skip
    table = pd.DataFrame(
        rows, columns=["factor", "climate_zone", "land_use", "level", "value",
                       "uncertainty_pct", "source_row"],
    )  # fmt: skip
    table = table.assign(country="*", soil_class="*", tier="tier1_default",
                         source="test table", priority=3)  # fmt: skip
    return factors.with_draw_columns(table)


def test_two_zones_national_interval_widens_by_sqrt_two():
    """Each zone: 100 ha x 50 t C/ha x (F_LU - 1) / 20 yr = 250 x (F_LU - 1) t C/yr.

    Shared F_LU row: national = 500 x (F_LU - 1), its 95 % width = 500 x width(F_LU), exactly the
    sum of the two zones' widths. Independent rows: national = 250 x (F1 - 1) + 250 x (F2 - 1),
    sd = 250 x sd(F) x sqrt(2) instead of 500 x sd(F): narrower by 2 / sqrt(2) = 1.4142.
    F_LU = 0.7 +/-20 %: sd = 0.7 x 0.2 / 1.959964 = 0.071430; national 2001 change
    500 x (0.7 - 1) = -150 t C/yr, 95 % width 500 x 2 x 1.959964 x 0.071430 = 140 t C/yr.
    """
    widths, deterministic, f_lu = {}, {}, {}
    for shared in (True, False):
        result = compute_mineral_inventory(
            _two_zone_areas(),
            _table(shared),
            EngineOptions(mc_draws=20_000, seed=11, first_year=2001),
        )
        total = result.stock_change_totals.query("scope == 'national' and year == 2001").iloc[0]
        widths[shared] = total.ci_high - total.ci_low
        deterministic[shared] = total.dC_tc_per_yr
        draws = montecarlo.source_row_draws(result.stratum_factors, n_draws=20_000, seed=11)
        f_lu[shared] = draws[draws.source_row.str.startswith("flu")]
    assert deterministic[True] == deterministic[False] == pytest.approx(-150.0, abs=1e-9)
    shared_f = f_lu[True][f_lu[True].draw > 0].value.to_numpy()
    exact = 500 * (np.quantile(shared_f, 0.975) - np.quantile(shared_f, 0.025))
    assert widths[True] == pytest.approx(exact, rel=1e-9)
    assert widths[True] == pytest.approx(140.0, rel=0.03)
    assert widths[True] / widths[False] == pytest.approx(math.sqrt(2), rel=0.04)


def _bits(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype="float64").view("int64")


def test_draw_intervals_are_duckdbs_quantile_cont_to_the_bit():
    """The 95 % interval computed on a (rows x draws) matrix equals DuckDB's quantile_cont over
    the same draws to the last bit (numpy's linear method does not: it rounds the
    interpolation differently), and the mean equals avg over the draws read in draw order."""
    rng = np.random.default_rng(13)
    con = duckdb.connect()
    con.execute("SET threads = 1")
    for n in (1, 2, 3, 41, 2000):
        scale = 10.0 ** rng.uniform(-3, 8, size=(30, 1))
        samples = rng.normal(size=(30, n + 1)) * scale + 1e6 * rng.normal(size=(30, 1))
        low, high, mean = montecarlo.draw_intervals(samples, con)
        long = pd.DataFrame({"item": np.repeat(np.arange(30), n), "v": samples[:, 1:].ravel()})
        con.register("long_draws", long)
        sql = con.execute(
            "SELECT item, quantile_cont(v, [0.025, 0.975]) AS ci, avg(v) AS m "
            "FROM long_draws GROUP BY item ORDER BY item"
        ).df()
        assert np.array_equal(_bits(low), _bits([ci[0] for ci in sql["ci"]]))
        assert np.array_equal(_bits(high), _bits([ci[1] for ci in sql["ci"]]))
        assert np.array_equal(_bits(mean), _bits(sql["m"]))
        kept = samples.copy()
        again = montecarlo.draw_intervals(samples, con, overwrite=True)
        assert all(
            np.array_equal(_bits(a), _bits(b))
            for a, b in zip(again, (low, high, mean), strict=True)
        )
        assert np.array_equal(samples[:, 0], kept[:, 0])  # draw 0 is never moved
    nothing = montecarlo.draw_intervals(np.ones((4, 1)), con)
    assert all(np.isnan(v).all() and len(v) == 4 for v in nothing)


def test_approach1_intervals_are_the_sql_models():
    """compute_mineral_inventory takes the intervals from the draws in memory; the SQL models
    (stock_change_uncertainty.sql, stock_change_totals.sql) run on the stock_change_draws it
    leaves give the same tables, every number to the last bit but a total's mc_mean (draws
    summed in another order: equal to 1e-15). Two countries, conversions and management
    changes (several categories per total), area uncertainty."""
    crop = [("cropland", "full_tillage" if y < 2000 else "no_tillage", "medium", 100.0, y)
            for y in range(1990, 2006)]  # fmt: skip
    grass = [("grassland", "nominal", "not_applicable", 50.0 + y - 1990, y)
             for y in range(1990, 2006)]  # fmt: skip
    ury = pd.DataFrame(
        [{"country": "URY", "year": y, "climate_zone": "warm_temperate_moist",
          "soil_class": "hac", "land_use": lu, "management": mg, "input": i, "area_ha": a}
         for lu, mg, i, a, y in crop + grass]
    )  # fmt: skip
    areas = pd.concat([ury, _two_zone_areas()], ignore_index=True)
    areas["area_uncertainty_pct"] = np.where(areas["land_use"] == "cropland", 8.0, 15.0)
    con = duckdb.connect()
    result = compute_mineral_inventory(
        areas, factors.factor_table("2019"), EngineOptions(mc_draws=999, seed=17), con=con
    )
    with sql_models.one_thread(con):
        changes, totals = mineral.uncertainty_tables(con, transition_years=20)
    assert changes.groupby(["country", "year"]).size().max() >= 3  # totals of several rows
    assert set(changes["country"]) == {"URY", "CAN"} and changes["ci_low"].notna().all()
    pd.testing.assert_frame_equal(result.stock_changes, changes, check_exact=True)
    exact = [c for c in totals.columns if c != "mc_mean"]
    pd.testing.assert_frame_equal(
        result.stock_change_totals[exact], totals[exact], check_exact=True
    )
    for mine, sql in (
        (result.stock_changes, changes),
        (result.stock_change_totals[exact], totals[exact]),
    ):
        floats = [c for c in sql.columns if sql[c].dtype == "float64"]
        assert np.array_equal(_bits(mine[floats].to_numpy()), _bits(sql[floats].to_numpy()))
    assert result.stock_change_totals.mc_mean.to_numpy() == pytest.approx(
        totals.mc_mean.to_numpy(), rel=1e-15
    )
