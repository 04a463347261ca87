"""Flow: one inventory run (deployment ``inventory-run``): compute, write run, publish.

Task runner of the per-country fan-out: Prefect's default, or Dask when ``$SOILC_DASK_ADDRESS``
is set where the flow is imported (e.g. a deployment's worker); :func:`inventory_run_on` picks it
per call (``dask="local"`` or an address), see flows/runners.py.
"""

from __future__ import annotations

from prefect import Flow, flow, unmapped

from flows.runners import current_runner, dask_task_runner, with_task_runner
from inventory.core import settings
from inventory.engine import plan
from inventory.engine.run import RunParameters
from inventory.lake.zones import Lake, new_id
from tasks.inventory import (
    build_dashboard,
    compute_country,
    publish_release,
    summary_artifact,
    write_run,
)


@flow(name="inventory-run", log_prints=True, task_runner=dask_task_runner())
def inventory_run(params: RunParameters | None = None, lake_root: str | None = None) -> dict:
    """Plan the run (countries, years, the publish guard's known outcome: a user error before
    anything is computed), fan out one task per country, then write the run and publish it
    atomically."""
    lake_root = lake_root or str(settings.lake_root())
    planned = plan.plan_run(Lake.at(lake_root), params or RunParameters())
    params = planned.params
    # unmapped: a pydantic model is iterable (its fields), map would fan out over them
    futures = compute_country.map(lake_root, planned.countries, unmapped(params))
    results = [f.result() for f in futures]
    run_id = new_id("run")
    write_run(lake_root, run_id, params, results, current_runner())
    release_id = publish_release(lake_root, run_id)
    dashboard = build_dashboard(lake_root)
    summary = summary_artifact(results)
    return {"run_id": run_id, "release_id": release_id, "dashboard": dashboard, "summary": summary}


def inventory_run_on(dask: str | None = None) -> Flow[[RunParameters | None, str | None], dict]:
    """The flow on the runner chosen by ``dask`` (``"local"``, an address) or the environment."""
    return with_task_runner(inventory_run, dask)
