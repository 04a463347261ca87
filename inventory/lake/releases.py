"""Versioned runs and atomic releases of the published tables.

A run writes ``runs/<run_id>/<table>/country=<ISO3>/part-0.parquet`` (reporting tables also as
``<table>_<ISO3>.csv`` beside it), each file read-only, and, last of all,
``runs/<run_id>/manifest.json`` with the sha256 of every file as written (a run without a
manifest is incomplete and is never published). Each file keeps its ``country`` column; tables
given as Arrow tables keep their schema metadata (field descriptions and units, release id:
``inventory.engine.reporting_tables.published_schema``), so the checksums are those of the
published files. A
manifest may name the ``release_id`` the run is to be published as (written into its files).

Publishing (:func:`publish_run`) holds one lake-wide lock (``releases/.publish.lock``) from start
to end, so concurrent publishers take turns and each builds on the release that is current under
the lock: no release is lost from the history and no country update is dropped. It builds a
complete new release in ``releases/.tmp-<release_id>/``: the run's country partitions plus,
hard-linked, every other country's partitions of the previous release, ``checksums.json``
(sha256 of every file) and ``releases.parquet`` (all releases so far). Every file is checked
against its recorded sha256 before it is linked, and every file of a release is read-only (hard
links share one inode: a writable file would be one edit away from corrupting every release).
The directory is renamed to ``releases/<release_id>/`` and the ``published`` symlink switched to
it with ``os.replace``: readers see the old release or the new one, never a mix, and a crash at
any point leaves the previous release readable and complete.

A release never silently loses data: publishing refuses when a country, a stratum or a year of
the previous release's ``soc_stocks`` would be missing from the new one, unless the run withdraws
that country (``withdraw`` in its parameters, CLI ``run --withdraw ISO3``). The comparison uses
the key columns (country, year, stratum), whose names are the same in schema versions 1 and 2,
with the country taken from the partition folder (schema 1 files have no country column). A run
whose invariant checks failed is refused too, and so is a run whose table repeats a key (its
grain, recorded in the run's manifest) within one country: a country computed twice. Publishing
the same run again returns its release (idempotent). Every refusal is a
:class:`PublishError` (a user error) with the action that resolves it; a publisher that waits
too long for the lock gets a :class:`~inventory.core.errors.LockTimeoutError`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from filelock import FileLock, Timeout

from inventory.core import vocab
from inventory.core.errors import DamagedLakeError, LockTimeoutError, UserError, lake_write_error
from inventory.core.failures import listed
from inventory.lake.zones import (
    READ_ONLY,
    Lake,
    make_read_only,
    new_id,
    sha256_file,
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
    "inventory_stocks",
    "soc_loss_n2o",
    "agriculture_n2o",
    "land_transition_matrix",
    "uncertainty_analysis",
    "key_categories",
    "soil_areas",
)
PARTITION_FILE = "part-0.parquet"
# Tables also written as CSV beside the Parquet file (reporting tables opened in spreadsheets).
CSV_TABLES = ("unfccc_tables", "land_transition_matrix", "key_categories")
MANIFEST = "manifest.json"
RELEASES_FILE = "releases.parquet"
CHECKSUMS = "checksums.json"
PUBLISH_LOCK = ".publish.lock"
OWNER_FILE = ".owner"
# A publish takes seconds; a publisher waits this long for the others before giving up.
PUBLISH_LOCK_TIMEOUT_S = 600.0
COVERAGE_TABLE = "soc_stocks"  # the grain a release must keep: country, year, stratum
COVERAGE_KEYS = ("country", "year", *vocab.STRATUM_KEYS)


class PublishError(UserError):
    """A run cannot be published (incomplete, unknown, damaged, or it would lose data)."""


class ChangedReleaseFileError(DamagedLakeError):
    """A file of a published release differs from the sha256 recorded when it was published."""

    action = ("restore the release folder from a backup of the lake, or republish: recompute "
              "the country whose file changed (soc-inventory run --country ISO3)")  # fmt: skip


# (path) -> (size, mtime_ns, ctime_ns, inode) of a file whose sha256 matched, in this process:
# every file read from a release is hashed once per process and version of the file.
_VERIFIED: dict[str, tuple[int, int, int, int]] = {}


def _stamp(path: Path) -> tuple[int, int, int, int]:
    info = path.stat()
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def release_checksums(release: Path) -> dict[str, str]:
    """The sha256 of every file of a release, as published (``checksums.json``)."""
    path = release / CHECKSUMS
    if not path.is_file():
        raise ChangedReleaseFileError(f"{path} is missing: the release cannot be verified")
    return _read_json(path)


def verified(release: Path, path: Path, checksums: dict[str, str] | None = None) -> Path:
    """``path`` (a file of ``release``) once its sha256 matches the release's checksums.

    Raises :class:`ChangedReleaseFileError` naming the file when it was changed, added or
    removed after publishing. Hashed once per process while its size, times and inode stay.
    """
    key = str(path)
    if path.is_file() and _VERIFIED.get(key) == _stamp(path):
        return path
    sums = checksums if checksums is not None else release_checksums(release)
    relative = path.relative_to(release).as_posix()
    expected = sums.get(relative)
    if expected is None or not path.is_file():
        raise ChangedReleaseFileError(
            f"{path} is {'not listed in' if expected is None else 'missing from'} the checksums "
            f"of release {release.name}: the release was changed after publishing"
        )
    stamp = _stamp(path)
    actual = sha256_file(path)
    if actual != expected:
        raise ChangedReleaseFileError(
            f"{path} was changed after release {release.name} was published (sha256 "
            f"{actual[:12]}..., published {expected[:12]}...): not served"
        )
    _VERIFIED[key] = stamp
    return path


def verified_files(release: Path, paths: list[Path]) -> list[Path]:
    """Every one of ``paths`` verified (:func:`verified`), checksums read once."""
    if all(p.is_file() and _VERIFIED.get(str(p)) == _stamp(p) for p in paths):
        return paths
    sums = release_checksums(release)
    return [verified(release, p, sums) for p in paths]


def read_history(release: Path) -> pd.DataFrame:
    """``releases.parquet`` of a release, verified: its checksum, and the chain of histories
    (each row's ``previous_history_sha256`` against the previous release's file, and the
    previous file's rows repeated unchanged)."""
    history_path = verified(release, release / RELEASES_FILE)
    history = pd.read_parquet(history_path)
    if "previous_history_sha256" not in history.columns or history.empty:
        return history
    root = release.parent
    for row in history.dropna(subset=["previous_history_sha256"]).itertuples():
        earlier = root / str(row.previous_release_id) / RELEASES_FILE
        if not earlier.is_file():
            continue  # an older release folder removed by the operator: nothing to compare
        stamp = _stamp(earlier)
        if _VERIFIED.get(str(earlier)) != stamp:
            if sha256_file(earlier) != row.previous_history_sha256:
                raise ChangedReleaseFileError(
                    f"{earlier} was changed after it was published: release {row.release_id} "
                    f"recorded its sha256 {str(row.previous_history_sha256)[:12]}..."
                )
            _VERIFIED[str(earlier)] = stamp
    previous = history["previous_release_id"].iloc[-1]
    earlier = root / str(previous) / RELEASES_FILE
    if isinstance(previous, str) and earlier.is_file():
        before = pd.read_parquet(earlier)
        keys = ["release_id", "run_id", "countries", "published_at"]
        if not before[keys].astype(str).equals(history[keys].iloc[:-1].astype(str)
                                              .reset_index(drop=True)):  # fmt: skip
            raise ChangedReleaseFileError(
                f"{history_path} does not repeat the history of release {previous}: the "
                "history was changed after publishing"
            )
    return history


@dataclass(frozen=True)
class Release:
    release_id: str
    run_id: str
    path: Path
    countries: tuple[str, ...]
    refused: tuple[dict, ...] = ()  # countries of the run not published: message and action


def _by_country(frame: pd.DataFrame | pa.Table):
    """(country, rows) per country, sorted; Arrow tables keep their schema and metadata."""
    if isinstance(frame, pa.Table):
        for country in sorted(pc.unique(frame["country"]).to_pylist()):
            yield country, frame.filter(pc.equal(frame["country"], country))
    else:
        yield from frame.groupby("country", sort=True)


def write_run(lake: Lake, run_id: str, tables: dict[str, pd.DataFrame | pa.Table],
              manifest: dict) -> Path:  # fmt: skip
    """Write a run's tables (one read-only Parquet file per table and country), then its manifest
    with the sha256 of every file as written."""
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
    files = {p: sha256_file(run_dir / p) for p in _relative_files(run_dir)}
    make_read_only(run_dir)
    record = {**manifest, "run_id": run_id, "row_counts": counts, "files": files}
    write_json_atomic(run_dir / MANIFEST, record)
    os.chmod(run_dir / MANIFEST, READ_ONLY)
    return run_dir


def _relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.name.startswith("."))  # fmt: skip


