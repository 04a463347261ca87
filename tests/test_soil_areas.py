"""Issue 21 item 1: Eq. 2.25 on the mineral-soil area only (organic area taken out pro rata).

IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 (mineral soils, Eq. 2.25) vs Sec. 2.3.3.2 (organic soils):
``land_areas`` holds the whole land of a stratum; the organic area of each (year, climate
zone, land use) group is taken out of the group's strata pro rata to their land area.
"""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.core.errors import UserError
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral, soil_areas
from inventory.engine.options import EngineOptions
from inventory.reporting import recalculations

CZ = "cool_temperate_moist"


def _land(areas=(300.0, 100.0), years=(2000, 2001)) -> pd.DataFrame:
    """Two grassland strata of one group: nominal (F_MG 1) and improved, medium input."""
    return pd.DataFrame({
        "country": "XXX", "year": [y for y in years for _ in areas], "climate_zone": CZ,
        "soil_class": "hac", "land_use": "grassland",
        "management": ["nominal", "improved"] * len(years),
        "input": ["not_applicable", "medium"] * len(years), "area_ha": list(areas) * len(years),
    })  # fmt: skip


def _organic(years, areas) -> pd.DataFrame:
    return pd.DataFrame({"country": "XXX", "year": list(years), "climate_zone": CZ,
                         "land_use": "grassland", "area_ha": list(areas)})  # fmt: skip


def test_organic_area_taken_pro_rata_stocks_and_change_by_hand():
    con = sql_models.connect()
    mineral_areas = soil_areas.mineral_land_areas(
        con, _land(), _organic((2000, 2001), (40.0, 80.0))
    )
    # 2000: organic 40 ha of a 400 ha group: nominal 300 - 40 x 300/400 = 270,
    #       improved 100 - 40 x 100/400 = 90; 2001: organic 80: 300 - 60 = 240, 100 - 20 = 80
    assert mineral_areas["area_ha"].tolist() == pytest.approx([270.0, 90.0, 240.0, 80.0])
    result = mineral.compute_mineral_inventory(
        mineral_areas, factors.factor_table("2019"),
        EngineOptions(transition_years=1, mc_draws=0), con=con,
    )  # fmt: skip
    national = result.inventory_stocks.query("scope == 'national'").set_index("year")
    # SOC_REF 81 t C/ha (IPCC 2019 Vol.4 Ch.2 Table 2.3, cool temperate moist HAC), F_MG
    # improved grassland 1.14, F_LU = F_I = 1:
    # 2000: 270 x 81 + 90 x 81 x 1.14 = 21870 + 8310.6 = 30180.6 t C
    # 2001: 240 x 81 + 80 x 81 x 1.14 = 19440 + 7387.2 = 26827.2 t C
    assert national.loc[2000, "stock_tc"] == pytest.approx(30180.6)
    assert national.loc[2001, "stock_tc"] == pytest.approx(26827.2)
    totals = result.stock_change_totals.query("scope == 'national'").set_index("year")
    # D = 1: dC(2001) = 26827.2 - 30180.6 = -3353.4 t C/yr (the whole land, 400 ha both
    # years, would give 0)
    assert totals.loc[2001, "dC_tc_per_yr"] == pytest.approx(-3353.4)
    assert totals.loc[2001, "area_ha"] == pytest.approx(320.0)
    published = soil_areas.soil_areas(con, soil_areas.PRO_RATA).set_index("year")
    assert published.loc[
        2001, ["land_area_ha", "mineral_area_ha", "organic_area_ha"]
    ].tolist() == pytest.approx([400.0, 320.0, 80.0])  # total = mineral + organic
    assert set(published["organic_area_rule"]) == {"pro_rata_in_group"}


def test_years_before_the_first_organic_year_hold_its_area():
    con = sql_models.connect()
    out = soil_areas.mineral_land_areas(con, _land(years=(1999, 2000)), _organic([2000], [40.0]))
    # 1999 has no organic row: it takes 2000's 40 ha (held), 270 / 90 in both years
    assert out["area_ha"].tolist() == pytest.approx([270.0, 90.0, 270.0, 90.0])
    areas = soil_areas.soil_areas(con, soil_areas.PRO_RATA).set_index("year")
    assert areas.loc[1999, "organic_year"] == 2000


def test_no_organic_soils_leaves_the_land_unchanged():
    out = soil_areas.mineral_land_areas(sql_models.connect(), _land(), None)
    assert out["area_ha"].tolist() == [300.0, 100.0, 300.0, 100.0]


def test_organic_area_larger_than_its_group_is_refused_with_both_sums():
    with pytest.raises(UserError) as err:  # 500 ha organic on 300 + 100 = 400 ha of land
        soil_areas.mineral_land_areas(
            sql_models.connect(), _land(), _organic((2000, 2001), (40.0, 500.0))
        )
    assert isinstance(err.value, soil_areas.OrganicAreaExceedsLandError)
    text = str(err.value)
    assert "organic_soils rows of 2001 cool_temperate_moist/grassland" in text
    assert "organic 500.0 ha > land 400.0 ha in land_areas" in text
    assert "land_areas holds the whole land" in err.value.action


def test_organic_area_in_a_group_without_land_is_refused():
    organic = _organic([2000], [10.0]).assign(land_use="wetlands")
    with pytest.raises(soil_areas.OrganicAreaExceedsLandError, match="organic 10.0 ha > land 0.0"):
        soil_areas.mineral_land_areas(sql_models.connect(), _land(), organic)


def test_approach_2_3_soil_areas_are_flagged_whole_land():
    con = sql_models.connect()
    areas = soil_areas.whole_land_soil_areas(con, _land(), _organic((2000, 2001), (40.0, 80.0)))
    row = areas.set_index("year").loc[2001]
    # the mineral method ran on the whole 400 ha; the 80 ha organic listed beside it
    assert [row.land_area_ha, row.mineral_area_ha, row.organic_area_ha] == [400.0, 400.0, 80.0]
    assert row.organic_area_rule == "not_subtracted_approach_2_3"


def test_recalculation_report_names_the_mineral_area_method_change():
    old = {"inputs": {}, "parameters": {}}  # a manifest from before methods were recorded
    new = {"inputs": {}, "parameters": {}, "methods": {"mineral_area": "mineral-soil area"}}
    causes = {c.split(" changed:")[0]: c for c in
              recalculations.causes(old, new, "IRL").split("; ")}  # fmt: skip
    assert causes["method mineral_area"].startswith(
        "method mineral_area changed: 'Eq. 2.25 on the whole land area"
    )
    assert causes["method mineral_area"].endswith("-> 'mineral-soil area'")
    assert causes["method soc_loss_n2o"].startswith(
        "method soc_loss_n2o changed: 'Eq. 11.8 on the net loss of each"
    )


def test_the_published_rule_column_names_every_rule():
    from inventory.engine.reporting_tables import published_schema

    (rule,) = [c for c in published_schema.columns_of("soil_areas")
               if c.name == "organic_area_rule"]  # fmt: skip
    assert "$" not in rule.description  # no unfilled model parameter
    for name in soil_areas.ORGANIC_AREA_RULES:
        assert name in rule.description
