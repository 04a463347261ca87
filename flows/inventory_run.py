"""Flow: one inventory run (deployment ``inventory-run``): compute, write run, publish."""

from __future__ import annotations

from prefect import flow

from inventory import config, intake
from inventory.lake import Lake, new_id
from inventory.run import RunParameters
from tasks.inventory import (
    build_dashboard,
    compute_country,
    publish_release,
    summary_artifact,
    write_run,
)


@flow(name="inventory-run", log_prints=True)
def inventory_run(params: RunParameters | None = None, lake_root: str | None = None) -> dict:
    """Fan out one task per country, then write the run and publish it atomically."""
    params = params or RunParameters()
    lake_root = lake_root or str(config.lake_root())
    countries = params.countries or intake.harmonised_countries(Lake.at(lake_root))
    futures = compute_country.map(lake_root, countries, params)
    results = [f.result() for f in futures]
    run_id = new_id("run")
    write_run(lake_root, run_id, params, results)
    release_id = publish_release(lake_root, run_id)
    dashboard = build_dashboard(lake_root)
    summary = summary_artifact(results)
    return {"run_id": run_id, "release_id": release_id, "dashboard": dashboard, "summary": summary}
