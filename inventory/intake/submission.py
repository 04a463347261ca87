"""Submission packages (format v1): storing them as received, and reading them.

* :func:`receive_submission` copies the package byte for byte into
  ``raw/<country>/<submission_id>/package/`` (the user's file names, never renamed) with
  ``receipt.json`` beside that folder (sha256 and size of every file, submitter, time, and the
  ``sequence`` number the lake assigns: the one order of submissions). It stores
  whatever arrives, even a package that cannot be read: nothing sent is ever lost. The country
  is the caller's (an API token's country, whatever the package claims), else the one
  ``submission.yaml`` names (``UNKNOWN`` when it names no valid one).
* :func:`load_receipt` finds a stored submission by its id (``soc-inventory reprocess``).
* :func:`read_submission` opens a package (folder, ``.zip``, or a stored raw/ copy), checks
  ``submission.yaml`` and reads every named table (CSV, XLSX, Parquet) into string-typed frames
  indexed by spreadsheet row number (a ``grids`` NetCDF file is only checked to be there: it is
  opened by path, by ``inventory.validation.grid_checks``; so is a ``profiles`` CSV or Parquet
  file larger than ``Limits.stream_file_bytes``, which ``inventory.validation.validate`` reads
  in batches: :attr:`Submission.batched`). Package-level problems are collected and
  raised together as one :class:`SubmissionError`; row-level checks are
  ``inventory.validation.validate``'s job.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from inventory.core.errors import NotFoundError, UserError, lake_write_error
from inventory.core.failures import concat_failures, failure, failure_frame
from inventory.intake import manifest as manifest_schema
from inventory.intake.package import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    RECEIPT_NAME,
    STORED_PACKAGE,
    Limits,
    Package,
    PackageProblem,
    find_package_root,
)
from inventory.intake.readers import (
    GRID_SUFFIXES,
    PARQUET_SUFFIXES,
    SUPPORTED,
    TEXT_SUFFIXES,
    FileFormat,
    read_table,
)
from inventory.lake.sequence import next_sequence
from inventory.lake.zones import Lake, new_id, utc_now, write_json_atomic

UNKNOWN_COUNTRY = "UNKNOWN"
RECEIPT = RECEIPT_NAME
READ_ONLY = 0o444
# Datasets whose file may be validated in batches instead of read whole, and the file types.
BATCHED_DATASETS = ("profiles",)
BATCHED_SUFFIXES = TEXT_SUFFIXES + PARQUET_SUFFIXES
SUBMISSION_ID_RE = re.compile(r"^sub-[0-9]{8}T[0-9]{12}Z-[0-9a-f]{6}$")


class SubmissionError(UserError):
    """A package that cannot be read; ``failures`` is the failure table (all problems)."""

    def __init__(self, failures: pd.DataFrame | list[dict]):
        self.failures = failure_frame(failures) if isinstance(failures, list) else failures
        lines = [f"{r.file or 'package'!s}: {r.message!s}" for r in self.failures.itertuples()]
        super().__init__(f"{len(lines)} problem(s): " + "; ".join(lines[:5]))


@dataclass(frozen=True)
class Receipt:
    """Proof of what was received: where the bytes are kept and their checksums."""

    submission_id: str
    country: str
    raw_dir: str
    sha256: dict[str, str] = field(hash=False)  # relative path -> hex digest, every stored file
    received_at: str = ""
    submitter: str | None = None
    package_name: str = ""
    package_kind: str = ""  # zip | folder | file
    package_sha256: str = ""  # of the .zip bytes, or of the sorted per-file digests
    sizes: dict[str, int] = field(default_factory=dict, hash=False)
    package_dir: str = STORED_PACKAGE  # folder of the bytes inside raw_dir ("" before it existed)
    notes: dict[str, Any] = field(default_factory=dict, hash=False)  # e.g. refused, truncated
    sequence: int | None = None  # the lake's order of receipt (lake/sequence.py); None: older

    def to_json(self) -> dict[str, Any]:
        return {"submission_id": self.submission_id, "country": self.country,
                "raw_dir": self.raw_dir, "received_at": self.received_at,
                "submitter": self.submitter, "package_name": self.package_name,
                "package_kind": self.package_kind, "package_sha256": self.package_sha256,
                "package_dir": self.package_dir, "sequence": self.sequence, **self.notes,
                "files": {p: {"sha256": h, "size": self.sizes.get(p)}
                          for p, h in sorted(self.sha256.items())}}  # fmt: skip

    @classmethod
    def from_json(cls, record: dict[str, Any], raw_dir: Path) -> Receipt:
        files = record.get("files") or {}
        known = {
            "submission_id",
            "country",
            "raw_dir",
            "received_at",
            "submitter",
            "package_name",
            "package_kind",
            "package_sha256",
            "package_dir",
            "files",
            "sequence",
        }
        return cls(
            submission_id=record["submission_id"], country=record["country"],
            raw_dir=str(raw_dir), sha256={p: f["sha256"] for p, f in files.items()},
            received_at=record.get("received_at", ""), submitter=record.get("submitter"),
            package_name=record.get("package_name", ""),
            package_kind=record.get("package_kind", ""),
            package_sha256=record.get("package_sha256", ""),
            sizes={p: f.get("size") for p, f in files.items()},
            package_dir=record.get("package_dir", ""), sequence=record.get("sequence"),
            notes={k: v for k, v in record.items() if k not in known},
        )  # fmt: skip

    @property
    def package_root(self) -> Path:
        """Where the received bytes are (the folder ``find_package_root`` looks into)."""
        return Path(self.raw_dir) / self.package_dir


@dataclass
class Submission:
    """A read package: its manifest and its tables as read (text, row-number index)."""

    manifest: dict[str, Any]
    datasets: dict[str, pd.DataFrame]
    source_files: dict[str, str]  # dataset -> path inside the package
    formats: dict[str, FileFormat] = field(default_factory=dict)
    package: str = ""
    limits: Limits | None = None  # of the package, for files read later by path (grids)
    # dataset -> path inside the package of a file left unread, to be validated in batches
    # (larger than limits.stream_file_bytes; in source_files too, never in datasets)
    batched: dict[str, str] = field(default_factory=dict)

    @property
    def country(self) -> str:
        return manifest_schema.country_of(self.manifest) or UNKNOWN_COUNTRY


# ---------------------------------------------------------------------------- reading
def read_submission(path: str | Path, *, limits: Limits | None = None) -> Submission:
    """Open and read a package; raises :class:`SubmissionError` listing every problem."""
    root = find_package_root(Path(path))
    if not root.exists():
        raise NotFoundError(f"no package at {path}")
    try:
        with Package(root, limits) as package:
            return _read_package(package)
    except PackageProblem as problem:
        raise SubmissionError(failure_frame(problem.failures)) from None


def read_manifest(path: str | Path, *, limits: Limits | None = None) -> dict[str, Any]:
    """Only the package's ``submission.yaml``, after the archive checks (fast: no tables read);
    raises :class:`SubmissionError`."""
    try:
        with Package(find_package_root(Path(path)), limits) as package:
            return _manifest_of(package)
    except PackageProblem as problem:
        raise SubmissionError(failure_frame(problem.failures)) from None


def _manifest_of(package: Package) -> dict[str, Any]:
    try:
        data = package.read(MANIFEST_NAME, max_bytes=MAX_MANIFEST_BYTES)
    except PackageProblem as problem:
        if problem.failures[0]["rule_id"] == "file_missing":
            raise PackageProblem([failure(
                "missing_submission_yaml", "the package has no submission.yaml",
                "add submission.yaml (format v1, see the docs' Submission format) at the top",
                file=MANIFEST_NAME)]) from None  # fmt: skip
        raise
    manifest, problems = manifest_schema.parse_manifest(data)
    if manifest is None:
        raise PackageProblem(problems)
    return manifest


def _read_package(package: Package) -> Submission:
    manifest = _manifest_of(package)
    problems = manifest_schema.check_manifest(manifest)
    datasets, formats, sources, batched = {}, {}, {}, {}
    listed = manifest.get("files")
    files: dict = listed if isinstance(listed, dict) else {}
    for dataset, name in files.items():
        if dataset == "grids" and isinstance(name, str) and name.strip():
            sources[dataset] = name.strip()
            problems.extend(_grid_file_problems(package, name.strip()))
            continue
        if dataset not in manifest_schema.TABULAR_DATASETS or not isinstance(name, str):
            continue
        sources[dataset] = name.strip()
        try:  # a path leaving the package is reported as such, whatever its file type
            package.check_name(name.strip())
        except PackageProblem as problem:
            problems.extend(problem.failures)
            continue
        if PurePosixPath(name.strip()).suffix.lower() not in SUPPORTED:
            problems.append(failure(
                "file_type_unsupported", f"{name}: files of type "
                f"{PurePosixPath(name).suffix or '(none)'!r} cannot be read",
                f"send CSV, XLSX or Parquet ({', '.join(SUPPORTED)})", file=name))  # fmt: skip
            continue
        try:
            if _read_in_batches(package, dataset, name.strip()):
                batched[dataset] = name.strip()
                continue
            data = package.read(name.strip())
            datasets[dataset], formats[dataset] = read_table(data, name.strip(), dataset=dataset)
        except PackageProblem as problem:
            problems.extend(problem.failures)
    problems.extend(_empty_required(manifest, datasets, sources))
    if problems:
        raise PackageProblem(problems)
    manifest = {**manifest, "country": manifest_schema.country_of(manifest)}
    return Submission(manifest, datasets, sources, formats, str(package.path), package.limits,
                      batched)  # fmt: skip


def _read_in_batches(package: Package, dataset: str, name: str) -> bool:
    """Whether the file is left unread for validation in batches: a CSV or Parquet file of a
    :data:`BATCHED_DATASETS` dataset larger than ``stream_file_bytes`` (raises
    :class:`PackageProblem` when it is missing or above ``max_streamed_file_bytes``)."""
    limits = package.limits
    if dataset not in BATCHED_DATASETS or PurePosixPath(name).suffix.lower() not in (
        BATCHED_SUFFIXES
    ):
        return False
    size = package.size(name, max_bytes=limits.max_streamed_file_bytes)
    return size > limits.stream_file_bytes


def _empty_required(manifest: dict, datasets: dict, sources: dict) -> list[dict]:
    """The approach's area dataset with a header but no data rows."""
    approach = manifest.get("approach")
    needed = "land_areas" if approach == 1 else "land_units" if approach in (2, 3) else None
    if needed is None or needed not in datasets or not datasets[needed].empty:
        return []
    return [failure("file_no_rows", f"{sources[needed]} has a header but no data rows",
                    f"add the {needed} rows below the header (approach {approach} needs them)",
                    file=sources[needed])]  # fmt: skip