def current_release(lake: Lake) -> Path | None:
    """The release directory ``published`` points to, or None before the first publish."""
    link = lake.published
    return link.resolve() if link.is_symlink() else None


def _link_tree(source: Path, target: Path, checksums: dict[str, str] | None = None,
               base: Path | None = None) -> None:  # fmt: skip
    """Recreate ``source`` under ``target`` with hard links, each file checked first against
    ``checksums`` (keyed by its path relative to ``base``)."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        if checksums is not None and base is not None:
            _verify(path, checksums.get(path.relative_to(base).as_posix()))
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)


def _verify(path: Path, expected: str | None) -> None:
    if expected is None:
        raise PublishError(f"{path} is not listed in its manifest: refusing to publish it")
    actual = sha256_file(path)
    if actual != expected:
        raise PublishError(
            f"{path} was changed after it was written (sha256 {actual[:12]}..., recorded "
            f"{expected[:12]}...): nothing published; the previous release is untouched. "
            "Rerun the inventory to recompute it."
        )


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _release_id(lake: Lake, manifest: dict) -> str:
    """The release id the run's files name (its manifest's), else a new one."""
    planned = manifest.get("release_id")
    if planned and not lake.release(str(planned)).exists():
        return str(planned)
    return new_id("release")


# The columns of releases.parquet (the release history), with their descriptions (Arrow field
# metadata, as on every published table).
RELEASES_FIELDS = {
    "release_id": "id of the release (its folder releases/<release_id>/)",
    "run_id": "id of the run whose countries the release published (runs/<run_id>/)",
    "countries": "countries computed by that run, comma-separated ISO 3166-1 alpha-3 codes",
    "published_at": "time of publishing, ISO 8601 in UTC",
    "previous_release_id": "the release this one was built on (empty for the first release)",
    "previous_history_sha256": "sha256 of the previous release's releases.parquet, the history "
    "this row extends (empty for the first release and for rows written before it existed): "
    "an edited history breaks this chain",
}


def _release_rows(previous: Path | None, release: Release, published_at: str) -> pa.Table:
    """The history of ``previous`` plus this release's row, every field described."""
    history = previous / RELEASES_FILE if previous is not None else None
    row = pd.DataFrame([{
        "release_id": release.release_id, "run_id": release.run_id,
        "countries": ",".join(release.countries), "published_at": published_at,
        "previous_release_id": previous.name if previous else None,
        "previous_history_sha256": sha256_file(history) if history and history.exists() else None,
    }])  # fmt: skip
    if history is not None and history.exists():
        row = pd.concat([pd.read_parquet(history), row], ignore_index=True)
    fields = [pa.field(name, pa.string(), metadata={"description": text, "unit": ""})
              for name, text in RELEASES_FIELDS.items()]  # fmt: skip
    frame = row.reindex(columns=list(RELEASES_FIELDS)).astype(object)
    frame = frame.where(frame.notna(), None)
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def _release_of_run(lake: Lake, previous: Path | None, run_id: str) -> Release | None:
    """The release that already published ``run_id`` (publishing is idempotent by run id)."""
    if previous is None or not (previous / RELEASES_FILE).exists():
        return None
    history = pd.read_parquet(previous / RELEASES_FILE)
    rows = history[history["run_id"] == run_id]
    if rows.empty:
        return None
    row = rows.iloc[-1]
    countries = tuple(c for c in str(row["countries"]).split(",") if c)
    return Release(str(row["release_id"]), run_id, lake.release(str(row["release_id"])), countries)


