"""Scale-out: the inventory run on Dask (prefect-dask) gives the default runner's numbers.

The tiny lake is built directly in the harmonised zone (two countries, Approach 1 areas), so
the test does not depend on submission intake. Task caching is refreshed for every run
(``PREFECT_TASKS_REFRESH_CACHE``): otherwise the second run would read the first run's cached
country results (the cache key is the content, not the lake) and prove nothing.
"""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from flows import runners
from inventory.engine import run as run_module
from inventory.engine.run import RunParameters
from inventory.harmonise import areas, store
from inventory.lake.zones import Lake

COUNTRIES = ("KEN", "URY")
YEARS = (2000, 2001, 2002, 2003)
TABLES = ("soc_stocks", "stock_changes", "fourp1000_indicators", "unfccc_tables")
STRATA = [  # climate_zone, soil_class, land_use, management, input, area in 2000 (kha)
    ("tropical_moist", "hac", "cropland", "full_tillage", "medium", 120.0),
    ("tropical_moist", "hac", "grassland", "nominal", "not_applicable", 80.0),
    ("tropical_dry", "lac", "cropland", "no_tillage", "high", 45.5),
]


def land_areas(country: str) -> pd.DataFrame:
    """Areas that shift from full to no tillage year by year (so stock changes are non-zero)."""
    scale = 1.0 if country == "KEN" else 0.5
    rows = []
    for i, year in enumerate(YEARS):
        for zone, soil, use, mg, inp, area in STRATA:
            shift = 5.0 * i if mg == "full_tillage" else -5.0 * i if mg == "no_tillage" else 0
            rows.append((country, year, zone, soil, use, mg, inp, scale * (area - shift), "kha"))
    columns = [*areas.LAND_AREA_COLUMNS[:-1], "area", "area_unit"]
    return pd.DataFrame(rows, columns=columns)


def tiny_lake(root) -> Lake:
    lake = Lake.at(root)
    for country in COUNTRIES:
        frames = {"land_areas": areas.harmonise_land_areas(land_areas(country))}
        manifest = {"country": country, "years": [YEARS[0], YEARS[-1]], "tier": 1, "approach": 1}
        store.store_harmonised(lake, country, f"sub-test-{country}", manifest, frames)
    return lake


def run_tables(lake: Lake, run_id: str) -> dict[str, pd.DataFrame]:
    out = {}
    for table in TABLES:
        paths = sorted((lake.run(run_id) / table).glob("country=*/*.parquet"))
        parts = [pd.read_parquet(p).assign(country=p.parent.name.split("=")[1]) for p in paths]
        # every run is published as its own release: the id differs, the numbers must not
        frame = pd.concat(parts, ignore_index=True).drop(columns="release_id")
        out[table] = frame.sort_values(list(frame.columns), ignore_index=True)
    return out


def test_runner_choice_without_prefect_server(monkeypatch):
    from prefect_dask import DaskTaskRunner

    monkeypatch.delenv("SOILC_DASK_ADDRESS", raising=False)
    assert runners.dask_task_runner() is None
    assert runners.dask_task_runner("") is None
    local = runners.dask_task_runner("local")
    assert isinstance(local, DaskTaskRunner)
    assert local.cluster_kwargs == {"n_workers": 2, "threads_per_worker": 1,
                                    "processes": False, "dashboard_address": None}  # fmt: skip
    assert runners.dask_task_runner("tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    monkeypatch.setenv("SOILC_DASK_ADDRESS", "tcp://10.0.0.6:8786")
    assert runners.dask_task_runner().address == "tcp://10.0.0.6:8786"
    assert runners.dask_task_runner("local").address is None  # the argument wins
    sentinel = object()
    monkeypatch.delenv("SOILC_DASK_ADDRESS")
    assert runners.with_task_runner(sentinel) is sentinel  # default runner: the same flow


@pytest.fixture
def record_workers(monkeypatch):
    """Wrap run.compute_country to record, per country, whether it ran inside a Dask worker."""
    seen: dict[str, str] = {}
    original = run_module.compute_country

    def wrapped(lake, country, params):
        from distributed import get_worker

        try:
            seen[country] = f"dask:{get_worker().address}"
        except ValueError:
            seen[country] = f"thread:{threading.current_thread().name}"
        return original(lake, country, params)

    monkeypatch.setattr(run_module, "compute_country", wrapped)
    return seen


@pytest.mark.prefect
@pytest.mark.slow
def test_dask_runs_equal_the_default_run(prefect_harness, tmp_path, monkeypatch, record_workers):
    from distributed import LocalCluster
    from prefect.settings import PREFECT_TASKS_REFRESH_CACHE, temporary_settings

    from flows.inventory_run import inventory_run_on

    monkeypatch.delenv("SOILC_DASK_ADDRESS", raising=False)
    params = RunParameters(countries=list(COUNTRIES), tier=1, mc_draws=20, seed=7)
    results, workers = {}, {}
    with temporary_settings(updates={PREFECT_TASKS_REFRESH_CACHE: True}):
        for name, dask in (("default", None), ("local", "local")):
            lake = tiny_lake(tmp_path / name)
            results[name] = (lake, inventory_run_on(dask)(params, str(lake.root)))
            workers[name] = dict(record_workers)
        with LocalCluster(**runners.LOCAL_CLUSTER_KWARGS) as cluster:  # "a real cluster"
            monkeypatch.setenv("SOILC_DASK_ADDRESS", cluster.scheduler_address)
            lake = tiny_lake(tmp_path / "address")
            results["address"] = (lake, inventory_run_on()(params, str(lake.root)))
            workers["address"] = dict(record_workers)
            address = cluster.scheduler_address
    runner = {name: json.loads((lake.run(result["run_id"]) / "manifest.json").read_text())["runner"]
              for name, (lake, result) in results.items()}  # fmt: skip
    assert runner == {"default": {"task_runner": "ThreadPoolTaskRunner"},
                      "local": {"task_runner": "DaskTaskRunner", "dask": "local"},
                      "address": {"task_runner": "DaskTaskRunner", "dask": address}}  # fmt: skip
    assert all(w.startswith("thread:") for w in workers["default"].values()), workers
    for name in ("local", "address"):
        assert set(workers[name]) == set(COUNTRIES)
        assert all(w.startswith("dask:") for w in workers[name].values()), workers
    default_lake, default = results["default"]
    expected = run_tables(default_lake, default["run_id"])
    assert set(expected["soc_stocks"]["country"]) == set(COUNTRIES)
    assert (expected["stock_changes"]["dC_tc_per_yr"].abs() > 0).any()
    for name in ("local", "address"):
        lake, result = results[name]
        assert result["summary"] == default["summary"], name
        got = run_tables(lake, result["run_id"])
        for table in TABLES:
            pd.testing.assert_frame_equal(got[table], expected[table], obj=f"{name}:{table}")
