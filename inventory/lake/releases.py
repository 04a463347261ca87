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
from inventory.core.errors import LockTimeoutError, UserError
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


def _release_rows(previous: Path | None, release: Release, published_at: str) -> pd.DataFrame:
    row = pd.DataFrame([{
        "release_id": release.release_id, "run_id": release.run_id,
        "countries": ",".join(release.countries), "published_at": published_at,
        "previous_release_id": previous.name if previous else None,
    }])  # fmt: skip
    if previous is not None and (previous / RELEASES_FILE).exists():
        return pd.concat([pd.read_parquet(previous / RELEASES_FILE), row], ignore_index=True)
    return row


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
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # only our own staging
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
    countries = tuple(sorted(manifest.get("countries", [])))
    withdrawn = set(withdrawn_countries(manifest))
    run_files = manifest.get("files")
    old_sums = (
        _read_json(previous / CHECKSUMS) if previous and (previous / CHECKSUMS).exists() else None
    )
    for table in PUBLISHED_TABLES:
        if previous is not None and (previous / table).exists():
            for part in sorted((previous / table).glob("country=*")):
                if part.name.removeprefix("country=") not in {*countries, *withdrawn}:
                    _link_tree(part, staging / table / part.name, old_sums, previous)
        if (run_dir / table).exists():
            _link_tree(run_dir / table, staging / table, run_files, run_dir)
    guard_unique_keys(run_dir, manifest)
    guard_coverage(previous, staging, withdrawn)
    release = Release(release_id, str(manifest["run_id"]), lake.release(release_id), countries)
    rows = _release_rows(previous, release, utc_now().isoformat())
    write_parquet_atomic(rows, staging / RELEASES_FILE)
    write_json_atomic(staging / "release.json", {**rows.iloc[-1].to_dict(),
                                                 "withdrawn": sorted(withdrawn)})  # fmt: skip
    write_json_atomic(staging / CHECKSUMS, {p: sha256_file(staging / p)
                                            for p in _relative_files(staging)})  # fmt: skip
    (staging / OWNER_FILE).unlink()
    make_read_only(staging)
    return release


def _switch(lake: Lake, staging: Path, release: Release) -> None:
    os.rename(staging, release.path)
    pointer = lake.root / f".published-{release.release_id}"
    pointer.symlink_to(Path("releases") / release.release_id)
    os.replace(pointer, lake.published)


def withdrawn_countries(manifest: dict) -> list[str]:
    """Countries the run explicitly withdraws (their rows may disappear from the release)."""
    return list((manifest.get("parameters") or {}).get("withdraw") or [])


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
        return pd.read_parquet(release / RELEASES_FILE)
    if not (release / table).exists():
        return pd.DataFrame()
    glob = str(release / table / "*" / "*.parquet")
    with duckdb.connect() as con:
        return con.execute(
            "SELECT * FROM read_parquet($g, hive_partitioning = true, union_by_name = true)",
            {"g": glob},
        ).df()
