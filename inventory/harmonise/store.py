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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from filelock import FileLock

from inventory.core.errors import NotFoundError, UserError, lake_write_error
from inventory.harmonise import areas, gridded, land_unit_states, land_use_changes, timeseries
from inventory.intake import grid_format
from inventory.lake.sequence import next_sequence
from inventory.lake.zones import (
    Lake,
    commit_dir,
    ensure_symlink,
    new_id,
    sha256_file,
    staging_dir,
    switch_symlink,
    utc_now,
    write_json_atomic,
    write_parquet_atomic,
)

VERSIONS, CURRENT, MANIFESTS, PINS = ".versions", ".current", "manifests", ".pins"
CANDIDATES = ".candidates"  # validated submissions awaiting the compiler's decision
KEPT_VERSIONS = 2  # the current version and the one before it stay on disk

HARMONISED_DATASETS = (
    "land_areas", "land_units", "organic_soils", "factors", "profiles", "profile_horizons",
    "grid_zonal", "grid_soc_ref", "land_use_changes", "auxiliary_series", "national_totals",
    "land_unit_strata",
)  # fmt: skip


def harmonise_datasets(
    submitted: Mapping[str, pd.DataFrame | Path],
    country: str,
    *,
    grid: grid_format.GridSource | None = None,
    manifest: dict | None = None,
    submission_id: str | None = None,
) -> tuple[dict[str, Any], dict]:
    """Canonical units (and standard depths for profiles) of every submitted dataset.

    A ``grid`` adds its zonal statistics (``grid_zonal``) and SOC_REF candidates
    (``grid_soc_ref``), computed from the file in the package (:func:`gridded.harmonised_grid`).
    Area series reported for some years only are gap-filled as ``manifest`` declares
    (:func:`timeseries.fill_gaps`; every row flagged in ``area_source``).

    ``profiles`` given as a validated Parquet file (a file validated in batches) is harmonised
    part by part (:func:`profiles_file.harmonise_profiles_file`, ``SOILC_PROFILE_BATCH_ROWS``
    horizons at a time) into Parquet files beside it, tagged with ``submission_id``: its
    ``profiles`` and ``profile_horizons`` are those files' paths, not frames.
    """
    files = {name: path for name, path in submitted.items() if isinstance(path, Path)}
    datasets = {name: frame.assign(country=country) for name, frame in submitted.items()
                if isinstance(frame, pd.DataFrame)}  # fmt: skip
    if set(files) - {"profiles"}:
        raise ValueError(f"only profiles can be harmonised from a file, not {sorted(files)}")
    out: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    if "land_areas" in datasets:
        out["land_areas"] = areas.harmonise_land_areas(datasets["land_areas"])
    if "land_units" in datasets:  # encoded once: state_id + the stratum dimension table
        units = areas.harmonise_land_units(datasets["land_units"])
        out["land_units"], out["land_unit_strata"] = land_unit_states.encode_land_units(units)
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
    if "profiles" in files:
        if submission_id is None:
            raise ValueError("harmonising profiles from a file needs the submission_id")
        from inventory.core.settings import get_settings
        from inventory.harmonise.profiles_file import harmonise_profiles_file

        source = files["profiles"]
        written = harmonise_profiles_file(
            source, source.parent / f"harmonised-{source.stem}", submission_id=submission_id,
            partition_rows=get_settings().profile_batch_rows)  # fmt: skip
        out.update(written.paths)
        flags["profiles_cleaning"] = written.cleaning_rows
        flags["profiles_bd_imputed"] = written.bd_imputed
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
    lake: Lake,
    country: str,
    submission_id: str,
    manifest: dict,
    frames: dict[str, pd.DataFrame],
    *,
    sequence: int | None = None,
    approval: dict | None = None,
) -> dict[str, str]:
    """Stage ``frames`` as a candidate and make it current at once (an approved submission).

    Returns the dataset paths (through the fixed links). When the current version comes from a
    later submission (a higher lake sequence number), nothing is switched and the current paths
    are returned. ``approval`` (who, when) is recorded in the version's manifest.
    """
    sequence = sequence if sequence is not None else next_sequence(lake)
    stage_candidate(lake, country, submission_id, manifest, frames, sequence=sequence)
    record = make_current(lake, country, submission_id,
                          approval or {"approved_by": "direct", "approved_at": _now()})  # fmt: skip
    return {d: str(lake.harmonised(d, country) / "part-0.parquet") for d in record["datasets"]}


def _now() -> str:
    return utc_now().isoformat(timespec="seconds")


def candidate_dir(lake: Lake, country: str, submission_id: str) -> Path:
    """Where a validated submission's harmonised datasets wait for the compiler's decision."""
    return lake.root / "harmonised" / CANDIDATES / country / submission_id


