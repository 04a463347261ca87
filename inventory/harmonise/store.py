"""Accepting a validated submission: validated Parquet, harmonised partitions, manifest.

The harmonised zone keeps, per dataset and country, the data of the latest accepted
submission (``harmonised/<dataset>/country=<ISO3>/part-0.parquet``) and
``harmonised/manifests/<ISO3>.json`` naming that submission, so an inventory run needs only the
country code. All datasets of a country change together, in one atomic step::

    harmonised/.versions/<ISO3>/<version>/<dataset>/part-0.parquet   one complete version
    harmonised/.versions/<ISO3>/<version>/manifest.json
    harmonised/.current/<ISO3> -> ../.versions/<ISO3>/<version>       switched by one rename
    harmonised/<dataset>/country=<ISO3> -> ../.current/<ISO3>/<dataset>      fixed links
    harmonised/manifests/<ISO3>.json -> ../.current/<ISO3>/manifest.json     fixed link

A version is written completely, then ``.current/<ISO3>`` is switched to it with one
``os.replace``: a crash (even ``kill -9``) at any point leaves the previous version or the new
one, never new datasets under an old manifest. A dataset the current version lacks is a dangling
link, read as absent. The latest accepted submission wins: an older submission filed late (e.g.
reprocessed) does not replace a newer one. Writers of one country take turns (a file lock).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from inventory.core.errors import NotFoundError
from inventory.harmonise import areas, gridded, land_use_changes, timeseries
from inventory.intake import grid_format
from inventory.lake.zones import (
    Lake,
    ensure_symlink,
    new_id,
    switch_symlink,
    utc_now,
    write_json_atomic,
    write_parquet_atomic,
)

VERSIONS, CURRENT, MANIFESTS = ".versions", ".current", "manifests"
KEPT_VERSIONS = 2  # the current version and the one before it stay on disk

HARMONISED_DATASETS = (
    "land_areas", "land_units", "organic_soils", "factors", "profiles", "profile_horizons",
    "grid_zonal", "grid_soc_ref", "land_use_changes", "auxiliary_series", "national_totals",
)  # fmt: skip


def harmonise_datasets(
    datasets: dict[str, pd.DataFrame],
    country: str,
    *,
    grid: grid_format.GridSource | None = None,
    manifest: dict | None = None,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical units (and standard depths for profiles) of every submitted dataset.

    A ``grid`` adds its zonal statistics (``grid_zonal``) and SOC_REF candidates
    (``grid_soc_ref``), computed from the file in the package (:func:`gridded.harmonised_grid`).
    Area series reported for some years only are gap-filled as ``manifest`` declares
    (:func:`timeseries.fill_gaps`; every row flagged in ``area_source``).
    """
    datasets = {name: frame.assign(country=country) for name, frame in datasets.items()}
    out: dict[str, pd.DataFrame] = {}
    flags: dict[str, Any] = {}
    if "land_areas" in datasets:
        out["land_areas"] = areas.harmonise_land_areas(datasets["land_areas"])
    if "land_units" in datasets:
        out["land_units"] = areas.harmonise_land_units(datasets["land_units"])
    if "organic_soils" in datasets:
        out["organic_soils"] = areas.harmonise_organic_soils(datasets["organic_soils"])
    if "factors" in datasets:
        out["factors"] = datasets["factors"]
    out.update(_national_datasets(datasets, manifest))
    if "profiles" in datasets:
        from inventory.harmonise.profiles import harmonise_profiles

        profiles = harmonise_profiles(datasets["profiles"])
        out["profiles"] = profiles.intervals
        out["profile_horizons"] = profiles.horizons
        flags["profiles_cleaning"] = len(profiles.cleaning)
        flags["profiles_bd_imputed"] = int(profiles.horizons["bd_imputed"].sum())
    if grid is not None:
        out.update(gridded.harmonised_grid(grid, country))
        flags["grid_cells"] = int(out["grid_zonal"]["n_cells"].sum())
    out = timeseries.fill_gaps(out, manifest, datasets.get("auxiliary_series"))
    for dataset in ("land_areas", "organic_soils"):
        if dataset in out:
            filled = out[dataset]["area_source"] != "reported"
            flags[f"{dataset}_filled_rows"] = int(filled.sum())
    return out, flags


def _national_datasets(datasets: dict[str, pd.DataFrame], manifest: dict | None) -> dict:
    """Matrices, national totals and auxiliary series; gap-filled area series."""
    out: dict[str, pd.DataFrame] = {}
    if "land_use_changes" in datasets:
        out["land_use_changes"] = land_use_changes.harmonise_land_use_changes(
            datasets["land_use_changes"]
        )
    if "national_totals" in datasets:
        out["national_totals"] = land_use_changes.harmonise_national_totals(
            datasets["national_totals"]
        )
    series = datasets.get("auxiliary_series")
    if series is not None:
        out["auxiliary_series"] = series
    return out