def _grid_file_problems(package: Package, name: str) -> list[dict]:
    """The ``grids`` file: a NetCDF file present in the package, within the size limit."""
    if PurePosixPath(name).suffix.lower() not in GRID_SUFFIXES:
        return [failure("file_type_unsupported", f"{name}: grids of type "
                        f"{PurePosixPath(name).suffix or '(none)'!r} cannot be read",
                        f"send the grid as one NetCDF file ({', '.join(GRID_SUFFIXES)})",
                        file=name)]  # fmt: skip
    try:
        package.size(name)
    except PackageProblem as problem:
        return problem.failures
    return []


# ---------------------------------------------------------------------------- receiving
def receive_submission(path: str | Path, lake: Lake, *, submitter: str | None = None,
                       country: str | None = None,
                       notes: dict[str, Any] | None = None) -> Receipt:  # fmt: skip
    """Store the package byte-identically in ``raw/`` with a receipt; return the receipt.

    A folder is copied file by file (symbolic links are not followed and not copied; they are
    listed in the receipt), a ``.zip`` or any other single file is copied as is, into the
    ``package/`` folder. The copy is staged under a dot-name, made read-only and renamed into
    place. ``country`` files it under that country whatever the package declares (the country
    of the API token that sent it); ``notes`` are added to the receipt (e.g. why it was refused).
    """
    source = Path(path)
    if not source.exists():
        raise NotFoundError(f"no package at {path}")
    country = country or _declared_country(source)
    submission_id = new_id("sub")  # unique; its time is never used to order submissions
    final = lake.raw(country, submission_id)
    staging = final.with_name(f".staging-{submission_id}")
    try:
        sequence = next_sequence(lake)
        return _store(source, staging, final, submission_id, country, submitter, notes, sequence)
    except BaseException as err:  # a full disk, a read-only raw zone: no partial submission
        shutil.rmtree(staging, ignore_errors=True)
        if (mapped := lake_write_error(err)) is not None:
            raise mapped from err
        raise


