"""Small runs and concurrent publishers for the publishing attacks (shared with benchmarks/)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd

from inventory.lake import releases
from inventory.lake.zones import Lake

STRATUM = {"climate_zone": "tropical_moist", "soil_class": "hac", "land_use": "cropland",
           "management": "full_tillage", "input": "medium"}  # fmt: skip


def tables(country: str, value: float, years=(2000, 2001)) -> dict[str, pd.DataFrame]:
    stocks = pd.DataFrame([{"country": country, "year": y, **STRATUM, "stock_tc": value + i}
                           for i, y in enumerate(years)])  # fmt: skip
    changes = pd.DataFrame({"country": [country], "year": [years[-1]],
                            "dC_tc_per_yr": [value / 10]})  # fmt: skip
    return {"soc_stocks": stocks, "stock_changes": changes}


def write(lake: Lake, run_id: str, frames: dict, **manifest) -> None:
    countries = sorted(frames["soc_stocks"]["country"].unique())
    releases.write_run(lake, run_id, frames, {"countries": countries, **manifest})


def _publish_at_barrier(root: str, run_id: str, barrier) -> None:
    barrier.wait()
    releases.publish_run(Lake.at(root), run_id)


def concurrent_publishes(lake: Lake, countries: list[str]) -> list[int]:
    """One process per country publishes its run at the same moment; their exit codes."""
    for country in countries:
        write(lake, f"run-{country}", tables(country, 10.0))
    # spawn, not fork: the test process may hold threads (servers, Prefect) whose locks a forked
    # child would inherit held
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(countries))
    children = [
        context.Process(target=_publish_at_barrier, args=(str(lake.root), f"run-{c}", barrier))
        for c in countries
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    return [child.exitcode for child in children]


def release_countries(lake: Lake) -> set[str]:
    current = releases.current_release(lake)
    return {p.name.removeprefix("country=") for p in (Path(current) / "soc_stocks").iterdir()}
