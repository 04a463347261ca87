"""Organic soils: cited EF table and emission model (IPCC 2014 Wetlands Supplement Ch.2/3).

Worked examples 1 and 2 of inventory/data/ipcc/README.md (published in the EVID document,
"Net GWP benefit of rewetting" table, AR4 GWPs), per hectare, with every intermediate checked.
Factors (WS = 2013 Wetlands Supplement):
  temperate grassland, nutrient-rich, deep-drained: CO2-C 6.1 t/ha/yr (Table 2.1), DOC 0.31
  (Table 2.2), CH4 land 16 kg/ha/yr (Table 2.3), ditch 1165 kg/ha ditch/yr with Frac_ditch 0.05
  (Table 2.4), N2O-N 8.2 kg/ha/yr (Table 2.5); rewetted temperate nutrient-rich: CO2-C 0.50
  (Table 3.1), DOC 0.24 (Table 3.2), CH4-C 216 kg (Table 3.3), N2O 0 (Ch.3 text).
  boreal forest, nutrient-poor, drained: 0.25, 0.12, 7.0, ditch 217 with Frac_ditch 0.025, 0.22;
  rewetted boreal nutrient-poor: -0.34, 0.08, CH4-C 41, N2O 0.
GWP100: AR4 CH4 25, N2O 298; AR5 28, 265; AR6 non-fossil CH4 27.0, N2O 273.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from inventory.engine import sql_models
from inventory.engine.organic_soils import organic

C_TO_CO2 = 44 / 12  # molar-mass ratios, used only to state the hand arithmetic
CH4C_TO_CH4 = 16 / 12
N2ON_TO_N2O = 44 / 28
KG_PER_T = 1000

# Example 1, drained (AR4), t gas/ha/yr:
EX1_CO2 = 6.1 * C_TO_CO2  # = 22.366667
EX1_DOC = 0.31 * C_TO_CO2  # = 1.136667
EX1_CH4_LAND = (1 - 0.05) * 16 / KG_PER_T  # = 0.0152
EX1_CH4_DITCH = 0.05 * 1165 / KG_PER_T  # = 0.05825
EX1_N2O = 8.2 * N2ON_TO_N2O / KG_PER_T  # = 0.012885714
# AR4: 22.366667 + 1.136667 + (0.0152 + 0.05825) x 25 + 0.012885714 x 298
#    = 22.366667 + 1.136667 + 1.83625 + 3.839943 = 29.179526 (published 29.18)
EX1_DRAINED_AR4 = 29.18
# AR5: 22.366667 + 1.136667 + 0.07345 x 28 + 0.012885714 x 265
#    = 22.366667 + 1.136667 + 2.0566 + 3.414714 = 28.974648 (README: 28.97)
EX1_DRAINED_AR5 = 28.97
# Rewetted (AR4): 0.50 x 44/12 + 0.24 x 44/12 + 216 x 16/12 / 1000 x 25
#    = 1.833333 + 0.88 + 7.2 = 9.913333 (published 9.91); net benefit 19.27
EX1_REWETTED_AR4 = 9.91
EX1_BENEFIT_AR4 = 19.27
# Example 2, drained boreal nutrient-poor forest (AR4):
#   0.25 x 44/12 + 0.12 x 44/12 + (0.975 x 7.0 + 0.025 x 217) / 1000 x 25 + 0.22 x 44/28 / 1000
#   x 298 = 0.916667 + 0.44 + 0.30625 + 0.103023 = 1.765940 (published 1.77)
EX2_DRAINED_AR4 = 1.77
# Rewetted: -0.34 x 44/12 + 0.08 x 44/12 + 41 x 16/12 / 1000 x 25
#   = -1.246667 + 0.293333 + 1.366667 = 0.413333 (published 0.41)
EX2_REWETTED_AR4 = 0.41

TEMPERATE_RICH_DEEP = ("cool_temperate_moist", "grassland", "nutrient_rich", "deep")
BOREAL_POOR_FOREST = ("boreal_moist", "forest_land", "nutrient_poor", "not_applicable")


def _soils(strata, *, area_ha=1.0, year=2020) -> pd.DataFrame:
    """strata: (climate_zone, land_use, nutrient_status, drainage_depth, drainage) tuples."""
    rows = [
        {"country": "IRL", "year": year, "climate_zone": z, "land_use": lu, "drainage": d,
         "nutrient_status": ns, "drainage_depth": dd, "area_ha": area_ha}
        for z, lu, ns, dd, d in strata
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _run(strata, gwp_set="AR4", **kw) -> pd.DataFrame:
    return organic.organic_soil_emissions(duckdb.connect(), _soils(strata, **kw), gwp_set=gwp_set)


def _component(out: pd.DataFrame, drainage: str, component: str) -> pd.Series:
    return out[(out.drainage == drainage) & (out.component == component)].iloc[0]


@pytest.fixture(scope="module")
def example1():
    return _run([(*TEMPERATE_RICH_DEEP, "drained"), (*TEMPERATE_RICH_DEEP, "rewetted")])


def test_example1_drained_components(example1):
    assert _component(example1, "drained", "on_site").emission == pytest.approx(EX1_CO2)
    assert _component(example1, "drained", "doc").emission == pytest.approx(EX1_DOC)
    assert _component(example1, "drained", "land").emission == pytest.approx(EX1_CH4_LAND)
    assert _component(example1, "drained", "ditch").emission == pytest.approx(EX1_CH4_DITCH)
    assert _component(example1, "drained", "direct").emission == pytest.approx(EX1_N2O)
    ch4 = _component(example1, "drained", "ditch")
    assert (ch4.gas, ch4.unit, ch4.frac_ditch) == ("CH4", "t CH4/yr", 0.05)
    assert _component(example1, "drained", "direct").co2e_t == pytest.approx(EX1_N2O * 298)


def test_example1_totals_ar4(example1):
    totals = example1.groupby("drainage").co2e_t.sum()
    assert round(totals["drained"], 2) == EX1_DRAINED_AR4
    assert totals["drained"] == pytest.approx(29.179526, abs=1e-6)
    assert round(totals["rewetted"], 2) == EX1_REWETTED_AR4
    assert totals["rewetted"] == pytest.approx(9.913333, abs=1e-6)
    assert round(totals["drained"] - totals["rewetted"], 2) == EX1_BENEFIT_AR4
    assert set(example1.gwp_set) == {"AR4"}


def test_example1_rewetted_components(example1):
    assert _component(example1, "rewetted", "on_site").emission == pytest.approx(0.5 * C_TO_CO2)
    assert _component(example1, "rewetted", "doc").emission == pytest.approx(0.24 * C_TO_CO2)
    # WS Table 3.3 is kg CH4-C: 216 x 16/12 = 288 kg CH4 = 0.288 t CH4
    assert _component(example1, "rewetted", "land").emission == pytest.approx(0.288)
    assert _component(example1, "rewetted", "direct").emission == 0.0
    assert "ditch" not in set(example1[example1.drainage == "rewetted"].component)


def test_example1_ar5_and_ar6():
    ar5 = _run([(*TEMPERATE_RICH_DEEP, "drained")], gwp_set="AR5").co2e_t.sum()
    assert round(ar5, 2) == EX1_DRAINED_AR5
    assert ar5 == pytest.approx(28.974648, abs=1e-6)
    # AR6 non-fossil CH4 27.0, N2O 273: 22.366667 + 1.136667 + 0.07345 x 27 + 0.012885714 x 273
    #   = 22.366667 + 1.136667 + 1.98315 + 3.517800 = 29.004283
    ar6 = _run([(*TEMPERATE_RICH_DEEP, "drained")], gwp_set="AR6").co2e_t.sum()
    assert ar6 == pytest.approx(29.004283, abs=1e-6)


def test_example2_boreal_forest():
    out = _run([(*BOREAL_POOR_FOREST, "drained"), (*BOREAL_POOR_FOREST, "rewetted")])
    totals = out.groupby("drainage").co2e_t.sum()
    assert round(totals["drained"], 2) == EX2_DRAINED_AR4
    assert totals["drained"] == pytest.approx(1.765940, abs=1e-6)
    assert round(totals["rewetted"], 2) == EX2_REWETTED_AR4
    assert totals["rewetted"] == pytest.approx(0.413333, abs=1e-6)
    # CH4 of Eq. 2.6: (0.975 x 7.0 + 0.025 x 217) kg = 6.825 + 5.425 = 12.25 kg CH4
    ch4 = out[(out.drainage == "drained") & (out.gas == "CH4")].emission.sum()
    assert ch4 == pytest.approx(12.25 / KG_PER_T)
    # rewetted boreal nutrient-poor is a CO2 sink: -0.34 x 44/12 = -1.246667 t CO2
    assert _component(out, "rewetted", "on_site").emission == pytest.approx(-0.34 * C_TO_CO2)


def test_area_scales_linearly_and_duplicate_rows_are_summed():
    soils = pd.concat([_soils([(*TEMPERATE_RICH_DEEP, "drained")], area_ha=100.0)] * 2)
    out = organic.organic_soil_emissions(duckdb.connect(), soils, gwp_set="AR4")
    assert len(out) == 5 and set(out.area_ha) == {200.0}
    assert out.co2e_t.sum() == pytest.approx(200 * 29.179526, abs=1e-3)


def test_pandas_reference_matches_sql():
    """Second implementation: A x share x EF x GWP straight from the EF table in pandas."""
    ef = organic.organic_ef_table()
    gwp = organic.gwp_table("AR5").set_index("gas")["value"]
    key = dict(
        zip(
            organic.STRATUM_KEYS,
            ("tropical_wet", "cropland", "drained", "not_applicable", "not_applicable"),
            strict=True,
        )
    )
    rows = ef[(ef[list(key)] == pd.Series(key)).all(axis=1)]
    share = rows.frac_ditch.where(rows.component == "ditch", 1.0)
    share = share.where(rows.component != "land", 1 - rows.frac_ditch)
    expected = (rows.ef * share * rows.gas.map(gwp)).sum() * 7.5
    soils = pd.DataFrame([{"country": "IDN", "year": 2021, **key, "area_ha": 7.5}])
    out = organic.organic_soil_emissions(duckdb.connect(), soils)
    assert out.co2e_t.sum() == pytest.approx(expected)
    # tropical cropland by hand (AR5): 14 x 44/12 + 0.82 x 44/12 + (0.98 x 7.0 + 0.02 x 2259)
    #   / 1000 x 28 + 5.0 x 44/28 / 1000 x 265 = 51.333333 + 3.006667 + 1.457120 + 2.082143
    #   = 57.879263 t CO2e/ha/yr
    assert out.co2e_t.sum() / 7.5 == pytest.approx(57.879263, abs=1e-6)


def test_ef_table_row_counts_and_coverage():
    ef = organic.organic_ef_table()
    # drained strata mapped: boreal 2 zones x 33, temperate 4 x 32, tropical 4 x 36 = 338;
    # CH4 land lacks the 36 tropical peat-extraction strata (no Table 2.3 value).
    # rewetted: (2 + 4) zones x 6 land uses x 2 nutrient x 3 depth + 4 x 6 x 9 = 432.
    counts = ef.groupby(["drainage", "component"]).size().to_dict()
    assert counts == {
        ("drained", "direct"): 338, ("drained", "ditch"): 338, ("drained", "doc"): 338,
        ("drained", "land"): 302, ("drained", "on_site"): 338,
        ("rewetted", "direct"): 432, ("rewetted", "doc"): 432, ("rewetted", "land"): 432,
        ("rewetted", "on_site"): 432,
    }  # fmt: skip
    assert len(ef) == 3382
    assert not ef.duplicated([*organic.STRATUM_KEYS, "component"]).any()
    assert ef[["source_table", "source", "confidence", "ef", "ef_unit"]].notna().all().all()
    assert not (ef[list(organic.STRATUM_KEYS)] == organic.WILDCARD).any().any()


def _ef(zone, land_use, drainage, ns, dd, component) -> pd.Series:
    ef = organic.organic_ef_table()
    keys = (zone, land_use, drainage, ns, dd, component)
    mask = (ef[[*organic.STRATUM_KEYS, "component"]] == keys).all(axis=1)
    return ef[mask].iloc[0]


def test_ef_spot_values_against_printed_tables():
    row = _ef("warm_temperate_dry", "cropland", "drained", "nutrient_rich", "deep", "on_site")
    assert (row.ef_native, row.ef_native_unit) == (7.9, "t CO2-C/ha/yr")  # WS Table 2.1
    assert row.ef == pytest.approx(7.9 * C_TO_CO2) and row.ef_unit == "t CO2/ha/yr"
    assert row.source_table.startswith("WS Ch.2 Table 2.1")
    ditch = _ef("tropical_moist", "grassland", "drained", "nutrient_poor", "shallow", "ditch")
    assert (ditch.ef_native, ditch.frac_ditch) == (2259.0, 0.02)  # WS Table 2.4, tropical
    shallow = _ef("boreal_dry", "grassland", "drained", "nutrient_rich", "shallow", "ditch")
    assert (shallow.ef_native, shallow.frac_ditch) == (527.0, 0.05)
    land = _ef("warm_temperate_moist", "settlements", "rewetted", "nutrient_poor", "deep", "land")
    assert land.ef == pytest.approx(92 * CH4C_TO_CH4 / KG_PER_T)  # WS Table 3.3, kg CH4-C
    assert land.frac_ditch == 0.0
    n2o = _ef("tropical_dry", "wetlands", "drained", "not_applicable", "not_applicable", "direct")
    assert n2o.ef == pytest.approx(3.6 * N2ON_TO_N2O / KG_PER_T)  # WS Table 2.5
    assert (n2o.ci_low, n2o.ci_high) == pytest.approx(
        (0.2 * N2ON_TO_N2O / KG_PER_T, 5.0 * N2ON_TO_N2O / KG_PER_T)
    )


def test_reference_tables_copied_with_citations():
    ref = organic._data_csv("ipcc/organic_soil_emission_factors.csv")
    assert len(ref) == 95 and {"source", "confidence", "source_table", "note"} <= set(ref)
    assert organic.gwp_table().set_index("gas")["value"].to_dict() == {
        "CO2": 1.0,
        "CH4": 28.0,
        "N2O": 265.0,
    }
    assert organic.gwp_table("AR4").set_index("gas")["value"]["CH4"] == 25.0
    assert organic.gwp_table("AR6").set_index("gas")["value"]["CH4"] == 27.0
    with pytest.raises(organic.OrganicFactorError, match="unknown GWP set"):
        organic.gwp_table("AR7")


def test_missing_stratum_raises_naming_it():
    strata = [
        ("cool_temperate_moist", "settlements", "nutrient_rich", "deep", "drained"),
        ("polar_moist", "grassland", "nutrient_poor", "deep", "drained"),
        ("warm_temperate_moist", "grassland", "nutrient_rich", "not_applicable", "drained"),
        (*TEMPERATE_RICH_DEEP, "drained"),
    ]
    with pytest.raises(organic.OrganicFactorError) as err:
        _run(strata)
    text = str(err.value)
    assert "climate_zone=cool_temperate_moist, land_use=settlements, drainage=drained" in text
    assert "no settlements rows" in text
    assert "polar_moist" in text and "no polar rows" in text
    assert "must state deep or shallow" in text
    assert "cool_temperate_moist, land_use=grassland" not in text  # the valid stratum


def test_tropical_peat_extraction_lacks_only_ch4_land():
    strata = [("tropical_wet", "wetlands", "not_applicable", "not_applicable", "drained")]
    missing = organic.missing_strata(_soils(strata))
    assert missing.components.tolist() == ["land"]
    assert "no Tier 1 CH4 EF for tropical peat extraction" in missing.reason.iloc[0]


def test_invariant_checks():
    con = duckdb.connect()
    soils = _soils([(*TEMPERATE_RICH_DEEP, "drained"), (*BOREAL_POOR_FOREST, "rewetted")])
    out = organic.organic_soil_emissions(con, soils)
    sql_models.register(con, {"organic_soil_emissions": out})
    for check in ("organic_emissions_nonnegative_area", "organic_emissions_gas_unit",
                  "organic_missing_factors"):  # fmt: skip
        assert sql_models.run_check(con, check).empty, check
    bad = out.assign(area_ha=out.area_ha.where(out.component != "doc", -1.0))
    bad.loc[bad.component == "direct", "unit"] = "t CO2/yr"
    sql_models.register(con, {"organic_soil_emissions": bad})
    assert len(sql_models.run_check(con, "organic_emissions_nonnegative_area")) == 2
    assert set(sql_models.run_check(con, "organic_emissions_gas_unit").component) == {"direct"}
    settlements = _soils([("boreal_dry", "settlements", "nutrient_poor", "deep", "drained")])
    sql_models.register(con, {"organic_soils": settlements})
    assert len(sql_models.run_check(con, "organic_missing_factors")) == 5  # all five components


@pytest.fixture
def patched_map(monkeypatch):
    """Load the EF table from an edited copy of organic_ef_map.csv (cache cleared around it)."""
    original = organic._data_csv

    def use(edit):
        def fake(name):
            table = original(name)
            return edit(table) if name == "organic_ef_map.csv" else table

        monkeypatch.setattr(organic, "_data_csv", fake)
        organic._load.cache_clear()

    yield use
    monkeypatch.setattr(organic, "_data_csv", original)
    organic._load.cache_clear()


def test_loader_rejects_unknown_table_row(patched_map):
    patched_map(lambda t: t.replace({"ref_land_use": {"Cropland, drained": "Cropland drained"}}))
    with pytest.raises(organic.OrganicFactorError, match="absent or blank"):
        organic.organic_ef_table()


def test_loader_rejects_uncovered_strata(patched_map):
    patched_map(lambda t: t[t["land_use"] != "settlements"])
    with pytest.raises(organic.OrganicFactorError, match="neither mapped nor declared"):
        organic.organic_ef_table()


def test_every_gap_and_fallback_has_a_comment():
    table = organic._data_csv("organic_ef_map.csv")
    gaps = table[table["ref_table"].isna()]
    assert len(gaps) == 9 and gaps["comment"].notna().all()
    assert table["comment"].str.contains("FALLBACK", na=False).sum() == 2