def _store(source: Path, staging: Path, final: Path, submission_id: str, country: str,
           submitter: str | None, notes: dict[str, Any] | None,
           sequence: int) -> Receipt:  # fmt: skip
    """Copy the package to ``staging``, write its receipt, rename it to ``final``."""
    package = staging / STORED_PACKAGE
    package.mkdir(parents=True)
    skipped = _copy_package(source, package)
    digests = {p: _sha256(package / p) for p in _relative_files(package)}
    sizes = {p: (package / p).stat().st_size for p in digests}
    receipt = Receipt(
        submission_id=submission_id, country=country, raw_dir=str(final), sha256=digests,
        received_at=utc_now().isoformat(), submitter=submitter, package_name=source.name,
        package_kind="folder" if source.is_dir() else "zip" if _is_zip(source) else "file",
        package_sha256=_package_digest(source, digests), sizes=sizes,
        notes={**(notes or {}), **({"skipped_symlinks": skipped} if skipped else {})},
        sequence=sequence,
    )  # fmt: skip
    write_json_atomic(staging / RECEIPT, receipt.to_json())
    for stored in [*(f"{STORED_PACKAGE}/{p}" for p in digests), RECEIPT]:
        os.chmod(staging / stored, READ_ONLY)
    os.rename(staging, final)
    return receipt


