"""End to end: the demo flow on one bundled country, checked against an independent pandas
computation of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 from the submitted CSV.

The flow runs once per session (Prefect test harness, ~10 s); every test reads its outputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inventory.engine.organic_soils import organic
from inventory.lake import releases
from inventory.lake.zones import Lake

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COUNTRY = "IRL"
D = 20  # IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 default transition period, years
# Independent unit table for the area units the example packages use (1 kha = 1000 ha,
# 1 km2 = 100 ha); the pipeline converts through the pint registry instead.
HA_PER_UNIT = {"ha": 1.0, "kha": 1000.0, "km2": 100.0, "km^2": 100.0}
STRATUM = ["climate_zone", "soil_class", "land_use", "management", "input"]


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_lake(prefect_harness, tmp_path_factory):
    from flows.demo import demo

    root = tmp_path_factory.mktemp("demo") / "data_lake"
    result = demo(lake_root=str(root), countries=[COUNTRY], mc_draws=50)
    return Lake.at(root), result


@pytest.fixture(scope="session")
def submitted_areas() -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLES / COUNTRY / "land_areas.csv")
    for column in STRATUM:
        frame[column] = frame[column].str.strip().str.lower()
    frame["area_ha"] = frame["area"] * frame["area_unit"].str.strip().map(HA_PER_UNIT)
    assert frame["area_ha"].notna().all(), "an area unit is missing from HA_PER_UNIT"
    return frame


@pytest.fixture(scope="session")
def submitted_mineral_areas(submitted_areas) -> pd.DataFrame:
    """The submitted areas minus the organic-soil area of their (year, climate zone, land use)
    group, pro rata to the strata's area (issue 21; IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1); land
    years before the first organic year take that year's organic area."""
    group = ["year", "climate_zone", "land_use"]
    organic_rows = pd.read_csv(EXAMPLES / COUNTRY / "organic_soils.csv")
    for column in ("climate_zone", "land_use"):
        organic_rows[column] = organic_rows[column].str.strip().str.lower()
    organic_rows["area_ha"] = organic_rows["area"] * organic_rows["area_unit"].map(HA_PER_UNIT)
    organic_area = organic_rows.groupby(group)["area_ha"].sum().rename("organic_ha")
    frame = submitted_areas.assign(
        organic_year=submitted_areas["year"].clip(lower=organic_rows["year"].min())
    )
    frame["group_ha"] = frame.groupby(group)["area_ha"].transform("sum")
    frame = frame.join(organic_area, on=["organic_year", "climate_zone", "land_use"])
    share = frame["organic_ha"].fillna(0.0) * frame["area_ha"] / frame["group_ha"]
    return frame.assign(area_ha=frame["area_ha"] - share)


def test_submission_accepted_and_raw_bytes_kept(demo_lake):
    lake, result = demo_lake
    (outcome,) = result["intake"]
    assert outcome["accepted"], outcome
    raw = lake.raw(COUNTRY, outcome["submission_id"])
    for source in (EXAMPLES / COUNTRY).iterdir():
        stored = next(raw.rglob(source.name))
        assert _sha256(stored) == _sha256(source), source.name


def test_all_design_tables_published(demo_lake):
    lake, _ = demo_lake
    for table in (
        "soc_stocks", "stock_changes", "organic_soil_emissions", "unfccc_tables",
        "fourp1000_indicators", "peatland_offsets",
    ):  # fmt: skip
        frame = releases.read_published(lake, table)
        assert len(frame) > 0, table
        assert set(frame["country"]) == {COUNTRY}, table


