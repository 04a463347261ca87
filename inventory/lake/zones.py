"""The data lake: zones, immutable raw storage, run folders and atomic publishing.

Layout (documented for users in ``data_lake/README.md``)::

    raw/<country>/<submission_id>/          submission bytes as received + receipt.json (immutable)
    quarantine/<country>/<submission_id>/   validation report of a rejected submission
    validated/<country>/<submission_id>/    accepted datasets as Parquet, canonical columns
    harmonised/<dataset>/country=<ISO3>/    canonical units and standard depths (read through one
                                            pointer per country: harmonise/store.py)
    runs/<run_id>/                          one inventory run: tables + manifest.json
    releases/<release_id>/                  one complete published release (all tables)
    published -> releases/<release_id>      symlink, switched atomically by os.replace
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inventory.core.errors import lake_write_error

ZONES = ("raw", "quarantine", "validated", "harmonised", "runs", "releases")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """Sortable unique id: ``<prefix>-YYYYmmddTHHMMSSffffffZ-<6 hex>``."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    return f"{prefix}-{stamp}-{secrets.token_hex(3)}"


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    """Write JSON to a temp file beside ``path`` then rename it into place."""
    path = Path(path)
    with _written(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=2, sort_keys=True, default=str)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


@contextmanager
def _written(path: Path, tmp: Path | None = None) -> Iterator[None]:
    """Writing ``path``: on failure the temporary file ``tmp`` is removed, and a full disk or a
    read-only place becomes a :class:`~inventory.core.errors.LakeWriteError` naming ``path``
    (an OSError from pyarrow may carry its errno only in its text)."""
    try:
        yield
    except BaseException as err:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            code = err.errno
            if code is None:
                found = re.search(r"errno (\d+)", str(err), flags=re.IGNORECASE)
                code = int(found.group(1)) if found else None
            mapped = lake_write_error(
                OSError(code, os.strerror(code), err.filename or str(path)) if code else err
            )
            if mapped is not None:
                raise mapped from err
        raise


@dataclass(frozen=True)
class Lake:
    """Paths of the zones below one lake root."""

    root: Path

    @classmethod
    def at(cls, root: str | Path) -> Lake:
        lake = cls(Path(root).resolve())
        for zone in ZONES:
            (lake.root / zone).mkdir(parents=True, exist_ok=True)
        return lake

    def raw(self, country: str, submission_id: str) -> Path:
        return self.root / "raw" / country / submission_id

    def quarantine(self, country: str, submission_id: str) -> Path:
        return self.root / "quarantine" / country / submission_id

    def validated(self, country: str, submission_id: str) -> Path:
        return self.root / "validated" / country / submission_id

    def harmonised(self, dataset: str, country: str) -> Path:
        return self.root / "harmonised" / dataset / f"country={country}"

    def run(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def release(self, release_id: str) -> Path:
        return self.root / "releases" / release_id

    @property
    def published(self) -> Path:
        return self.root / "published"


def write_parquet_atomic(frame: Any, path: str | Path) -> Path:
    """Write one Parquet file (zstd) beside ``path`` under a temp name, then rename it in."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with _written(path, tmp):
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    return path


def write_csv_atomic(frame: Any, path: str | Path) -> Path:
    """Write a UTF-8 CSV (for spreadsheet users) under a temp name, then rename it in; cells a
    spreadsheet would run as formulas are neutralised (:mod:`inventory.core.spreadsheet`)."""
    from inventory.core.spreadsheet import write_csv

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with _written(path, tmp):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(frame, tmp)
        os.replace(tmp, path)
    return path


def replace_partition(frame: Any, partition: Path, *, filename: str = "part-0.parquet") -> Path:
    """Swap a whole partition directory for one holding ``frame`` (each rename is atomic).

    The new partition is staged in a sibling dot-directory of the dataset root's parent, so no
    reader globbing the dataset root can see it half-written (DuckDB globs include dot dirs).
    """
    staging_root = partition.parent.parent / f".staging-{secrets.token_hex(4)}"
    staged = staging_root / partition.name
    write_parquet_atomic(frame, staged / filename)
    partition.parent.mkdir(parents=True, exist_ok=True)
    trash = staging_root / "old"
    if partition.exists():
        os.rename(partition, trash)
    os.rename(staged, partition)
    _remove_tree(staging_root)
    return partition / filename


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def switch_symlink(link: Path, target: str | Path) -> None:
    """Point ``link`` at ``target`` atomically (a new link renamed over the old one)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.{secrets.token_hex(4)}.link")
    temporary.symlink_to(target)
    os.replace(temporary, link)


def ensure_symlink(link: Path, target: str | Path) -> None:
    """Create ``link`` -> ``target`` unless it already points there (a real folder is replaced)."""
    if link.is_symlink() and os.readlink(link) == str(target):
        return
    if link.exists() and not link.is_symlink():  # a lake written before pointers existed
        trash = link.with_name(f".{link.name}.{secrets.token_hex(4)}.old")
        os.rename(link, trash)
        _remove_tree(trash)
    switch_symlink(link, target)


def staging_dir(final: Path) -> Path:
    """A fresh hidden sibling folder of ``final`` to build it in (see :func:`commit_dir`)."""
    staging = final.with_name(f".staging-{final.name}-{secrets.token_hex(4)}")
    staging.mkdir(parents=True)
    return staging


def commit_dir(staging: Path, final: Path) -> Path:
    """Rename a completely written ``staging`` folder to ``final`` (replacing an old one).

    A reader sees the old folder or the new one, never a half-written one; a crash before the
    rename leaves only the hidden staging folder, which no zone listing reads.
    """
    if final.exists():
        trash = final.with_name(f".trash-{final.name}-{secrets.token_hex(4)}")
        os.rename(final, trash)
        os.rename(staging, final)
        _remove_tree(trash)
    else:
        os.rename(staging, final)
    return final


def make_read_only(root: Path) -> None:
    """Remove every write bit below ``root`` (files 0444; folders keep their mode)."""
    for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
        if path.is_file() and not path.is_symlink():
            os.chmod(path, READ_ONLY)


READ_ONLY = 0o444
