"""The inventory stock S(y) the reported changes imply, and its identity check (Eq. 2.25).

Case: 1 ha of native land, warm temperate moist HAC (SOC_REF 2019 = 64 t C/ha, Table 2.3), in
2000; full-tillage, medium-input cropland from 2001 on (F_LU 0.69, Table 5.5): 44.16 t C/ha.
D = 20. dC(2001 .. 2020) = (44.16 - 64) / 20 = -0.992 t C/yr, then 0.

The equilibrium stock (soc_stocks.stock_tc) jumps to 44.16 in 2001; the inventory stock
S(y) = mean of the equilibrium stocks of y-19 .. y (before 2000: the 2000 state) falls by 0.992
a year: S(2000) = 64, S(2001) = (19 x 64 + 44.16) / 20 = 63.008,
S(2005) = (15 x 64 + 5 x 44.16) / 20 = 59.04, S(2020) = 44.16 = S(2024).
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.engine import invariants, sql_models
from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.reporting_tables import indicators

NATIVE, CROP = 64.0, 64.0 * 0.69  # t C/ha


def _conversion() -> pd.DataFrame:
    rows = [
        {"country": "URY", "year": y, "climate_zone": "warm_temperate_moist", "soil_class": "hac",
         "land_use": "native" if y == 2000 else "cropland",
         "management": "not_applicable" if y == 2000 else "full_tillage",
         "input": "not_applicable" if y == 2000 else "medium", "area_ha": 1.0}
        for y in range(2000, 2025)
    ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def converted():
    con = sql_models.connect()
    result = compute_mineral_inventory(
        _conversion(), factors.factor_table("2019"), EngineOptions(mc_draws=0), con=con
    )
    return result, con


def _row(frame: pd.DataFrame, year: int, land_use: str = "all") -> pd.Series:
    rows = frame[(frame.year == year) & (frame.land_use == land_use)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("year", "stock", "prev"),
    [
        (2000, 64.0, 64.0),
        (2001, 63.008, 64.0),  # (19 x 64 + 44.16) / 20
        (2005, 59.04, 59.04 + 0.992),  # (15 x 64 + 5 x 44.16) / 20
        (2020, CROP, CROP + 0.992),  # all 20 window years converted
        (2024, CROP, CROP),
    ],
)
def test_national_inventory_stock_is_the_d_year_mean(converted, year, stock, prev):
    result, _ = converted
    row = _row(result.inventory_stocks, year)
    assert (row.stock_tc, row.prev_stock_tc) == pytest.approx((stock, prev), abs=1e-9)
    assert row.stock_tc - row.prev_stock_tc == pytest.approx(row.change_tc, abs=1e-12)
    # the equilibrium stock jumps at once: 44.16 from 2001 on
    assert row.equilibrium_stock_tc == pytest.approx(NATIVE if year == 2000 else CROP)


def test_converted_land_carries_its_stock(converted):
    """2001: native loses its 1 ha and gives its 64 t C to cropland (transfer), which then
    loses 0.992: S_cropland(2001) = 0 + 64 - 0.992 = 63.008, S_native(2001) = 64 - 64 = 0."""
    stocks = converted[0].inventory_stocks
    crop, native = _row(stocks, 2001, "cropland"), _row(stocks, 2001, "native")
    assert (crop.transfer_tc, crop.change_tc) == pytest.approx((64.0, -0.992), abs=1e-9)
    assert crop.stock_tc == pytest.approx(63.008, abs=1e-9)
    assert (native.transfer_tc, native.stock_tc, native.area_ha) == pytest.approx((-64, 0, 0))
    assert crop.converted_area_ha == 1.0
    assert _row(stocks, 2010, "cropland").stock_tc == pytest.approx(64 - 10 * 0.992, abs=1e-9)


def test_identity_check_passes_and_catches_a_broken_stock(converted):
    result, con = converted
    sql_models.register(con, {"inventory_stocks": result.inventory_stocks})
    assert sql_models.run_check(con, "inventory_stock_identity").empty
    broken = result.inventory_stocks.copy()
    mask = (broken.year == 2005) & (broken.land_use == "all")
    broken.loc[mask, "stock_tc"] += 0.5  # 0.5 t C that no reported change explains
    sql_models.register(con, {"inventory_stocks": broken})
    found = sql_models.run_check(con, "inventory_stock_identity")
    # 2005 no longer steps from 2004 by dC, 2006 no longer chains from it, and the land uses
    # no longer add up to the national stock in 2005
    assert set(zip(found.year, found.rule, strict=True)) == {
        (2005, "stock_step"),
        (2006, "chain"),
        (2005, "land_use_sum"),
    }
    wrong_change = result.stock_change_totals.copy()
    wrong_change.loc[wrong_change.year == 2003, "dC_tc_per_yr"] -= 1.0
    sql_models.register(con, {"inventory_stocks": result.inventory_stocks,
                              "stock_change_totals": wrong_change})  # fmt: skip
    found = sql_models.run_check(con, "inventory_stock_identity")
    assert set(found.rule) == {"reported_change"} and set(found.year) == {2003}


def test_fourp1000_rate_refers_to_the_stock_the_land_holds(converted):
    """The 4p1000 rate of the conversion: -0.992 t C/yr on the 64 t C the soil holds in 2000 is
    -15.5 per mille, and the 4 per mille target 0.004 x 64 = 0.256 t C/yr. Against the
    previous year's equilibrium stock (44.16) it read -22.5 per mille and 0.177 t C/yr.
    2019: S(2018) = 64 - 18 x 0.992 = 46.144: -0.992 / 46.144 = -21.498 per mille, target
    0.184576; against the base year 2000 (S = 64) still -15.5 per mille."""
    result, con = converted
    out = indicators.fourp1000_indicators(con, result.inventory_stocks, _no_organic())
    out = out[(out.land_use == "all") & (out.scope == "mineral")].set_index("year")
    assert out.loc[2001, "rate_permille"] == pytest.approx(-15.5, abs=1e-9)
    assert out.loc[2001, "target_tc"] == pytest.approx(0.256, abs=1e-12)
    assert out.loc[2019, "rate_permille"] == pytest.approx(-0.992 / 46.144 * 1000, abs=1e-9)
    assert out.loc[2019, "target_tc"] == pytest.approx(0.184576, abs=1e-12)
    assert out.loc[2001:2020, "rate_vs_base_permille"].tolist() == pytest.approx([-15.5] * 20)
    assert out.loc[2001:2020, "base_stock_tc"].eq(64.0).all()


def test_production_checks_catch_a_broken_stock_identity(converted):
    """The run's invariant mechanism runs the identity check (on the tables its SQL reads) and
    reports the broken years: S(2010) lowered by 3 t C breaks S(2010) - S(2009) = dC(2010) and
    S(2011) - S(2010) = dC(2011)."""
    result, _ = converted
    broken = result.inventory_stocks.copy()
    broken.loc[broken.year == 2010, "stock_tc"] -= 3.0
    tables = {"inventory_stocks": broken, "stock_change_totals": result.stock_change_totals}
    outcome = {r.name: r for r in invariants.run_invariants(tables)}
    assert outcome["inventory_stock_identity"].rows > 0
    assert not outcome["inventory_stock_identity"].passed
    clean = {"inventory_stocks": result.inventory_stocks,
             "stock_change_totals": result.stock_change_totals}  # fmt: skip
    assert {r.name: r.passed for r in invariants.run_invariants(clean)}["inventory_stock_identity"]


def _no_organic() -> pd.DataFrame:
    return pd.DataFrame({
        "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
        "land_use": pd.Series(dtype="str"), "component": pd.Series(dtype="str"),
        "emission": pd.Series(dtype="float64"),
    })  # fmt: skip