def test_every_invariant_check_ran_and_passed_in_the_demo_run(demo_lake):
    """The run manifest lists every check of sql/checks/ with status pass; the land-unit
    histories ran on empty stand-ins, with the reason (the demo's land is stratum areas)."""
    lake, result = demo_lake
    manifest = json.loads((lake.run(result["run_id"]) / "manifest.json").read_text())
    checks = manifest["checks"][COUNTRY]
    names = sorted(p.stem for p in (ROOT / "inventory/engine/sql/checks").glob("*.sql"))
    assert sorted(c["name"] for c in checks) == names
    assert {c["name"]: c["status"] for c in checks} == dict.fromkeys(names, "pass")
    reason = "no land units in this run (land representation: land_areas)"
    assert {c["name"]: c["stand_ins"] for c in checks if c["stand_ins"]} == {
        "land_unit_histories": {"approach2_episodes": reason, "approach2_unit_summary": reason}
    }


def test_published_areas_equal_submitted_areas(demo_lake, submitted_areas,
                                               submitted_mineral_areas):  # fmt: skip
    lake, _ = demo_lake
    stocks = releases.read_published(lake, "soc_stocks")
    published = stocks.groupby("year")["area_ha"].sum()  # the mineral-soil area
    mineral = submitted_mineral_areas.groupby("year")["area_ha"].sum().loc[published.index]
    np.testing.assert_allclose(published.to_numpy(), mineral.to_numpy(), rtol=1e-12)
    soil = releases.read_published(lake, "soil_areas").groupby("year").sum(numeric_only=True)
    submitted = submitted_areas.groupby("year")["area_ha"].sum().loc[published.index]
    np.testing.assert_allclose(soil.loc[published.index, "land_area_ha"].to_numpy(),
                               submitted.to_numpy(), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(  # total = mineral + organic
        soil["land_area_ha"], soil["mineral_area_ha"] + soil["organic_area_ha"], rtol=1e-12
    )


def test_stock_is_area_times_factors(demo_lake):
    lake, _ = demo_lake
    s = releases.read_published(lake, "soc_stocks")
    expected = (
        s["area_ha"] * s["soc_ref_tc_per_ha"] * s["f_lu"] * s["f_mg"] * s["f_i"]
    )  # Eq. 2.25 SOC term
    np.testing.assert_allclose(s["stock_tc"], expected, rtol=1e-12)


def test_national_change_equals_pandas_eq_2_25(demo_lake, submitted_mineral_areas):
    """dC(y) = (SOC(y) - SOC(y - D)) / D, with SOC(y) summed over strata in pandas from the
    submitted areas and the per-stratum factors the run resolved; history before the first
    submitted year = the first year's state (README, method notes)."""
    lake, _ = demo_lake
    stocks = releases.read_published(lake, "soc_stocks")
    factors = stocks.drop_duplicates(STRATUM)[
        [*STRATUM, "soc_ref_tc_per_ha", "f_lu", "f_mg", "f_i"]
    ]
    areas = submitted_mineral_areas.groupby(["year", *STRATUM], as_index=False)["area_ha"].sum()
    merged = areas.merge(factors, on=STRATUM, how="left", validate="many_to_one")
    merged["soc"] = merged[["area_ha", "soc_ref_tc_per_ha", "f_lu", "f_mg", "f_i"]].prod(axis=1)
    national = merged.groupby("year")["soc"].sum()
    first = national.index.min()
    changes = releases.read_published(lake, "stock_changes")
    reported = changes.groupby("year")["dC_tc_per_yr"].sum()
    for year in (1990, 2000, 2024):
        expected = (national[year] - national[max(year - D, first)]) / D
        assert reported[year] == pytest.approx(expected, rel=1e-9, abs=1e-6), year
    co2 = changes.groupby("year")["dCO2_t_per_yr"].sum()
    assert co2[2024] == pytest.approx(-reported[2024] * 44 / 12, rel=1e-12)


def test_uncertainty_interval_brackets_the_estimate(demo_lake):
    lake, _ = demo_lake
    changes = releases.read_published(lake, "stock_changes")
    rows = changes.dropna(subset=["dC_ci_low_tc_per_yr", "dC_ci_high_tc_per_yr"])
    assert len(rows) > 0
    assert (rows["dC_ci_low_tc_per_yr"] <= rows["dC_tc_per_yr"] + 1e-9).all()
    assert (rows["dC_ci_high_tc_per_yr"] >= rows["dC_tc_per_yr"] - 1e-9).all()


def test_organic_emissions_equal_area_times_factor(demo_lake):
    """On-site CO2 of drained organic soils = area x EF x 44/12 (EF printed in t CO2-C/ha/yr;
    2013 Wetlands Supplement Ch.2 Eq. 2.3, Table 2.1)."""
    lake, _ = demo_lake
    soils = pd.read_csv(EXAMPLES / COUNTRY / "organic_soils.csv")
    soils["area_ha"] = soils["area"] * soils["area_unit"].map(HA_PER_UNIT)
    for column in ("climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth"):
        soils[column] = soils[column].fillna("not_applicable").str.strip().str.lower()
    ef = organic.organic_ef_table()
    on_site = ef[(ef["component"] == "on_site")]
    assert set(on_site["ef_native_unit"]) == {"t CO2-C/ha/yr"}
    on_site = on_site[
        ["climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth", "ef_native"]
    ]
    year = soils[soils["year"] == 2024].merge(
        on_site, on=["climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth"]
    )
    expected = (year["area_ha"] * year["ef_native"]).sum() * 44 / 12
    emissions = releases.read_published(lake, "organic_soil_emissions")
    got = emissions[(emissions["year"] == 2024) & (emissions["component"] == "on_site")]
    assert expected > 0
    assert got["emission_t_per_yr"].sum() == pytest.approx(expected, rel=1e-9)


def test_offsets_and_4p1000_consistent_with_tables(demo_lake):
    lake, _ = demo_lake
    changes = releases.read_published(lake, "stock_changes")
    emissions = releases.read_published(lake, "organic_soil_emissions")
    offsets = releases.read_published(lake, "peatland_offsets").set_index("year")
    assert offsets.loc[2024, "organic_emissions_co2e_t_per_yr"] == pytest.approx(
        emissions.loc[emissions["year"] == 2024, "co2e_t_per_yr"].sum(), rel=1e-12
    )
    # one sign convention: the mineral CO2 flux is + = emission in both tables
    assert offsets.loc[2024, "mineral_co2e_t_per_yr"] == pytest.approx(
        changes.loc[changes["year"] == 2024, "dCO2_t_per_yr"].sum(), rel=1e-12
    )
    # the 4p1000 rate divides by the inventory stock S(y-1), which moves by exactly dC(y)
    inventory = releases.read_published(lake, "inventory_stocks")
    stocks = inventory[inventory["scope"] == "national"].set_index("year")["stock_tc"]
    dc = changes.groupby("year")["dC_tc_per_yr"].sum()
    assert stocks[2024] - stocks[2023] == pytest.approx(dc[2024], rel=1e-6)
    indicators = releases.read_published(lake, "fourp1000_indicators")
    national = indicators[(indicators["land_use"] == "all") & (indicators["scope"] == "mineral")]
    rate = 1000 * dc[2024] / stocks[2023]  # per mille of the previous year's stock
    assert national.set_index("year").loc[2024, "rate_permille_per_yr"] == pytest.approx(
        rate, rel=1e-9
    )


def test_summary_names_the_country(demo_lake):
    _, result = demo_lake
    (row,) = result["summary"]
    assert row["country"] == COUNTRY
    assert row["area_ha"] > 0 and row["stock_tc"] > 0


def test_unfccc_rows_sum_the_categories_and_ship_as_csv(demo_lake):
    lake, _ = demo_lake
    crt = releases.read_published(lake, "unfccc_tables")
    changes = releases.read_published(lake, "stock_changes")
    cropland = changes[(changes["year"] == 2024) & (changes["land_use"] == "cropland")]
    row = crt[(crt["year"] == 2024) & (crt["category_code"] == "4.B")].iloc[0]
    assert row["mineral_dc_tc_per_yr"] == pytest.approx(cropland["dC_tc_per_yr"].sum(), rel=1e-12)
    csv_path = (
        lake.published / "unfccc_tables" / f"country={COUNTRY}" / f"unfccc_tables_{COUNTRY}.csv"
    )
    from_csv = pd.read_csv(csv_path)
    assert len(from_csv) == len(crt)
    assert from_csv["mineral_dc_tc_per_yr"].sum() == pytest.approx(
        crt["mineral_dc_tc_per_yr"].sum(), rel=1e-9
    )


def test_tier2_soc_ref_is_the_native_profile_mean(demo_lake):
    """Tier 2 SOC_REF of a climate x soil cell = mean 0-30 cm stock of its native profiles
    (each profile once), recomputed here in pandas from the harmonised profile intervals."""
    lake, _ = demo_lake
    intervals = pd.read_parquet(lake.harmonised("profiles", COUNTRY) / "part-0.parquet")
    native = intervals[
        (intervals["land_use"] == "native") & (intervals["upper_cm"] == 0)
        & (intervals["lower_cm"] == 30) & (intervals["coverage_fraction"] >= 0.9)
    ]  # fmt: skip
    per_profile = native.groupby(["climate_zone", "soil_class", "profile_id"])["stock_tc_per_ha"]
    expected = per_profile.mean().groupby(["climate_zone", "soil_class"]).mean()
    resolved = releases.read_published(lake, "stratum_factors")
    derived = resolved[(resolved["factor"] == "SOC_REF") & (resolved["tier"] == "tier2_derived")]
    assert len(derived) > 0
    for row in derived.drop_duplicates(["climate_zone", "soil_class"]).itertuples():
        assert row.value_tc_per_ha_or_ratio == pytest.approx(
            expected[(row.climate_zone, row.soil_class)], rel=1e-9
        )


def test_published_files_carry_country_release_units_and_descriptions(demo_lake):
    import pyarrow.parquet as pq

    from inventory.engine.reporting_tables import published_schema

    lake, result = demo_lake
    files = sorted(lake.published.glob("*/country=*/part-0.parquet"))
    assert len(files) >= 8
    for path in files:
        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
        assert meta["soilc.release_id"] == result["release_id"], path
        assert meta["soilc.schema_version"] == str(published_schema.SCHEMA_VERSION)
        assert meta["soilc.sign_convention"], path
        assert set(table["country"].to_pylist()) == {COUNTRY}, path
        assert set(table["release_id"].to_pylist()) == {result["release_id"]}, path
        for field in table.schema:
            fmeta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            assert fmeta.get("description"), f"{path.parent.parent.name}.{field.name}"
            numeric = pa_numeric(field.type)
            assert not numeric or fmeta.get("unit"), f"{path.parent.parent.name}.{field.name}"
            if numeric:
                assert published_schema.name_carries_unit(field.name, fmeta["unit"]), field.name


def pa_numeric(arrow_type) -> bool:
    import pyarrow.types as pat

    return pat.is_integer(arrow_type) or pat.is_floating(arrow_type)


def test_warehouse_keeps_the_version_1_names_as_views(demo_lake):
    import duckdb

    lake, _ = demo_lake
    with duckdb.connect(str(lake.root / "inventory.duckdb"), read_only=True) as con:
        old = con.execute(
            "SELECT year, mineral_sequestration_co2e, co2e_t FROM peatland_offsets_v1 "
            "JOIN (SELECT year, sum(co2e_t) AS co2e_t FROM organic_soil_emissions_v1 "
            "GROUP BY year) USING (year) WHERE year = 2024"
        ).fetchall()
        new = con.execute(
            "SELECT mineral_co2e_t_per_yr, organic_emissions_co2e_t_per_yr FROM "
            "peatland_offsets WHERE year = 2024"
        ).fetchall()
    ((_, sequestration, co2e),) = old
    ((mineral, organic_co2e),) = new
    assert sequestration == pytest.approx(-mineral, rel=1e-12)  # v1 sign: + = sink
    assert co2e == pytest.approx(organic_co2e, rel=1e-12)
