"""Accepting a validated submission: validated Parquet, harmonised partitions, manifest.

The harmonised zone keeps, per dataset and country, the data of the latest accepted
submission (``harmonised/<dataset>/country=<ISO3>/part-0.parquet``, swapped atomically) and
``harmonised/manifests/<ISO3>.json`` naming that submission, so an inventory run needs only the
country code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from inventory.harmonise import areas, gridded
from inventory.intake import grid_format
from inventory.lake.zones import Lake, replace_partition, utc_now, write_json_atomic

HARMONISED_DATASETS = (
    "land_areas", "land_units", "organic_soils", "factors", "profiles", "profile_horizons",
    "grid_zonal", "grid_soc_ref",
)  # fmt: skip


@dataclass(frozen=True)
class Accepted:
    country: str
    submission_id: str
    harmonised: dict[str, str]
    flags: dict[str, Any]


def harmonise_datasets(
    datasets: dict[str, pd.DataFrame], country: str, *, grid: grid_format.GridSource | None = None
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Canonical units (and standard depths for profiles) of every submitted dataset.

    A ``grid`` adds its zonal statistics (``grid_zonal``) and SOC_REF candidates
    (``grid_soc_ref``), computed from the file in the package (:func:`gridded.harmonised_grid`).
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
    return out, flags


def store_harmonised(
    lake: Lake, country: str, submission_id: str, manifest: dict, frames: dict[str, pd.DataFrame]
) -> dict[str, str]:
    """Swap each dataset's country partition, then write the country's manifest last."""
    paths = {}
    for dataset, frame in frames.items():
        tagged = frame.drop(columns="country", errors="ignore").assign(submission_id=submission_id)
        paths[dataset] = str(replace_partition(tagged, lake.harmonised(dataset, country)))
    for stale in set(HARMONISED_DATASETS) - set(frames):
        partition = lake.harmonised(stale, country)
        if partition.exists():
            replace_partition(pd.DataFrame({"submission_id": []}), partition)
    record = {
        "country": country, "submission_id": submission_id, "accepted_at": utc_now().isoformat(),
        "manifest": manifest, "datasets": sorted(frames),
    }  # fmt: skip
    write_json_atomic(lake.root / "harmonised" / "manifests" / f"{country}.json", record)
    return paths


def harmonised_manifest(lake: Lake, country: str) -> dict:
    path = lake.root / "harmonised" / "manifests" / f"{country}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no accepted submission for {country}: submit one first (soc-inventory submit PATH)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def require_accepted(lake: Lake, countries: list[str]) -> None:
    """Raise FileNotFoundError naming every requested country without an accepted submission."""
    missing = sorted(set(countries) - set(harmonised_countries(lake)))
    if missing:
        known = ", ".join(harmonised_countries(lake)) or "none yet"
        raise FileNotFoundError(
            f"no accepted submission for {', '.join(missing)} (accepted: {known}); "
            "submit one first (soc-inventory submit PATH)"
        )


def harmonised_countries(lake: Lake) -> list[str]:
    return sorted(p.stem for p in (lake.root / "harmonised" / "manifests").glob("*.json"))


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
    from inventory.validation import validate

    if not result.ok:
        where = lake.quarantine(country, submission_id)
        validate.write_quarantine(result, where)
        return {"accepted": False, "report": str(where), "failures": len(result.failures)}
    validate.write_validated(result, lake.validated(country, submission_id))
    frames, flags = harmonise_datasets(result.datasets, country, grid=result.grid)
    paths = store_harmonised(lake, country, submission_id, result.manifest, frames)
    return {"accepted": True, "harmonised": paths, "flags": flags}