def _clean_orphans(lake: Lake) -> None:
    """Remove staging left by killed publishers. Only called under the publish lock, when no
    live publisher can own a staging folder; the owner file is checked all the same."""
    for stale in (lake.root / "releases").glob(".tmp-*"):
        if not _owner_alive(stale / OWNER_FILE):
            shutil.rmtree(stale, ignore_errors=True)
    for stale in lake.root.glob(".published-*"):
        stale.unlink(missing_ok=True)


def _owner_alive(owner: Path) -> bool:
    try:
        host, pid = owner.read_text(encoding="utf-8").split()
        if host != socket.gethostname():
            return True  # another machine's publisher: not ours to judge
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def publish_run(
    lake: Lake, run_id: str, *, lock_timeout: float = PUBLISH_LOCK_TIMEOUT_S
) -> Release:
    """Make a complete run the current release, atomically (see module docstring)."""
    run_dir = lake.run(run_id)
    if not (run_dir / MANIFEST).exists():
        raise PublishError(f"run {run_id} has no manifest.json: incomplete, not published")
    manifest = _read_json(run_dir / MANIFEST)
    _refuse_failed_checks(run_id, manifest)
    (lake.root / "releases").mkdir(parents=True, exist_ok=True)
    with _publish_lock(lake, lock_timeout):
        previous = current_release(lake)
        done = _release_of_run(lake, previous, run_id)
        if done is not None:
            return done
        _clean_orphans(lake)
        release_id = _release_id(lake, manifest)
        staging = lake.root / "releases" / f".tmp-{release_id}"
        staging.mkdir()
        (staging / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}", "utf-8")
        try:
            release = _build(lake, run_dir, manifest, previous, staging, release_id)
        except BaseException as err:
            shutil.rmtree(staging, ignore_errors=True)  # only our own staging
            if (mapped := lake_write_error(err)) is not None:
                raise mapped from err
            raise
        _switch(lake, staging, release)
    return release


