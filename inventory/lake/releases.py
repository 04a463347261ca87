"""Versioned runs and atomic releases of the published tables.

A run writes ``runs/<run_id>/<table>/country=<ISO3>/part-0.parquet`` (reporting tables also as
``<table>_<ISO3>.csv`` beside it) and, last of all,
``runs/<run_id>/manifest.json`` (a run without a manifest is incomplete and is never published).
Each file keeps its ``country`` column; tables given as Arrow tables keep their schema metadata
(field descriptions and units, release id: ``inventory.engine.published_schema``). A manifest
may name the ``release_id`` the run is to be published as (written into its files).

Publishing builds a complete new release in ``releases/.tmp-<release_id>/``: the run's country
partitions plus, hard-linked, every other country's partitions of the previous release, and
``releases.parquet`` (all releases so far). The directory is renamed to
``releases/<release_id>/`` and the ``published`` symlink is switched to it with ``os.replace``:
readers see the old release or the new one, never a mix, and a crash at any point leaves the
previous release readable and complete.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from inventory.lake.zones import (
    Lake,
    new_id,
    utc_now,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
)

PUBLISHED_TABLES = (
    "soc_stocks",
    "stock_changes",
    "organic_soil_emissions",
    "unfccc_tables",
    "fourp1000_indicators",
    "peatland_offsets",
    "stock_change_totals",
    "stock_change_subcategories",
    "stratum_factors",
    "tier2_diagnostics",
    "rewetting_scenario",
    "grid_statistics",
)
PARTITION_FILE = "part-0.parquet"
# Tables also written as CSV beside the Parquet file (reporting tables opened in spreadsheets).
CSV_TABLES = ("unfccc_tables",)
MANIFEST = "manifest.json"
RELEASES_FILE = "releases.parquet"


class PublishError(RuntimeError):
    """A run cannot be published (incomplete, unknown)."""


@dataclass(frozen=True)
class Release:
    release_id: str
    run_id: str
    path: Path
    countries: tuple[str, ...]


def _by_country(frame: pd.DataFrame | pa.Table):
    """(country, rows) per country, sorted; Arrow tables keep their schema and metadata."""
    if isinstance(frame, pa.Table):
        for country in sorted(pc.unique(frame["country"]).to_pylist()):
            yield country, frame.filter(pc.equal(frame["country"], country))
    else:
        yield from frame.groupby("country", sort=True)


def write_run(lake: Lake, run_id: str, tables: dict[str, pd.DataFrame | pa.Table],
              manifest: dict) -> Path:  # fmt: skip
    """Write a run's tables, one Parquet file per table and country, then its manifest."""
    run_dir = lake.run(run_id)
    if (run_dir / MANIFEST).exists():
        raise PublishError(f"run {run_id} exists already; a run never overwrites another")
    counts: dict[str, dict[str, int]] = {}
    for table, frame in tables.items():
        counts[table] = {}
        for country, part in _by_country(frame):
            path = run_dir / table / f"country={country}" / PARTITION_FILE
            write_parquet_atomic(part, path)
            if table in CSV_TABLES:
                rows = part.to_pandas() if isinstance(part, pa.Table) else part
                write_csv_atomic(rows, path.with_name(f"{table}_{country}.csv"))
            counts[table][str(country)] = len(part)
    write_json_atomic(run_dir / MANIFEST, {**manifest, "run_id": run_id, "row_counts": counts})
    return run_dir


def current_release(lake: Lake) -> Path | None:
    """The release directory ``published`` points to, or None before the first publish."""
    link = lake.published
    return link.resolve() if link.is_symlink() else None


def _link_tree(source: Path, target: Path) -> None:
    """Recreate ``source`` under ``target`` with hard links (files are immutable once written)."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, dest)


def _run_manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))


def _release_id(lake: Lake, run_dir: Path) -> str:
    """The release id the run's files name (its manifest's), else a new one."""
    planned = _run_manifest(run_dir).get("release_id")
    if planned and not lake.release(planned).exists():
        return str(planned)
    return new_id("release")


def _release_rows(previous: Path | None, release: Release, published_at: str) -> pd.DataFrame:
    row = pd.DataFrame([{
        "release_id": release.release_id, "run_id": release.run_id,
        "countries": ",".join(release.countries), "published_at": published_at,
        "previous_release_id": previous.name if previous else None,
    }])  # fmt: skip
    if previous is not None and (previous / RELEASES_FILE).exists():
        return pd.concat([pd.read_parquet(previous / RELEASES_FILE), row], ignore_index=True)
    return row


def _clean_stale(lake: Lake) -> None:
    for stale in (lake.root / "releases").glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in lake.root.glob(".published-*"):
        stale.unlink(missing_ok=True)


def publish_run(lake: Lake, run_id: str) -> Release:
    """Make a complete run the current release, atomically (see module docstring)."""
    run_dir = lake.run(run_id)
    if not (run_dir / MANIFEST).exists():
        raise PublishError(f"run {run_id} has no manifest.json: incomplete, not published")
    _clean_stale(lake)
    previous = current_release(lake)
    release_id = _release_id(lake, run_dir)
    staging = lake.root / "releases" / f".tmp-{release_id}"
    countries = tuple(sorted(_run_manifest(run_dir).get("countries", [])))
    for table in PUBLISHED_TABLES:
        if previous is not None and (previous / table).exists():
            for part in sorted((previous / table).glob("country=*")):
                if part.name.removeprefix("country=") not in countries:
                    _link_tree(part, staging / table / part.name)
        if (run_dir / table).exists():
            _link_tree(run_dir / table, staging / table)
    release = Release(release_id, run_id, lake.release(release_id), countries)
    rows = _release_rows(previous, release, utc_now().isoformat())
    write_parquet_atomic(rows, staging / RELEASES_FILE)
    write_json_atomic(staging / "release.json", rows.iloc[-1].to_dict())
    os.rename(staging, release.path)
    pointer = lake.root / f".published-{release_id}"
    pointer.symlink_to(Path("releases") / release_id)
    os.replace(pointer, lake.published)
    return release


def read_published(lake: Lake, table: str) -> pd.DataFrame:
    """One published table with its ``country`` partition column (empty before any release)."""
    if table not in (*PUBLISHED_TABLES, "releases"):
        raise ValueError(f"unknown table {table!r}")
    release = current_release(lake)
    if release is None:
        return pd.DataFrame()
    if table == "releases":
        return pd.read_parquet(release / RELEASES_FILE)
    if not (release / table).exists():
        return pd.DataFrame()
    glob = str(release / table / "*" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(
            "SELECT * FROM read_parquet($g, hive_partitioning = true, union_by_name = true)",
            {"g": glob},
        ).df()
