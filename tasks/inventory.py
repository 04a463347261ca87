"""Prefect tasks of an inventory run: per-country compute, run folder, publish, warehouse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from inventory.engine import run
from inventory.engine.reporting_tables import published_schema
from inventory.lake import releases, warehouse
from inventory.lake.zones import Lake, new_id
from inventory.reporting import recalculations
from tasks.retries import transient_only


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _country_cache_key(context: TaskRunContext, arguments: dict[str, Any]) -> str:
    """Content key: an unchanged country (inputs, parameters, code) is read from the cache."""
    lake = Lake.at(arguments["lake_root"])
    fingerprint = run.input_fingerprint(lake, arguments["country"], arguments["params"])
    return f"compute-country-{arguments['country']}-{fingerprint}"


@task(cache_key_fn=_country_cache_key, persist_result=True, cache_expiration=timedelta(days=30))
def compute_country(lake_root: str, country: str, params: run.RunParameters) -> run.CountryResult:
    """All tables of one country (coarse: one task per country)."""
    return run.compute_country(Lake.at(lake_root), country, params)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def write_run(lake_root: str, run_id: str, params: run.RunParameters, results: list,
              runner: dict | None = None) -> str:  # fmt: skip
    """Write runs/<run_id>/ (published tables per country, manifest last, with the sha256 of
    every file as written: after the published-schema step)."""
    release_id = new_id("release")  # the id the run will be published as, inside its files
    tables = published_schema.published_tables(
        run.combine([r.tables for r in results]), release_id=release_id, run_id=run_id
    )
    manifest = {**run.run_manifest(params, results), "release_id": release_id,
                "runner": runner or {}, "grain": published_schema.table_grains(tables)}  # fmt: skip
    return str(releases.write_run(Lake.at(lake_root), run_id, tables, manifest))


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def publish_release(lake_root: str, run_id: str) -> str:
    """Switch published/ to a new release holding this run, then refresh the DuckDB views.

    Retried on transient errors only; publishing is idempotent by run id, so a retry after the
    switch returns the same release."""
    lake = Lake.at(lake_root)
    release = releases.publish_run(lake, run_id)
    warehouse.refresh(lake)
    changes = recalculations.write_recalculation_report(lake, release.release_id)
    if changes is not None:
        create_table_artifact(
            key="recalculations", table=_records(changes.head(200)),
            description=f"{len(changes)} recalculated country-year-category rows vs the "
            "previous release (first 200)",
        )  # fmt: skip
    create_link_artifact(
        key="published-release", link=release.path.as_uri(), link_text=release.release_id,
        description=f"Release of run {run_id}",
    )  # fmt: skip
    return release.release_id


@task(cache_policy=NO_CACHE)
def summary_artifact(results: list) -> list[dict]:
    """Inventory summary table per country (also returned for the CLI)."""
    tables = run.combine([r.tables for r in results])
    summary = run.summarise(
        {name: published_schema.to_published_names(name, frame) for name, frame in tables.items()}
    )
    records = _records(summary.round(3))
    create_table_artifact(key="inventory-summary", table=records, description="Per country")
    return records


@task(cache_policy=NO_CACHE)
def build_dashboard(lake_root: str) -> str:
    """Static HTML dashboard of the current release, linked as an artifact."""
    from inventory.reporting import dashboard

    path = dashboard.build_dashboard(Lake.at(lake_root))
    create_link_artifact(key="dashboard", link=path.as_uri(), link_text="SOC dashboard")
    return str(path)
