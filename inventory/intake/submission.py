"""Submission packages (format v1): storing them as received, and reading them.

* :func:`receive_submission` copies the package byte for byte into
  ``raw/<country>/<submission_id>/`` with ``receipt.json`` (sha256 and size of every file,
  submitter, time). It stores whatever arrives, even a package that cannot be read (country
  ``UNKNOWN`` when ``submission.yaml`` does not name a valid one): nothing sent is ever lost.
* :func:`read_submission` opens a package (folder, ``.zip``, or a stored raw/ copy), checks
  ``submission.yaml`` and reads every named table (CSV, XLSX, Parquet) into string-typed frames
  indexed by spreadsheet row number (a ``grids`` NetCDF file is only checked to be there: it is
  opened by path, by ``inventory.validation.grid_checks``). Package-level problems are collected and
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

from inventory.core.failures import concat_failures, failure, failure_frame
from inventory.intake import manifest as manifest_schema
from inventory.intake.package import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    Limits,
    Package,
    PackageProblem,
    find_package_root,
)
from inventory.intake.readers import GRID_SUFFIXES, SUPPORTED, FileFormat, read_table
from inventory.lake.zones import Lake, new_id, utc_now, write_json_atomic

UNKNOWN_COUNTRY = "UNKNOWN"
RECEIPT = "receipt.json"
_SUBMISSION_ID = re.compile(r"sub-[0-9A-Za-z]+-[0-9a-f]+")  # zones.new_id("sub")
READ_ONLY = 0o444


class SubmissionError(Exception):
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

    def to_json(self) -> dict[str, Any]:
        return {"submission_id": self.submission_id, "country": self.country,
                "raw_dir": self.raw_dir, "received_at": self.received_at,
                "submitter": self.submitter, "package_name": self.package_name,
                "package_kind": self.package_kind, "package_sha256": self.package_sha256,
                "files": {p: {"sha256": h, "size": self.sizes.get(p)}
                          for p, h in sorted(self.sha256.items())}}  # fmt: skip


@dataclass
class Submission:
    """A read package: its manifest and its tables as read (text, row-number index)."""

    manifest: dict[str, Any]
    datasets: dict[str, pd.DataFrame]
    source_files: dict[str, str]  # dataset -> path inside the package
    formats: dict[str, FileFormat] = field(default_factory=dict)
    package: str = ""
    limits: Limits | None = None  # of the package, for files read later by path (grids)

    @property
    def country(self) -> str:
        return manifest_schema.country_of(self.manifest) or UNKNOWN_COUNTRY


# ---------------------------------------------------------------------------- reading
def read_submission(path: str | Path, *, limits: Limits | None = None) -> Submission:
    """Open and read a package; raises :class:`SubmissionError` listing every problem."""
    root = find_package_root(Path(path))
    if not root.exists():
        raise FileNotFoundError(f"no package at {path}")
    try:
        with Package(root, limits) as package:
            return _read_package(package)
    except PackageProblem as problem:
        raise SubmissionError(failure_frame(problem.failures)) from None


def _read_package(package: Package) -> Submission:
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
    problems = manifest_schema.check_manifest(manifest)
    datasets, formats, sources = {}, {}, {}
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
        if PurePosixPath(name.strip()).suffix.lower() not in SUPPORTED:
            problems.append(failure(
                "file_type_unsupported", f"{name}: files of type "
                f"{PurePosixPath(name).suffix or '(none)'!r} cannot be read",
                f"send CSV, XLSX or Parquet ({', '.join(SUPPORTED)})", file=name))  # fmt: skip
            continue
        try:
            datasets[dataset], formats[dataset] = read_table(package.read(name.strip()),
                                                             name.strip())  # fmt: skip
        except PackageProblem as problem:
            problems.extend(problem.failures)
    if problems:
        raise PackageProblem(problems)
    manifest = {**manifest, "country": manifest_schema.country_of(manifest)}
    return Submission(manifest, datasets, sources, formats, str(package.path), package.limits)


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
def receive_submission(path: str | Path, lake: Lake, *, submitter: str | None = None) -> Receipt:
    """Store the package byte-identically in ``raw/`` with a receipt; return the receipt.

    A folder is copied file by file (symbolic links are not followed and not copied; they are
    listed in the receipt), a ``.zip`` or any other single file is copied as is. The copy is
    staged under a dot-name and renamed into place, then made read-only.
    """
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"no package at {path}")
    country = _declared_country(source)
    submission_id = new_id("sub")
    final = lake.raw(country, submission_id)
    staging = final.with_name(f".staging-{submission_id}")
    staging.mkdir(parents=True)
    skipped = _copy_package(source, staging)
    digests = {p: _sha256(staging / p) for p in _relative_files(staging)}
    sizes = {p: (staging / p).stat().st_size for p in digests}
    receipt = Receipt(
        submission_id=submission_id, country=country, raw_dir=str(final), sha256=digests,
        received_at=utc_now().isoformat(), submitter=submitter, package_name=source.name,
        package_kind="folder" if source.is_dir() else "zip" if _is_zip(source) else "file",
        package_sha256=_package_digest(source, digests), sizes=sizes,
    )  # fmt: skip
    record = receipt.to_json()
    if skipped:
        record["skipped_symlinks"] = skipped
    write_json_atomic(staging / RECEIPT, record)
    for stored in [*digests, RECEIPT]:
        os.chmod(staging / stored, READ_ONLY)
    os.rename(staging, final)
    return receipt


def load_receipt(lake: Lake, submission_id: str) -> Receipt:
    """The receipt of a stored submission, found by its id under ``raw/<country>/``.

    Raises
    ------
    FileNotFoundError
        No stored submission has that id (or the id is not one this system writes).
    """
    found = []
    if _SUBMISSION_ID.fullmatch(submission_id):
        found = sorted((lake.root / "raw").glob(f"*/{submission_id}/{RECEIPT}"))
    if not found:
        raise FileNotFoundError(f"no stored submission {submission_id!r} in {lake.root / 'raw'}")
    record = json.loads(found[0].read_text(encoding="utf-8"))
    files = record.get("files", {})
    return Receipt(
        submission_id=record["submission_id"], country=record["country"],
        raw_dir=str(found[0].parent), sha256={p: f["sha256"] for p, f in files.items()},
        received_at=record.get("received_at", ""), submitter=record.get("submitter"),
        package_name=record.get("package_name", ""), package_kind=record.get("package_kind", ""),
        package_sha256=record.get("package_sha256", ""),
        sizes={p: f.get("size") for p, f in files.items()},
    )  # fmt: skip


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
    root = Path(receipt.raw_dir)
    return all(_sha256(root / p) == h for p, h in receipt.sha256.items())


__all__ = ["Receipt", "Submission", "SubmissionError", "concat_failures", "read_submission",
           "receive_submission", "stored_files_unchanged"]  # fmt: skip