@contextmanager
def _publish_lock(lake: Lake, timeout: float) -> Iterator[None]:
    """The lake-wide publish lock; :class:`LockTimeoutError` when not had within ``timeout``."""
    lock = FileLock(lake.root / "releases" / PUBLISH_LOCK, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeoutError(
            f"another publisher held the lake's publish lock for more than {timeout:g} s: "
            "nothing published", "try again when the other run has published (soc-inventory "
            "status lists the releases)",
        ) from None  # fmt: skip
    try:
        yield
    finally:
        lock.release()


def _build(lake: Lake, run_dir: Path, manifest: dict, previous: Path | None, staging: Path,
           release_id: str) -> Release:  # fmt: skip
    """Stage the complete release (verified files, checksums, history) in ``staging``."""
    withdrawn = set(withdrawn_countries(manifest))
    refused = _coverage_refusals(previous, run_dir, manifest, withdrawn)
    countries = tuple(sorted(set(manifest.get("countries", [])) - set(refused)))
    if not countries and refused:
        raise next(iter(refused.values()))
    run_files = manifest.get("files")
    old_sums = (
        _read_json(previous / CHECKSUMS) if previous and (previous / CHECKSUMS).exists() else None
    )
    for table in PUBLISHED_TABLES:
        if previous is not None and (previous / table).exists():
            for part in sorted((previous / table).glob("country=*")):
                if part.name.removeprefix("country=") not in {*countries, *withdrawn} or (
                        part.name.removeprefix("country=") in refused):  # fmt: skip
                    _link_tree(part, staging / table / part.name, old_sums, previous)
        for part in sorted((run_dir / table).glob("country=*")):
            if part.name.removeprefix("country=") in countries:
                _link_tree(part, staging / table / part.name, run_files, run_dir)
    guard_unique_keys(run_dir, manifest)
    guard_coverage(previous, staging, withdrawn - set(refused))
    refusals = tuple(manifest.get("refused_before_computing") or []) + tuple(
        {"country": c, "message": e.message, "action": e.action, "code": e.code}
        for c, e in sorted(refused.items()))  # fmt: skip
    release = Release(release_id, str(manifest["run_id"]), lake.release(release_id), countries,
                      refusals)  # fmt: skip
    rows = _release_rows(previous, release, utc_now().isoformat())
    write_parquet_atomic(rows, staging / RELEASES_FILE)
    write_json_atomic(staging / "release.json", {
        **rows.slice(rows.num_rows - 1).to_pylist()[0],
        "withdrawn": sorted(withdrawn - set(refused)),
        "refused": list(refusals), "provenance": _provenance(previous, manifest, countries),
        "inputs": run_inputs(manifest),
    })  # fmt: skip
    write_json_atomic(staging / CHECKSUMS, {p: sha256_file(staging / p)
                                            for p in _relative_files(staging)})  # fmt: skip
    (staging / OWNER_FILE).unlink()
    make_read_only(staging)
    return release


def _switch(lake: Lake, staging: Path, release: Release) -> None:
    """Rename the staged release into place and switch ``published`` to it; when the switch
    fails (a full disk, a read-only lake) the release is taken back out: no release that was
    never current is left."""
    os.rename(staging, release.path)
    pointer = lake.root / f".published-{release.release_id}"
    try:
        pointer.symlink_to(Path("releases") / release.release_id)
        os.replace(pointer, lake.published)
    except BaseException as err:
        pointer.unlink(missing_ok=True)
        os.rename(release.path, staging)
        shutil.rmtree(staging, ignore_errors=True)
        if (mapped := lake_write_error(err)) is not None:
            raise mapped from err
        raise


def run_inputs(manifest: dict) -> dict[str, dict]:
    """Per country of a run: the accepted submission, the harmonised version every input was
    read from and the sha256 of each input (recorded in ``release.json``)."""
    versions = manifest.get("harmonised_versions") or {}
    return {
        country: {
            "submission_id": submission, "harmonised_version": versions.get(country),
            "sha256": {name: entry.get("sha256") for name, entry in
                       ((manifest.get("inputs") or {}).get(country) or {}).items()},
        } for country, submission in sorted((manifest.get("submissions") or {}).items())
    }  # fmt: skip


def withdrawn_countries(manifest: dict) -> list[str]:
    """Countries whose rows may disappear from the release: those the run explicitly withdraws,
    and those whose approved submission drops strata or years (``accepted_drops``: the
    compiler's approval is the explicit decision, recorded in the run's manifest)."""
    explicit = list((manifest.get("parameters") or {}).get("withdraw") or [])
    return list(dict.fromkeys([*explicit, *(manifest.get("accepted_drops") or [])]))


def _coverage_refusals(previous: Path | None, run_dir: Path, manifest: dict,
                       withdrawn: set[str]) -> dict[str, PublishError]:  # fmt: skip
    """The run's countries the publish guard refuses (they would drop rows of ``previous``), each
    with its own :class:`PublishError`; the other countries are published."""
    if previous is None:
        return {}
    computed = set(manifest.get("countries", [])) - withdrawn
    missing = _dropped_rows(previous, run_dir, withdrawn | (_countries(previous) - computed))
    if missing is None or missing.empty:
        return {}
    return {str(country): dropped_rows_error(rows.reset_index(drop=True))
            for country, rows in missing.groupby("country", sort=True)}  # fmt: skip


def _provenance(previous: Path | None, manifest: dict, countries: tuple[str, ...]) -> dict:
    """Per country of the release: the submission it used, its sequence number and who
    approved it (this run's countries from its manifest, the others from ``previous``)."""
    before: dict = {}
    if previous is not None and (previous / "release.json").exists():
        before = dict(_read_json(previous / "release.json").get("provenance") or {})
    ran = manifest.get("provenance") or {}
    merged = {c: p for c, p in before.items() if c not in countries}
    merged.update({c: ran[c] for c in countries if c in ran})
    return dict(sorted(merged.items()))


def release_provenance(lake: Lake, release_id: str | None = None) -> dict[str, dict]:
    """Per country, what the release (default: the current one) used: submission id, sequence
    number, who approved it and when, the synthetic flag (``release.json``; empty before any
    release, or for a release published before provenance was recorded)."""
    path = current_release(lake) if release_id is None else lake.release(release_id)
    if path is None or not (path / "release.json").exists():
        return {}
    return dict(_read_json(path / "release.json").get("provenance") or {})


def _refuse_failed_checks(run_id: str, manifest: dict) -> None:
    """A run whose invariant checks failed, or could not run for a missing table, is never
    published (the message names the rows or the tables)."""
    failed = [(country, check) for country, checks in (manifest.get("checks") or {}).items()
              for check in checks if not check.get("passed", True)]  # fmt: skip
    if failed:
        parts = [_check_failure(country, check) for country, check in failed]
        raise PublishError(f"run {run_id} not published: " + "\n".join(parts))


def guard_unique_keys(run_dir: Path, manifest: dict) -> None:
    """Refuse a run whose table repeats a key within one country (a second line of defence
    against a country computed twice).

    The key of each table is its grain as the run's manifest records it (``grain``: table ->
    columns, from the SQL model headers); tables without one are not checked.
    """
    for table, grain in sorted((manifest.get("grain") or {}).items()):
        for path in sorted((run_dir / table).glob(f"country=*/{PARTITION_FILE}")):
            country = path.parent.name.removeprefix("country=")
            with duckdb.connect() as con:
                rows = con.read_parquet(str(path))
                keys = [k for k in grain if k in rows.columns]
                if len(keys) < len(grain):
                    continue  # a file without its key columns: not comparable
                quoted = ", ".join(f'"{k}"' for k in keys)
                con.register("rows", rows)
                repeated = con.execute(
                    f"SELECT {quoted}, count(*) AS n FROM rows GROUP BY ALL HAVING n > 1 "
                    f"ORDER BY n DESC, {quoted}"
                ).df()
            if repeated.empty:
                continue
            example = " ".join(f"{k}={v}" for k, v in repeated.iloc[0][keys].items())
            raise PublishError(
                f"run {manifest.get('run_id')} not published: table {table} has "
                f"{len(repeated):,} key(s) repeated for {country} (key: {', '.join(keys)}), e.g. "
                f"{example} ({int(repeated['n'].iloc[0])} rows)",
                f"rerun the inventory for {country} (soc-inventory run --country {country}); "
                "if it repeats, report it to the inventory team with the run id",
            )  # fmt: skip


def _check_failure(country: str, check: dict) -> str:
    if check.get("missing"):
        return (f"invariant check {check['name']} could not run for {country}: the run has no "
                f"table {', '.join(check['missing'])}")  # fmt: skip
    return (f"invariant check {check['name']} failed for {country}: {check['rows']} row(s) "
            "break it" + listed(check.get("offending", []), int(check["rows"])))  # fmt: skip


def _coverage_files(release: Path, withdrawn: set[str]) -> list[str]:
    files = sorted((release / COVERAGE_TABLE).glob("country=*/*.parquet"))
    return [str(f) for f in files if f.parent.name.removeprefix("country=") not in withdrawn]


def guard_coverage(previous: Path | None, staged: Path, withdrawn: set[str]) -> None:
    """Refuse a release that lacks a country, stratum or year of the previous one.

    Countries are compared over every published table; strata and years over ``soc_stocks``
    (country, year and the five stratum keys). Rows of a withdrawn country may disappear.
    """
    if previous is None:
        return
    lost = sorted(_countries(previous) - _countries(staged) - withdrawn)
    if lost:
        raise PublishError(f"the release would drop {', '.join(lost)} (in the previous release): "
                           "nothing published", f"compute them in the run, or withdraw them "
                           f"explicitly ({_withdraw_hint(lost[0])})")  # fmt: skip
    missing = _dropped_rows(previous, staged, withdrawn)
    if missing is not None and not missing.empty:
        raise dropped_rows_error(missing)


def _withdraw_hint(country: str) -> str:
    return (f"soc-inventory run --withdraw {country}, or tick Withdraw {country} on the portal's "
            "run form")  # fmt: skip


def dropped_rows_error(missing: pd.DataFrame) -> PublishError:
    """The refusal of a release that would drop the coverage rows ``missing`` (country, year
    and stratum keys of :data:`COVERAGE_TABLE`), with the action that resolves it."""
    lines = (" ".join(f"{k}={v}" for k, v in row.items()) for row in missing.to_dict("records"))
    countries = sorted(missing["country"].unique())
    first = countries[0]
    return PublishError(
        f"the release would drop {len(missing):,} country-year-stratum row(s) of "
        f"{COVERAGE_TABLE} of {', '.join(countries)} that the previous release had: nothing "
        "published:" + listed(lines, len(missing)),
        f"if the new submission rightly drops them, approve the submission that drops them by "
        f"withdrawing {first} explicitly ({_withdraw_hint(first)}); otherwise check the run's "
        "years (--years) and the submission",
    )  # fmt: skip


def rows_outside_years(lake: Lake, years: dict[str, tuple[int | None, int | None]]) -> pd.DataFrame:
    """Coverage rows of the current release (country, year, stratum) of the countries in
    ``years`` that lie outside each country's (first, last) years: rows a run of those years
    cannot publish again (empty before any release)."""
    release = current_release(lake)
    files = [] if release is None else [
        f for f in _coverage_files(release, set()) if Path(f).parent.name.removeprefix(
            "country=") in years]  # fmt: skip
    if not files:
        return pd.DataFrame(columns=list(COVERAGE_KEYS))
    bounds = pd.DataFrame([{"country": c, "first": f, "last": last}
                           for c, (f, last) in years.items()])  # fmt: skip
    with duckdb.connect() as con:
        con.register("bounds", bounds)
        before = con.read_parquet(files, hive_partitioning=True, union_by_name=True)
        keys = [k for k in COVERAGE_KEYS if k in before.columns]
        con.register("before", before)
        return con.execute(
            f"SELECT DISTINCT {', '.join('b.' + k for k in keys)} FROM before b JOIN bounds USING "
            "(country) WHERE b.year < coalesce(bounds.first, -9999) OR b.year > "
            f"coalesce(bounds.last, 9999) ORDER BY {', '.join(keys)}"
        ).df()


def _dropped_rows(previous: Path, staged: Path, withdrawn: set[str]) -> pd.DataFrame | None:
    """Coverage rows of ``previous`` missing from ``staged`` (None: nothing comparable)."""
    old, new = _coverage_files(previous, withdrawn), _coverage_files(staged, withdrawn)
    if not old:
        return None
    with duckdb.connect() as con:
        try:
            before = con.read_parquet(old, hive_partitioning=True, union_by_name=True)
            after = (
                con.read_parquet(new, hive_partitioning=True, union_by_name=True) if new else None
            )
            common = set(before.columns) & set(
                after.columns if after is not None else before.columns
            )
            keys = [k for k in COVERAGE_KEYS if k in common]
            if "country" not in keys:
                return None
            kept = before.select(*keys)
            if after is not None:
                kept = kept.except_(after.select(*keys))
            return kept.distinct().order(", ".join(keys)).df()
        except (duckdb.IOException, duckdb.InvalidInputException) as err:
            raise PublishError(f"a file of the previous release cannot be read ({err}); "
                               "nothing published", "recompute its country and withdraw the "
                               "damaged data (soc-inventory run --country ISO3 --withdraw "
                               "ISO3)") from None  # fmt: skip


def _countries(release: Path) -> set[str]:
    return {p.name.removeprefix("country=") for t in PUBLISHED_TABLES
            for p in (release / t).glob("country=*")}  # fmt: skip


def read_published(lake: Lake, table: str) -> pd.DataFrame:
    """One published table with its ``country`` partition column (empty before any release)."""
    if table not in (*PUBLISHED_TABLES, "releases"):
        raise ValueError(f"unknown table {table!r}")
    release = current_release(lake)
    if release is None:
        return pd.DataFrame()
    if table == "releases":
        return read_history(release)
    files = verified_files(release, sorted((release / table).glob(f"*/{PARTITION_FILE}")))
    if not files:
        return pd.DataFrame()
    with duckdb.connect() as con:
        return con.execute(
            "SELECT * FROM read_parquet($g, hive_partitioning = true, union_by_name = true)",
            {"g": [str(f) for f in files]},
        ).df()
