"""Flow: one inventory run (deployment ``inventory-run``): compute, write run, publish.

Task runner of the per-country fan-out: Prefect's default, or Dask when ``$SOILC_DASK_ADDRESS``
is set where the flow is imported (e.g. a deployment's worker); :func:`inventory_run_on` picks it
per call (``dask="local"`` or an address), see flows/runners.py.
"""

from __future__ import annotations

from prefect import Flow, flow, unmapped

from flows.refusals import announce_refusals
from flows.runners import current_runner, dask_task_runner, with_task_runner
from inventory.core import settings
from inventory.core.errors import UsageError, as_user_error
from inventory.engine import plan
from inventory.engine.run import RunParameters
from inventory.lake.zones import Lake, new_id
from tasks.inventory import (
    build_dashboard,
    compute_country,
    publish_release,
    refusal_artifact,
    summary_artifact,
    write_run,
)


@flow(name="inventory-run", log_prints=True, task_runner=dask_task_runner())
def inventory_run(params: RunParameters | None = None, lake_root: str | None = None) -> dict:
    """Plan the run (countries, years, the publish guard's known outcome), fan out one task per
    country, then write the run and publish it atomically.

    Countries are refused one by one (their years, a user error while computing, the publish
    guard): every other country is published, and ``refused`` lists each refused country with
    the message and the action that resolves it (also a ``refused-countries`` artifact and a
    ``soil.run.refused`` event). Only when no country can be published is the run a user error.
    """
    lake_root = lake_root or str(settings.lake_root())
    lake = Lake.at(lake_root)
    planned = plan.plan_run(lake, params or RunParameters())
    params = planned.params
    refused = [r.to_json() for r in planned.refused]
    # unmapped: a pydantic model is iterable (its fields), map would fan out over them
    futures = compute_country.map(lake_root, planned.countries, unmapped(params))
    results = []
    for country, future in zip(planned.countries, futures, strict=True):
        try:
            results.append(future.result())
        except Exception as err:
            user_error = as_user_error(err)
            if user_error is None:
                raise  # a bug
            refused.append(plan.Refusal.of(country, user_error).to_json())
    if not results:
        raise UsageError(
            "no country can be published: "
            + "; ".join(f"{r['country']}: {r['message']}" for r in refused),
            "; ".join(f"{r['country']}: {r['action']}" for r in refused if r["action"]) or None,
        )
    run_id = new_id("run")
    drops = plan.accepted_drops(lake, [r.country for r in results])
    write_run(lake_root, run_id, params, results, current_runner(), drops, refused)
    release = publish_release(lake_root, run_id)
    refused = list(release.refused)  # those refused before computing, then by the guard
    published = set(release.countries)
    dashboard = build_dashboard(lake_root)
    summary = summary_artifact([r for r in results if r.country in published])
    if refused:
        refusal_artifact(refused)
        announce_refusals(run_id, release.release_id, refused)
    return {"run_id": run_id, "release_id": release.release_id, "dashboard": dashboard,
            "summary": summary, "published": sorted(published), "refused": refused}  # fmt: skip


def inventory_run_on(dask: str | None = None) -> Flow[[RunParameters | None, str | None], dict]:
    """The flow on the runner chosen by ``dask`` (``"local"``, an address) or the environment."""
    return with_task_runner(inventory_run, dask)