def store_harmonised(
    lake: Lake, country: str, submission_id: str, manifest: dict, frames: dict[str, pd.DataFrame]
) -> dict[str, str]:
    """Write a complete new version of a country's datasets, then switch to it atomically.

    Returns the dataset paths (through the fixed links). When the current version comes from a
    newer submission, nothing is switched and the current paths are returned.
    """
    zone = lake.root / "harmonised"
    with FileLock(zone / VERSIONS / f"{country}.lock"):
        current = _current_record(lake, country)
        if current and str(current.get("submission_id", "")) > submission_id:
            return {d: str(lake.harmonised(d, country)) for d in current.get("datasets", [])}
        version = zone / VERSIONS / country / new_id("v")
        for dataset, frame in frames.items():
            tagged = frame.drop(columns="country", errors="ignore").assign(
                submission_id=submission_id
            )
            write_parquet_atomic(tagged, version / dataset / "part-0.parquet")
        record = {
            "country": country, "submission_id": submission_id, "version": version.name,
            "accepted_at": utc_now().isoformat(), "manifest": manifest, "datasets": sorted(frames),
        }  # fmt: skip
        write_json_atomic(version / "manifest.json", record)
        _link_datasets(zone, country, set(frames))
        switch_symlink(zone / CURRENT / country, Path("..") / VERSIONS / country / version.name)
        _prune_versions(zone / VERSIONS / country, keep=version.name)
    return {
        dataset: str(lake.harmonised(dataset, country) / "part-0.parquet") for dataset in frames
    }


def _link_datasets(zone: Path, country: str, datasets: set[str]) -> None:
    """The fixed links of every dataset (dangling while the current version lacks it)."""
    for dataset in sorted(set(HARMONISED_DATASETS) | datasets):
        target = Path("..") / CURRENT / country / dataset
        ensure_symlink(zone / dataset / f"country={country}", target)
    ensure_symlink(zone / MANIFESTS / f"{country}.json",
                   Path("..") / CURRENT / country / "manifest.json")  # fmt: skip


def _prune_versions(folder: Path, *, keep: str) -> None:
    """Delete versions older than the last KEPT_VERSIONS (never the current one)."""
    versions = sorted(p for p in folder.iterdir() if p.is_dir() and p.name != keep)
    for old in versions[: max(0, len(versions) - (KEPT_VERSIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def _current_record(lake: Lake, country: str) -> dict | None:
    path = lake.root / "harmonised" / CURRENT / country / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


class NotAcceptedError(NotFoundError):
    """A country named for a run has no accepted (harmonised) submission."""

    action = "submit one first (soc-inventory submit PATH, the API or the portal's upload page)"


def harmonised_manifest(lake: Lake, country: str) -> dict:
    path = lake.root / "harmonised" / "manifests" / f"{country}.json"
    if not path.exists():
        raise NotAcceptedError(f"no accepted submission for {country}")
    return json.loads(path.read_text(encoding="utf-8"))


def require_accepted(lake: Lake, countries: list[str]) -> None:
    """Raise :class:`NotAcceptedError` naming every requested country without an accepted
    submission."""
    missing = sorted(set(countries) - set(harmonised_countries(lake)))
    if missing:
        known = ", ".join(harmonised_countries(lake)) or "none yet"
        raise NotAcceptedError(f"no accepted submission for {', '.join(missing)} "
                               f"(accepted: {known})")  # fmt: skip


def harmonised_countries(lake: Lake) -> list[str]:
    manifests = (lake.root / "harmonised" / MANIFESTS).glob("*.json")
    return sorted(p.stem for p in manifests if p.exists())


def read_harmonised(lake: Lake, dataset: str, country: str) -> pd.DataFrame | None:
    """A country's harmonised dataset with its ``country`` column, or None when absent/empty."""
    path: Path = lake.harmonised(dataset, country) / "part-0.parquet"
    if not path.exists():
        return None
    frame = pd.read_parquet(path)
    if frame.empty:
        return None
    return frame.assign(country=country)


def filed_outcome(lake: Lake, country: str, submission_id: str) -> dict | None:
    """The outcome of a submission filed before: quarantined or accepted; None if neither."""
    quarantined = lake.quarantine(country, submission_id)
    if quarantined.is_dir():
        report = quarantined / "report.json"
        record = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
        count = len(record.get("failures") or [])  # failure_records(): a list of rows
        return {"accepted": False, "report": str(quarantined), "failures": count}
    if lake.validated(country, submission_id).is_dir():
        return {"accepted": True, "harmonised": {}, "flags": {}, "filed_before": True}
    return None


def file_outcome(lake: Lake, country: str, submission_id: str, result: Any) -> dict:
    """Quarantine a rejected submission (report files), or store and harmonise an accepted one.

    ``result`` is an :class:`inventory.validation.validate.ValidationResult`.
    """
    from inventory.intake.manifest import country_of
    from inventory.validation import validate

    if not result.ok:
        where = lake.quarantine(country, submission_id)
        validate.write_quarantine(result, where)
        return {"accepted": False, "report": str(where), "failures": len(result.failures)}
    if country_of(result.manifest) != country:  # validation refuses this; never cross countries
        raise ValueError(f"submission {submission_id} declares {country_of(result.manifest)} "
                         f"but is filed under {country}: not harmonised")  # fmt: skip
    frames, flags = harmonise_datasets(
        result.datasets, country, grid=result.grid, manifest=result.manifest
    )
    paths = store_harmonised(lake, country, submission_id, result.manifest, frames)
    # validated/ is written last: it marks the submission as filed (a crash before it leaves the
    # submission "received", and `soc-inventory reprocess` files it again)
    validate.write_validated(result, lake.validated(country, submission_id))
    return {"accepted": True, "harmonised": paths, "flags": flags}