def stage_candidate(lake: Lake, country: str, submission_id: str, manifest: dict,
                    frames: dict[str, pd.DataFrame], *, sequence: int) -> Path:  # fmt: skip
    """Write a validated submission's harmonised datasets as a candidate (not yet current).

    The candidate is written completely in a staging folder and renamed into
    ``harmonised/.candidates/<ISO3>/<submission_id>/``; :func:`make_current` moves it to a version.
    """
    final = candidate_dir(lake, country, submission_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(final)
    record = {"country": country, "submission_id": submission_id, "sequence": int(sequence),
              "validated_at": _now(), "manifest": manifest, "datasets": sorted(frames)}  # fmt: skip
    try:
        _write_version(staging, frames, submission_id)
        write_json_atomic(staging / "manifest.json", record)
    except BaseException as err:  # a full disk, a read-only zone: no partial candidate is left
        shutil.rmtree(staging, ignore_errors=True)
        if (mapped := lake_write_error(err)) is not None:
            raise mapped from err
        raise
    return commit_dir(staging, final)


def candidate_record(lake: Lake, country: str, submission_id: str) -> dict | None:
    """The manifest of a staged candidate (None when there is none)."""
    path = candidate_dir(lake, country, submission_id) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


class SupersededError(UserError):
    """A candidate older (by the lake's sequence) than the country's current input."""


def make_current(lake: Lake, country: str, submission_id: str, approval: dict) -> dict:
    """Make a staged candidate the country's current input (one atomic switch); its record.

    Submissions are ordered by the lake's sequence number (never by their ids or clocks): a
    candidate older than the current input raises :class:`SupersededError` and nothing changes.
    """
    zone = lake.root / "harmonised"
    (zone / VERSIONS).mkdir(parents=True, exist_ok=True)
    with FileLock(zone / VERSIONS / f"{country}.lock"):
        record = candidate_record(lake, country, submission_id)
        if record is None:
            raise NotFoundError(f"submission {submission_id} of {country} is not awaiting review",
                                "see the country's candidates (soc-inventory review)")  # fmt: skip
        current = _current_record(lake, country)
        if current and _sequence(current) > _sequence(record):
            raise SupersededError(
                f"submission {submission_id} (number {_sequence(record)}) is older than "
                f"{country}'s current input {current.get('submission_id')} (number "
                f"{_sequence(current)}): not made current",
                "return it, or send the data again as a new submission",
            )  # fmt: skip
        version = zone / VERSIONS / country / new_id("v")
        version.parent.mkdir(parents=True, exist_ok=True)
        record = {**record, **approval, "version": version.name, "accepted_at": _now()}
        candidate = candidate_dir(lake, country, submission_id)
        try:
            write_json_atomic(candidate / "manifest.json", record)
            os.rename(candidate, version)
            _link_datasets(zone, country, set(record["datasets"]))
        except BaseException as err:  # a full disk, a read-only zone: the current input stays
            if (mapped := lake_write_error(err)) is not None:
                raise mapped from err
            raise
        switch_symlink(zone / CURRENT / country, Path("..") / VERSIONS / country / version.name)
        _prune_versions(zone / VERSIONS / country, keep=version.name,
                        pinned=_live_pins(zone / PINS / country))  # fmt: skip
    return record


def _sequence(record: dict) -> int:
    """A harmonised record's sequence number (0 for records written before sequences)."""
    return int(record.get("sequence") or 0)


def _write_version(version: Path, frames: dict[str, Any], submission_id: str) -> None:
    """Every dataset of a new version (each tagged with its submission); a dataset given as a
    Parquet file (harmonised part by part, tagged already) is moved in."""
    for dataset, frame in frames.items():
        target = version / dataset / "part-0.parquet"
        if isinstance(frame, Path):
            if "submission_id" not in pq.read_schema(frame).names:
                raise ValueError(f"{frame} is not tagged with its submission_id")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(frame, target)
            continue
        tagged = frame.drop(columns="country", errors="ignore").assign(submission_id=submission_id)
        write_parquet_atomic(tagged, target)


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


# ---------------------------------------------------------------------------- review states
CANDIDATE, CURRENT_STATE, RETURNED = "candidate", "current", "returned"
VALIDATED, REJECTED, RECEIVED, SUPERSEDED = "validated", "rejected", "received", "superseded"
STATE_TEXT = {
    RECEIVED: "received: stored, not yet validated",
    REJECTED: "rejected: the validation report lists what to fix",
    VALIDATED: "validated (check only): kept and reported, never used by a run",
    CANDIDATE: "validated, awaiting review: a compiler approves it before runs use it",
    CURRENT_STATE: "current: the country's input that runs use",
    RETURNED: "returned by a compiler with a note: send a corrected package",
    SUPERSEDED: "superseded: a later submission became current",
}


def decision_path(lake: Lake, country: str, submission_id: str) -> Path:
    """The compiler's decision on a submission (``review/<ISO3>/<submission_id>.json``)."""
    return lake.root / "review" / country / f"{submission_id}.json"


def decision_of(lake: Lake, country: str, submission_id: str) -> dict | None:
    path = decision_path(lake, country, submission_id)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def record_decision(lake: Lake, country: str, submission_id: str, decision: dict) -> dict:
    """Keep a decision (approved or returned; written once, atomically)."""
    write_json_atomic(decision_path(lake, country, submission_id), decision)
    return decision


def _receipt_record(lake: Lake, country: str, submission_id: str) -> dict:
    path = lake.raw(country, submission_id) / "receipt.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def submission_state(lake: Lake, country: str, submission_id: str) -> str:
    """received -> rejected | validated (check only) | candidate -> current | returned; a
    current submission replaced by a later one is superseded (:data:`STATE_TEXT`)."""
    if lake.quarantine(country, submission_id).is_dir():
        return REJECTED
    if not lake.validated(country, submission_id).is_dir():
        return RECEIVED
    if _receipt_record(lake, country, submission_id).get("check_only"):
        return VALIDATED
    decision = decision_of(lake, country, submission_id) or {}
    if decision.get("decision") == RETURNED:
        return RETURNED
    current = _current_record(lake, country) or {}
    if current.get("submission_id") == submission_id:
        return CURRENT_STATE
    if candidate_dir(lake, country, submission_id).is_dir() and not decision:
        return CANDIDATE
    return SUPERSEDED


def auto_approves(country: str) -> bool:
    """True when the installation approves ``country``'s submissions at once
    (``SOILC_AUTO_APPROVE``: ISO3 codes, or ``*`` for every country; off by default)."""
    from inventory.core.settings import get_settings

    codes = {c.strip().upper() for c in get_settings().auto_approve.split(",") if c.strip()}
    return "*" in codes or country.upper() in codes


def outcome_of_state(state: str) -> dict:
    """The outcome fields every interface answers: the state, its one-line explanation, and
    whether the submission is the country's current input."""
    return {"status": state, "status_text": STATE_TEXT[state], "current": state == CURRENT_STATE}


def filed_outcome(lake: Lake, country: str, submission_id: str) -> dict | None:
    """The outcome of a submission filed before: quarantined or validated; None if neither."""
    quarantined = lake.quarantine(country, submission_id)
    if quarantined.is_dir():
        report = quarantined / "report.json"
        record = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
        count = len(record.get("failures") or [])  # failure_records(): a list of rows
        return {"accepted": False, "report": str(quarantined), "failures": count,
                **outcome_of_state(REJECTED)}  # fmt: skip
    if lake.validated(country, submission_id).is_dir():
        return {"accepted": True, "harmonised": {}, "flags": {}, "filed_before": True,
                **outcome_of_state(submission_state(lake, country, submission_id))}  # fmt: skip
    return None


def file_outcome(lake: Lake, country: str, submission_id: str, result: Any) -> dict:
    """Quarantine a rejected submission (report files), or harmonise a validated one.

    ``result`` is an :class:`inventory.validation.validate.ValidationResult`. A validated
    submission is staged as a candidate that a compiler approves (``inventory.harmonise.review``);
    it becomes current at once only where the country is auto-approved (:func:`auto_approves`).
    A "check only" submission (``check_only`` in its receipt) is validated and kept, never a
    candidate. ``accepted`` says validation passed; ``status`` what it changed.
    """
    from inventory.intake.manifest import country_of
    from inventory.validation import validate

    if not result.ok:
        where = lake.quarantine(country, submission_id)
        validate.write_quarantine(result, where)
        return {"accepted": False, "report": str(where), "failures": len(result.failures),
                **outcome_of_state(REJECTED)}  # fmt: skip
    if country_of(result.manifest) != country:  # validation refuses this; never cross countries
        raise ValueError(f"submission {submission_id} declares {country_of(result.manifest)} "
                         f"but is filed under {country}: not harmonised")  # fmt: skip
    receipt = _receipt_record(lake, country, submission_id)
    paths: dict[str, str] = {}
    flags: dict[str, Any] = {}
    if not receipt.get("check_only"):
        frames, flags = harmonise_datasets(result.datasets, country, grid=result.grid,
                                           manifest=result.manifest,
                                           submission_id=submission_id)  # fmt: skip
        sequence = receipt.get("sequence") or next_sequence(lake)  # filed without a receipt
        stage_candidate(lake, country, submission_id, result.manifest, frames,
                        sequence=int(sequence))  # fmt: skip
    # validated/ is written after the candidate: it marks the submission as filed (a crash
    # before it leaves the submission "received", and `soc-inventory reprocess` files it again)
    validate.write_validated(result, lake.validated(country, submission_id))
    if not receipt.get("check_only") and auto_approves(country):
        approval = {"approved_by": "auto-approval (SOILC_AUTO_APPROVE)", "approved_at": _now()}
        try:
            record = make_current(lake, country, submission_id, approval)
        except SupersededError:
            record_decision(lake, country, submission_id, {"decision": "superseded", **approval})
        else:
            record_decision(lake, country, submission_id, {"decision": "approved", **approval})
            paths = {d: str(lake.harmonised(d, country) / "part-0.parquet")
                     for d in record["datasets"]}  # fmt: skip
    state = submission_state(lake, country, submission_id)
    return {"accepted": True, "harmonised": paths, "flags": flags, **outcome_of_state(state)}