def load_receipt(lake: Lake, submission_id: str) -> Receipt:
    """The receipt of a stored submission, found by its id in any country's raw/ folder."""
    if not SUBMISSION_ID_RE.match(submission_id):
        raise NotFoundError(f"{submission_id!r} is not a submission id (they read like "
                                "sub-20260101T120000123456Z-1a2b3c)")  # fmt: skip
    found = sorted((lake.root / "raw").glob(f"*/{submission_id}/{RECEIPT}"))
    if not found:
        raise NotFoundError(f"no stored submission {submission_id} in {lake.root / 'raw'}")
    record = json.loads(found[0].read_text(encoding="utf-8"))
    return Receipt.from_json(record, found[0].parent)


def _declared_country(source: Path) -> str:
    """The manifest's country when readable and valid, else ``UNKNOWN`` (never raises)."""
    try:
        with Package(find_package_root(source)) as package:
            data = package.read(MANIFEST_NAME, max_bytes=MAX_MANIFEST_BYTES)
    except PackageProblem:
        return UNKNOWN_COUNTRY
    manifest, _ = manifest_schema.parse_manifest(data)
    return manifest_schema.country_of(manifest) or UNKNOWN_COUNTRY


def _copy_package(source: Path, target: Path) -> list[str]:
    if not source.is_dir():
        shutil.copyfile(source, target / source.name)
        return []
    skipped = []
    for root, dirs, files in os.walk(source, followlinks=False):
        rel = Path(root).relative_to(source)
        for name in [*files, *dirs]:
            item = Path(root) / name
            if item.is_symlink():
                skipped.append((rel / name).as_posix())
            elif item.is_file():
                (target / rel).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(item, target / rel / name)
    return skipped


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _sha256(path: Path) -> str:
    from inventory.lake.zones import sha256_file

    return sha256_file(path)


def _is_zip(path: Path) -> bool:
    import zipfile

    return zipfile.is_zipfile(path)


def _package_digest(source: Path, digests: dict[str, str]) -> str:
    if not source.is_dir():
        return digests[source.name]
    listing = "".join(f"{p}\0{h}\n" for p, h in sorted(digests.items()))
    return hashlib.sha256(listing.encode()).hexdigest()


def stored_files_unchanged(receipt: Receipt) -> bool:
    """True when every stored file still has the digest recorded at receipt."""
    root = receipt.package_root
    return all(_sha256(root / p) == h for p, h in receipt.sha256.items())


__all__ = ["Receipt", "Submission", "SubmissionError", "concat_failures", "load_receipt",
           "read_submission", "receive_submission", "stored_files_unchanged"]  # fmt: skip
