"""Prefect task of a scenario run: compute and publish one scenario (thin over the domain)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from inventory.lake.zones import Lake
from inventory.scenarios import run
from tasks.retries import transient_only


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def run_scenario(lake_root: str, scenario_yaml: str, source: str) -> dict:
    """Check, compute and publish the scenario (``inventory.scenarios.run.run_scenario``)."""
    return run.run_scenario(Lake.at(lake_root), scenario_yaml, source=source)
