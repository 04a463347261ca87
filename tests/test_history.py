"""Issue 21 item 3: land areas before the first record (IPCC 2006 Vol.1 Ch.5), flagged.

A 3-year series with a known trend, D = 3: the areas start in the first reported year, so the
three history years 1997-1999 are missing and filled by the run parameter ``history``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.core.errors import UserError
from inventory.engine import run
from inventory.engine.mineral_soils import factors, history, mineral
from inventory.engine.options import EngineOptions


def _land() -> pd.DataFrame:
    """One climate x soil cell of 300 ha: cropland +10 ha/yr, forest land -10 ha/yr."""
    return pd.DataFrame({
        "country": "XXX", "year": [2000, 2000, 2001, 2001, 2002, 2002],
        "climate_zone": "tropical_moist", "soil_class": "hac",
        "land_use": ["cropland", "forest_land"] * 3,
        "management": ["full_tillage", "not_applicable"] * 3,
        "input": ["medium", "not_applicable"] * 3,
        "area_ha": [100.0, 200.0, 110.0, 190.0, 120.0, 180.0],
    })  # fmt: skip


def _national_dc(land: pd.DataFrame) -> list[float]:
    result = mineral.compute_mineral_inventory(
        land, factors.factor_table("2019"),
        EngineOptions(transition_years=3, first_year=2000, last_year=2002, mc_draws=0),
    )  # fmt: skip
    totals = result.stock_change_totals.query("scope == 'national'").sort_values("year")
    return totals["dC_tc_per_yr"].tolist()


def test_trend_backcasts_the_first_years_trend_and_flags_it():
    out = history.backcast(_land(), first_year=2000, transition_years=3, method="trend")
    filled = out[out["year"] < 2000].sort_values(["year", "land_use"])
    # slope of 2000-2001 (the first two recorded years): cropland +10, forest land -10 ha/yr;
    # 1999: 100 - 10 = 90 / 200 + 10 = 210; 1998: 80 / 220; 1997: 70 / 230 (cell 300 ha kept)
    assert filled["area_ha"].tolist() == [70.0, 230.0, 80.0, 220.0, 90.0, 210.0]
    assert set(filled["area_source"]) == {"backcast_trend"}
    assert set(out.loc[out["year"] >= 2000, "area_source"]) == {"reported"}
    # SOC_REF 40 t C/ha (IPCC 2019 Vol.4 Ch.2 Table 2.3, tropical moist HAC); cropland F_LU
    # 0.83 (2019 Table 5.5, long-term cultivated, tropical moist): 33.2 t C/ha, forest 40.
    # SOC(1997) = 70 x 33.2 + 230 x 40 = 2324 + 9200 = 11524; SOC(2000) = 3320 + 8000 = 11320
    # dC(2000) = (11320 - 11524) / 3 = -68 t C/yr, and -68 in 2001 and 2002 (10 ha x -6.8 / yr)
    assert _national_dc(out) == pytest.approx([-68.0, -68.0, -68.0])


def test_hold_gives_the_base_year_zero_and_says_so():
    out = history.backcast(_land(), first_year=2000, transition_years=3, method="hold")
    filled = out[out["year"] < 2000]
    assert filled["area_ha"].tolist() == [100.0, 200.0] * 3
    assert set(filled["area_source"]) == {"backcast_hold"}
    # SOC(1997..1999) = SOC(2000): dC(2000) = 0, dC(2001) = (SOC(2001) - SOC(2000)) / 3
    # = -68 / 3 = -22.667, dC(2002) = -136 / 3 = -45.333 t C/yr
    assert _national_dc(out) == pytest.approx([0.0, -68.0 / 3, -136.0 / 3])
    assert history.history_summary(_land(), first_year=2000, transition_years=3,
                                   method="hold") == (3, "backcast_hold")  # fmt: skip


def test_areas_reaching_back_d_years_are_left_alone():
    land = _land()
    assert history.backcast(land, first_year=2002, transition_years=2) is land
    assert history.history_summary(land, first_year=2002, transition_years=2,
                                   method="trend") == (0, "none")  # fmt: skip


def test_surrogate_without_a_series_is_refused():
    with pytest.raises(UserError, match="3 years short of 1997") as err:
        history.backcast(_land(), first_year=2000, transition_years=3, method="surrogate")
    assert "--history trend" in err.value.action


def test_published_columns_count_the_filled_years():
    out = history.backcast(_land(), first_year=2000, transition_years=3, method="trend")
    params = run.RunParameters()
    totals = run.history_columns(pd.DataFrame({"year": [2000]}), out, params, 2000)
    assert totals[["n_history_years_filled", "history_fill"]].values.tolist() == [
        [3, "backcast_trend"]
    ]
    assert run.parameter_default("history") == "trend"
    assert run.parameter_choices("history") == ("trend", "hold", "surrogate")


def test_validation_report_says_how_many_history_years_are_missing():
    from inventory.validation import report, validate

    # CRI-like: census areas from 1990, years 1990-2024: 1990 - 20 = 1970, 20 years missing
    land = pd.DataFrame({"year": [1990, 2000, 2010]})
    info = validate.history_years(land, {"years": [1990, 2024]})
    assert info == {"first_record": 1990, "needed_from": 1970, "missing_years": 20}
    text = report.render_text(pd.DataFrame(), {"history": info}, ok=True)
    assert "land_areas start in 1990: 20 of the history years from 1970 are missing" in text
    assert validate.history_years(pd.DataFrame({"year": [1975]}), {"years": [1990, 2024]}) == {
        "first_record": 1975, "needed_from": 1970, "missing_years": 5,
    }  # fmt: skip
    assert validate.history_years(pd.DataFrame({"year": [1970]}), {"years": [1990, 2024]}) is None
