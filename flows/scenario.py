"""Flow: one practice scenario toward 4 per 1000 (``soc-inventory scenario run FILE``, HTTP
``POST /scenarios``, the portal's scenario form): compute it from a published release and
publish its answers beside the inventory."""

from __future__ import annotations

from prefect import flow

from inventory.core import settings
from tasks.scenario import run_scenario


@flow(name="scenario-run", log_prints=True)
def scenario_run(
    scenario_yaml: str, lake_root: str | None = None, source: str = "scenario.yaml"
) -> dict:
    """Run the scenario given as YAML text; returns its published manifest (with ``path``)."""
    lake_root = lake_root or str(settings.lake_root())
    return run_scenario(lake_root, scenario_yaml, source)
