"""Approach 2 through the whole domain path (no Prefect): a land-units package is read,
validated, harmonised and computed by ``inventory.engine.run.compute_country``, and its national
totals equal Approach 1 on the same land (IPCC 2006 Vol.4 Ch.2 Eq. 2.25 is linear in area).

Factors (2019 Refinement defaults, cool temperate moist, HAC):
  SOC_REF = 81 t C/ha (Vol.4 Ch.2 Table 2.3); cropland F_LU = 0.70, F_MG no-till = 1.09,
  full tillage = F_I medium = 1.00 (Vol.4 Ch.5 Table 5.5); grassland nominal: all 1.00.
Units (history from 1995, reported years 2015-2024):
  u1 100 ha grassland -> cropland (full tillage, medium) in 2010
  u2  50 ha cropland full tillage -> no-till in 2015
  u3 200 ha grassland throughout
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions
from inventory.engine.run import RunParameters, compute_country
from inventory.harmonise import store
from inventory.intake import submission
from inventory.lake.zones import Lake
from inventory.validation import validate

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal"
CHECK_DIR = Path(__file__).resolve().parents[1] / "inventory" / "engine" / "sql" / "checks"
SOC_REF, F_LU_CROP, F_MG_NOTILL, D = 81.0, 0.70, 1.09, 20
# u1: (100 x 81 x 0.70 - 100 x 81) / 20 = (5670 - 8100) / 20 = -121.5 t C/yr, 2010-2029
U1_DC = (100 * SOC_REF * F_LU_CROP - 100 * SOC_REF) / D
# u2: 50 x 81 x 0.70 x (1.09 - 1.00) / 20 = 255.15 / 20 = 12.7575 t C/yr, 2015-2034
U2_DC = 50 * SOC_REF * F_LU_CROP * (F_MG_NOTILL - 1.0) / D
STATES = {
    "grass": ("grassland", "nominal", "not_applicable"),
    "crop_ft": ("cropland", "full_tillage", "medium"),
    "crop_nt": ("cropland", "no_tillage", "medium"),
}


def _unit_rows() -> pd.DataFrame:
    rows = []
    for year in range(1995, 2025):
        plan = {
            "u1": (100, "crop_ft" if year >= 2010 else "grass"),
            "u2": (50, "crop_nt" if year >= 2015 else "crop_ft"),
            "u3": (200, "grass"),
        }
        for unit, (area, state) in plan.items():
            land_use, management, inp = STATES[state]
            rows.append({
                "unit_id": unit, "year": year, "climate_zone": "cool_temperate_moist",
                "soil_class": "hac", "land_use": land_use, "management": management,
                "input": inp, "area": area, "area_unit": "ha",
            })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def approach2_run(tmp_path_factory):
    package = tmp_path_factory.mktemp("pkg") / "IRL"
    shutil.copytree(MINIMAL, package)
    (package / "land_areas.csv").unlink()
    _unit_rows().to_csv(package / "land_units.csv", index=False)
    manifest = (package / "submission.yaml").read_text(encoding="utf-8")
    manifest = manifest.replace("years: [2018, 2020]", "years: [2015, 2024]")
    manifest = manifest.replace("approach: 1", "approach: 2")
    manifest = manifest.replace("land_areas: land_areas.csv", "land_units: land_units.csv")
    manifest = manifest.replace("  organic_soils: organic_soils.csv\n", "")  # mineral only
    (package / "organic_soils.csv").unlink()
    (package / "submission.yaml").write_text(manifest, encoding="utf-8")

    result = validate.validate_submission(submission.read_submission(package))
    assert result.ok, result.to_text()
    lake = Lake.at(tmp_path_factory.mktemp("lake"))
    outcome = store.file_outcome(lake, "IRL", "sub-test", result)
    assert outcome["accepted"]
    return lake, compute_country(lake, "IRL", RunParameters(tier=1, mc_draws=0))


def _category(tables, year: int, category: str) -> float:
    changes = tables["stock_changes"]
    rows = changes[(changes["year"] == year) & (changes["land_use_category"] == category)]
    return float(rows["dC_tc_per_yr"].sum())


@pytest.mark.parametrize("year", [2015, 2020, 2024])
def test_unit_level_categories(approach2_run, year):
    _, result = approach2_run
    assert _category(result.tables, year, "land_converted_to_cropland") == pytest.approx(U1_DC)
    assert _category(result.tables, year, "cropland_remaining_cropland") == pytest.approx(U2_DC)
    assert _category(result.tables, year, "grassland_remaining_grassland") == pytest.approx(0.0)


def test_subcategory_names_the_previous_land_use(approach2_run):
    _, result = approach2_run
    sub = result.tables["stock_change_subcategories"].set_index(["year", "land_use_subcategory"])
    row = sub.loc[(2015, "grassland_converted_to_cropland")]
    assert row["previous_land_use"] == "grassland"
    assert row["area_ha"] == 100.0
    assert row["dC_tc_per_yr"] == pytest.approx(U1_DC)


def test_national_totals_equal_approach_1_on_the_same_land(approach2_run):
    _, result = approach2_run
    units = _unit_rows().assign(country="IRL", area_ha=lambda f: f["area"].astype(float))
    areas = units.groupby(
        ["country", "year", "climate_zone", "soil_class", "land_use", "management", "input"],
        as_index=False,
    )["area_ha"].sum()
    approach1 = compute_mineral_inventory(
        areas,
        factors.factor_table("2019"),
        EngineOptions(first_year=2015, last_year=2024, mc_draws=0),
    )
    a1 = approach1.stock_changes.groupby("year")["dC_tc_per_yr"].sum()
    a2 = result.tables["stock_changes"].groupby("year")["dC_tc_per_yr"].sum()
    pd.testing.assert_series_equal(a1, a2, check_exact=False, rtol=1e-12)
    assert a2[2015] == pytest.approx(U1_DC + U2_DC)  # -121.5 + 12.7575 = -108.7425 t C/yr


def test_every_check_ran_on_the_land_units_histories(approach2_run):
    """One pass: land_unit_histories reads the run's own approach2_episodes and
    approach2_unit_summary (from the engine's connection), no stand-in; every check passes."""
    _, result = approach2_run
    assert {c["name"]: (c["status"], c["stand_ins"]) for c in result.checks} == {
        p.stem: ("pass", {}) for p in CHECK_DIR.glob("*.sql")
    }


def test_partitioned_run_equals_one_pass(approach2_run):
    """``soc-inventory run --partitions 2``: the same published tables as one pass, and the
    same checks, the unit histories standing in (each partition checked its own units)."""
    lake, one_pass = approach2_run
    by_partition = compute_country(lake, "IRL", RunParameters(tier=1, mc_draws=0, partitions=2))
    for name in ("soc_stocks", "stock_changes", "stock_change_totals",
                 "stock_change_subcategories", "unfccc_tables"):  # fmt: skip
        pd.testing.assert_frame_equal(
            by_partition.tables[name], one_pass.tables[name], check_exact=False, rtol=1e-9,
            obj=name,
        )  # fmt: skip
    checks = {c["name"]: c for c in by_partition.checks}
    assert len(checks) == len(one_pass.checks)
    assert {c["status"] for c in checks.values()} == {"pass"}
    reason = "partitioned run: each partition checked its own units (approach2.py)"
    assert checks["land_unit_histories"]["stand_ins"] == {
        "approach2_episodes": reason, "approach2_unit_summary": reason,
    }  # fmt: skip


def test_partitioned_run_inside_a_dask_task_uses_the_cluster(approach2_run, monkeypatch):
    """As under ``run --dask``: the country task submits its partitions to its own cluster."""
    from distributed import Client, LocalCluster

    from inventory.engine.land import partitioned

    lake, one_pass = approach2_run
    used = []
    original = partitioned.compute_partitioned_inventory

    def spy(*args, executor=None, **kwargs):
        used.append(type(executor).__name__)
        return original(*args, executor=executor, **kwargs)

    monkeypatch.setattr(partitioned, "compute_partitioned_inventory", spy)
    params = RunParameters(tier=1, mc_draws=0, partitions=3)
    kwargs = {"n_workers": 2, "threads_per_worker": 1, "processes": False,
              "dashboard_address": None}  # fmt: skip
    with LocalCluster(**kwargs) as cluster, Client(cluster) as client:
        result = client.submit(compute_country, lake, "IRL", params, pure=False).result()
    assert used == ["DaskExecutor"]
    pd.testing.assert_frame_equal(
        result.tables["stock_changes"], one_pass.tables["stock_changes"], check_exact=False,
        rtol=1e-9,
    )  # fmt: skip


def test_run_countries_are_those_asked_for_else_every_accepted_one_not_withdrawn(tmp_path):
    from inventory.engine.plan import plan_run

    lake = Lake.at(tmp_path / "lake")
    for country in ("IRL", "KEN", "URY"):
        manifest = lake.root / "harmonised" / "manifests" / f"{country}.json"
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text("{}", encoding="utf-8")
    assert plan_run(lake, RunParameters()).countries == ["IRL", "KEN", "URY"]
    assert plan_run(lake, RunParameters(withdraw=["KEN"])).countries == ["IRL", "URY"]
    assert plan_run(lake, RunParameters(countries=["URY"])).countries == ["URY"]
    assert plan_run(lake, RunParameters(countries=["irl", "IRL"])).countries == ["IRL"]
