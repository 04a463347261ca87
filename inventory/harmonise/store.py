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

A computation reads one version, never the moving links: :func:`pin_harmonised` resolves
``.current/<ISO3>`` once (under the country's lock) and leaves a lease file
``harmonised/.pins/<ISO3>/<version>.<host>.<pid>.<token>`` for as long as the computation
runs; :class:`PinnedVersion` reads every dataset from that version's folder and records the
sha256 of the bytes it read. Pruning keeps the last KEPT_VERSIONS versions and every version a
live lease pins (a lease of a process that is gone is removed at the next prune).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

from inventory.core.errors import NotFoundError, lake_write_error
from inventory.harmonise import areas, gridded, land_use_changes, timeseries
from inventory.intake import grid_format
from inventory.lake.zones import (
    Lake,
    ensure_symlink,
    new_id,
    sha256_file,
    switch_symlink,
    utc_now,
    write_json_atomic,
    write_parquet_atomic,
)

VERSIONS, CURRENT, MANIFESTS, PINS = ".versions", ".current", "manifests", ".pins"
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
        try:
            _write_version(version, frames, submission_id)
        except BaseException as err:  # a full disk, a read-only zone: no partial version is left
            shutil.rmtree(version, ignore_errors=True)
            if (mapped := lake_write_error(err)) is not None:
                raise mapped from err
            raise
        record = {
            "country": country, "submission_id": submission_id, "version": version.name,
            "accepted_at": utc_now().isoformat(), "manifest": manifest, "datasets": sorted(frames),
        }  # fmt: skip
        try:
            write_json_atomic(version / "manifest.json", record)
            _link_datasets(zone, country, set(frames))
        except BaseException as err:
            shutil.rmtree(version, ignore_errors=True)
            if (mapped := lake_write_error(err)) is not None:
                raise mapped from err
            raise
        switch_symlink(zone / CURRENT / country, Path("..") / VERSIONS / country / version.name)
        _prune_versions(zone / VERSIONS / country, keep=version.name,
                        pinned=_live_pins(zone / PINS / country))  # fmt: skip
    return {
        dataset: str(lake.harmonised(dataset, country) / "part-0.parquet") for dataset in frames
    }


def _write_version(version: Path, frames: dict[str, pd.DataFrame], submission_id: str) -> None:
    """Every dataset of a new version (each tagged with its submission)."""
    for dataset, frame in frames.items():
        tagged = frame.drop(columns="country", errors="ignore").assign(submission_id=submission_id)
        write_parquet_atomic(tagged, version / dataset / "part-0.parquet")


def _link_datasets(zone: Path, country: str, datasets: set[str]) -> None:
    """The fixed links of every dataset (dangling while the current version lacks it)."""
    for dataset in sorted(set(HARMONISED_DATASETS) | datasets):
        target = Path("..") / CURRENT / country / dataset
        ensure_symlink(zone / dataset / f"country={country}", target)
    ensure_symlink(zone / MANIFESTS / f"{country}.json",
                   Path("..") / CURRENT / country / "manifest.json")  # fmt: skip


def _prune_versions(folder: Path, *, keep: str, pinned: set[str] | None = None) -> None:
    """Delete versions older than the last KEPT_VERSIONS (never the current one, never one a
    running computation pins)."""
    versions = sorted(p for p in folder.iterdir() if p.is_dir() and p.name != keep)
    for old in versions[: max(0, len(versions) - (KEPT_VERSIONS - 1))]:
        if old.name not in (pinned or set()):
            shutil.rmtree(old, ignore_errors=True)


def _live_pins(folder: Path) -> set[str]:
    """Versions pinned by a live lease in ``folder`` (leases of dead processes are removed)."""
    live: set[str] = set()
    for lease in folder.glob("*") if folder.is_dir() else ():
        version, _, owner = lease.name.partition(".")
        host, _, rest = owner.rpartition(".")  # <host>.<pid>, then the token
        host, _, pid = host.rpartition(".")
        if host != socket.gethostname() or _pid_alive(pid):
            live.add(version)  # another machine's lease: not ours to judge
        else:
            lease.unlink(missing_ok=True)
    return live


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


@dataclass
class PinnedVersion:
    """One country's harmonised version, read by a whole computation (see module docstring).

    ``read_sha256`` maps every dataset read so far to the sha256 of the bytes read.
    """

    root: Path  # harmonised/.versions/<ISO3>/<version>
    country: str
    record: dict  # the version's manifest.json (submission_id, version, manifest, datasets)
    read_sha256: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.root.name

    @property
    def submission_id(self) -> str | None:
        return self.record.get("submission_id")

    def path(self, dataset: str) -> Path:
        """The dataset's Parquet file in this version (may not exist)."""
        return self.root / dataset / "part-0.parquet"

    def has(self, dataset: str) -> bool:
        return self.path(dataset).is_file()

    def read(self, dataset: str) -> pd.DataFrame | None:
        """The dataset with its ``country`` column, or None when absent or empty; the sha256
        of the bytes read is recorded."""
        path = self.path(dataset)
        if not path.is_file():
            return None
        data = path.read_bytes()
        self.read_sha256[dataset] = hashlib.sha256(data).hexdigest()
        frame = pd.read_parquet(io.BytesIO(data))
        return None if frame.empty else frame.assign(country=self.country)

    def sha256(self, dataset: str) -> str:
        """sha256 of the dataset's file (the bytes read when it was read; files of a version
        never change)."""
        if dataset not in self.read_sha256:
            self.read_sha256[dataset] = sha256_file(self.path(dataset))
        return self.read_sha256[dataset]


@contextmanager
def pin_harmonised(lake: Lake, country: str) -> Iterator[PinnedVersion]:
    """The country's current harmonised version, kept on disk until the block ends.

    Raises :class:`NotAcceptedError` when the country has no accepted submission.
    """
    zone = lake.root / "harmonised"
    (zone / VERSIONS).mkdir(parents=True, exist_ok=True)
    with FileLock(zone / VERSIONS / f"{country}.lock"):  # no switch nor prune meanwhile
        current = zone / CURRENT / country
        if not (current / "manifest.json").is_file():
            raise NotAcceptedError(f"no accepted submission for {country}")
        root = zone / VERSIONS / country / Path(os.readlink(current)).name
        record = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        lease = (
            zone
            / PINS
            / country
            / (f"{root.name}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}")
        )
        lease.parent.mkdir(parents=True, exist_ok=True)
        lease.touch()
    try:
        yield PinnedVersion(root, country, record)
    finally:
        lease.unlink(missing_ok=True)


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
