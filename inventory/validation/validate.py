"""Validation of a read submission: GX suites, unit checks and consistency checks.

:func:`validate_submission` prepares every dataset (``inventory.validation.rules``: numbers, codes,
units), runs its GX suite from ``expectations/`` (``inventory.validation.gx_suites``) and the
set-based checks GX lacks (``inventory.validation.consistency``), checks a ``grids`` NetCDF file
(``inventory.validation.grid_checks``), and returns a :class:`ValidationResult` holding *all*
failures in one table (file, row, column, value, rule_id, message, fix) and, when the submission
passes, the datasets with canonical codes and numeric types ready for ``inventory.harmonise.areas``.
:func:`write_quarantine` and :func:`write_validated` file the outcome.

A profiles file the reader left unread because it is large (``Submission.batched``) is validated
in batches (:func:`inventory.validation.streaming.validate_profiles_file`, the same failure
table); its canonical rows are appended batch by batch to a Parquet file in a spool folder, and
the accepted result holds that file's path instead of a frame (``ValidationResult.datasets``),
so memory stays bounded by the batch (``SOILC_PROFILE_BATCH_ROWS``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inventory.core import vocab
from inventory.core.failures import concat_failures, failure_frame
from inventory.core.settings import get_settings
from inventory.core.spreadsheet import csv_bytes
from inventory.intake import grid_format
from inventory.intake import manifest as manifest_schema
from inventory.intake.package import Limits, Package, PackageProblem
from inventory.intake.readers import PARQUET_SUFFIXES
from inventory.intake.submission import (
    Receipt,
    Submission,
    SubmissionError,
    read_manifest,
    read_submission,
)
from inventory.intake.time_series import time_series_config
from inventory.lake.zones import (
    Lake,
    commit_dir,
    staging_dir,
    write_json_atomic,
    write_parquet_atomic,
)
from inventory.validation import (
    consistency,
    grid_checks,
    gx_suites,
    land_use_changes,
    rules,
    streaming,
    time_series,
)
from inventory.validation.report import render_html, render_markdown, render_text
from inventory.validation.rules import FROM_STATE, TO_STATE

# IPCC default transition period D = 20 yr (2006 Vol.4 Ch.2 Eq. 2.25): land-use histories may
# start this many years before the first reported year (README, submission format v1).
HISTORY_YEARS = 20


class Spool:
    """A folder holding the datasets validated in batches; removed by :meth:`remove`, or when
    no result refers to it any more (a copy of a result, e.g. ``dataclasses.replace``, shares
    it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._remove = weakref.finalize(self, shutil.rmtree, path, True)

    def remove(self) -> None:
        self._remove()


@dataclass
class ValidationResult:
    """Outcome of validating one submission.

    ``datasets`` maps each dataset to its canonical frame, or, for a dataset validated in
    batches, to the canonical Parquet file in the ``spool`` folder (only while the result is
    accepted: a rejected one keeps no spool). The spool is removed by :meth:`discard`, or when
    the result is garbage-collected. ``batched`` describes the datasets validated in batches
    (file, rows, batches, whether Arrow streamed the file or it was read whole).
    """

    ok: bool
    failures: pd.DataFrame
    datasets: dict[str, pd.DataFrame | Path]
    manifest: dict
    summary: dict
    gx_results: dict[str, Any] = field(default_factory=dict, repr=False)
    grid: grid_format.GridSource | None = None  # the submitted grid, harmonised from the package
    batched: dict[str, dict[str, Any]] = field(default_factory=dict)
    spool: Spool | None = None

    def discard(self) -> None:
        """Remove the spool folder (the batch-validated datasets) now."""
        if self.spool is not None:
            self.spool.remove()
            self.datasets = {k: v for k, v in self.datasets.items() if not isinstance(v, Path)}

    def failure_records(self) -> list[dict]:
        frame = failure_frame(self.failures)
        return json.loads(frame.to_json(orient="records", default_handler=str))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": bool(self.ok),
            "summary": _jsonable(self.summary),
            "manifest": _jsonable(self.manifest),
            "failures": self.failure_records(),
        }

    def to_text(self) -> str:
        return render_text(failure_frame(self.failures), self.summary, ok=self.ok)

    def to_markdown(self) -> str:
        return render_markdown(failure_frame(self.failures), self.summary, ok=self.ok)

    def to_html(self) -> str:
        return render_html(failure_frame(self.failures), self.summary, ok=self.ok)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def history_years(land: pd.DataFrame | None, manifest: dict) -> dict | None:
    """The history years (the D = HISTORY_YEARS years before the first declared year) that
    ``land_areas`` lack: ``first_record``, ``needed_from`` [yr] and ``missing_years`` [count];
    None when none is missing (or no land areas / declared years)."""
    years = manifest.get("years") if isinstance(manifest, dict) else None
    if land is None or land.empty or "year" not in land or not years:
        return None
    recorded = pd.to_numeric(land["year"], errors="coerce").dropna()
    if recorded.empty:
        return None
    first_record, needed_from = int(recorded.min()), int(years[0]) - HISTORY_YEARS
    missing = max(min(first_record, int(years[0])) - needed_from, 0)
    if not missing:
        return None
    return {"first_record": first_record, "needed_from": needed_from, "missing_years": missing}


def suite_parameters(manifest: dict) -> dict[str, int]:
    """Values of the ``$PARAMETER`` placeholders in the suites (declared years)."""
    first, last = manifest_schema.declared_years(manifest) or (
        manifest_schema.EARLIEST_YEAR, manifest_schema.LATEST_YEAR)  # fmt: skip
    return {"first_year": first, "last_year": last, "history_first_year": first - HISTORY_YEARS,
            "earliest_profile_year": manifest_schema.EARLIEST_YEAR}  # fmt: skip


def validate_submission(sub: Submission, *, spool_dir: str | Path | None = None,
                        ) -> ValidationResult:  # fmt: skip
    """Run every check on every dataset of ``sub``; all failures are collected.

    The datasets of ``sub.batched`` are validated in batches; their canonical rows go to a
    spool folder made in ``spool_dir`` (default: the system's temporary folder). A file that
    turns out unreadable there gives the rejection the reader would have raised.
    """
    if not sub.batched:
        return _validate(sub, {})
    spool = Path(tempfile.mkdtemp(prefix=".spool-", dir=spool_dir))
    try:
        batched = {name: _validate_batched(sub, name, spool) for name in sub.batched}
        pa.default_memory_pool().release_unused()  # Arrow keeps the batches' buffers otherwise
    except PackageProblem as problem:
        shutil.rmtree(spool, ignore_errors=True)
        return rejected(failure_frame(problem.failures), sub.country)
    except BaseException:
        shutil.rmtree(spool, ignore_errors=True)
        raise
    result = _validate(sub, batched, spool)
    if result.ok:
        result.spool = Spool(spool)
    else:
        shutil.rmtree(spool, ignore_errors=True)
        result.datasets = {k: v for k, v in result.datasets.items() if not isinstance(v, Path)}
    return result


def _validate_batched(sub: Submission, name: str, spool: Path) -> streaming.StreamedValidation:
    """Validate the file of ``sub.batched[name]`` in batches; its canonical rows go to
    ``<spool>/<name>.parquet`` (:class:`_ParquetSpool`)."""
    limits = sub.limits or Limits()
    member = sub.batched[name]
    defaults = sub.manifest.get("units") if isinstance(sub.manifest.get("units"), dict) else {}
    text_file = Path(member).suffix.lower() not in PARQUET_SUFFIXES
    sink = _ParquetSpool(name, spool / f"{name}.parquet")
    try:
        with (
            Package(sub.package, limits) as package,
            package.local_file(member, max_bytes=limits.max_streamed_file_bytes) as path,
        ):
            return streaming.validate_profiles_file(
                path,
                file=sub.source_files.get(name, member),
                parameters=suite_parameters(sub.manifest),
                unit_defaults=defaults,
                number_format=number_format(sub.manifest) if text_file else None,
                batch_rows=get_settings().profile_batch_rows,
                sink=sink,
                max_whole_bytes=limits.max_file_bytes,
            )
    finally:
        sink.close()


class _ParquetSpool:
    """The canonical rows of one dataset appended batch by batch to a Parquet file (zstd, one
    row group per batch); :func:`canonical` of each batch, the schema of the first."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.path = name, path
        self.writer: pq.ParquetWriter | None = None
        self.empty: pa.Table | None = None

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(canonical(self.name, frame), preserve_index=False)
        if not len(table):  # e.g. a batch of blank records: only its columns count
            if self.empty is None:
                self.empty = table
            return
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        elif not table.schema.equals(self.writer.schema, check_metadata=False):
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)

    def restart(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.empty = None, None
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self.writer is None and self.empty is not None:
            self.writer = pq.ParquetWriter(self.path, self.empty.schema, compression="zstd")
            self.writer.write_table(self.empty)
        if self.writer is not None:
            self.writer.close()


def _validate(sub: Submission, batched: dict[str, streaming.StreamedValidation],
              spool: Path | None = None) -> ValidationResult:  # fmt: skip
    """:func:`validate_submission` with the checks of the batch-validated datasets done."""
    started = time.perf_counter()
    parameters = suite_parameters(sub.manifest)
    defaults = sub.manifest.get("units") if isinstance(sub.manifest.get("units"), dict) else {}
    declared_format = number_format(sub.manifest)
    prepared: dict[str, pd.DataFrame] = {}
    parts: list[pd.DataFrame] = []
    gx_results: dict[str, Any] = {}
    for name, found in batched.items():
        parts.append(found.failures)
        if found.gx_result is not None:
            gx_results[name] = found.gx_result
    for name, raw in sub.datasets.items():
        file = sub.source_files.get(name, name)
        decimal = sub.formats[name].decimal if name in sub.formats else "."
        text_file = name in sub.formats and sub.formats[name].kind == "csv"
        step = rules.prepare(name, raw, file, decimal=decimal, unit_defaults=defaults,
                             number_format=declared_format if text_file else None)  # fmt: skip
        result = gx_suites.run_suite(name, step.frame, parameters)
        gx_results[name] = result
        parts += [step.failures, gx_suites.result_failures(result, step.frame, raw, file),
                  *_dataset_checks(name, step.frame, file)]  # fmt: skip
        prepared[name] = step.frame
    own = concat_failures(parts)  # every failure so far is about a row's own values
    skipped = skipped_checks(own, prepared, sub.source_files)
    runs = {check for check in CHECK_NEEDS if check not in skipped}
    # Rows refused for their own values take no part in the checks across rows, years and
    # datasets below (gap filling, total land area, matrices, organic within land): a row with
    # year 2031 flagged out of range must not fill 2006-2030 and fail each of those years too.
    # (The batch-validated profiles take part in none of them.)
    usable, left_out = without_refused_rows(prepared, own, sub.source_files)
    left_out = _in_file_order(sub, {**left_out, **_refused_rows(own, sub, batched)})
    land = usable.get("land_areas", usable.get("land_units"))
    series_input = {
        name: frame
        for name, frame in usable.items()
        if f"time_series_{name}" in runs or f"time_series_{name}" not in CHECK_NEEDS
    }
    series_failures, filled = time_series.time_series_checks(
        series_input, sub.manifest, sub.source_files, _years_of_left_out(prepared, usable)
    )
    parts.append(series_failures)
    if "land_use_changes" in usable and "matrix_consistency" in runs:
        parts.append(_matrix_checks(usable, sub, with_land="matrix_land_areas" in runs))
    if "organic_soils" in usable and "organic_within_land_area" in runs:
        file = sub.source_files.get("organic_soils", "organic_soils")
        parts.append(consistency.organic_within_land_area(usable["organic_soils"], land, file))
    grid = None
    if "grids" in sub.source_files:
        grid = grid_format.GridSource(
            sub.package, sub.source_files["grids"], sub.limits or Limits()
        )
        parts.append(grid_checks.grid_failures(grid))
    failures = concat_failures(parts)
    datasets: dict[str, pd.DataFrame | Path] = {
        name: canonical(name, frame) for name, frame in prepared.items()}  # fmt: skip
    given = _area_uncertainty_defaults(
        datasets, manifest_schema.area_uncertainty_defaults(sub.manifest)
    )
    rows = {name: len(frame) for name, frame in prepared.items()}
    rows.update({name: found.rows for name, found in batched.items()})
    summary = _summary(sub, failures, prepared, time.perf_counter() - started,
                       rows=_in_dataset_order(sub, rows))  # fmt: skip
    if given:
        summary["area_uncertainty_defaults"] = given
    if skipped:
        summary["skipped_checks"] = skipped
    if left_out:
        summary["left_out_rows"] = left_out
    if filled:
        summary["time_series"] = filled
    history = history_years(prepared.get("land_areas"), sub.manifest)
    if history:
        summary["history"] = history
    datasets.update({name: spool / f"{name}.parquet" for name in batched if spool})
    return ValidationResult(
        ok=failures.empty,
        failures=failures,
        datasets=datasets,
        manifest=sub.manifest,
        summary=summary,
        gx_results=gx_results,
        grid=grid,
        batched={
            name: {
                "file": found.summary["file"],
                "rows": found.rows,
                "batches": found.batches,
                "streamed": found.streamed,
            }
            for name, found in batched.items()
        },
    )


def _area_uncertainty_defaults(datasets: dict[str, pd.DataFrame | Path],
                               defaults: dict[str, float]) -> dict[str, dict]:  # fmt: skip
    """Give each dataset's rows without ``area_uncertainty_pct`` the value ``submission.yaml``
    declares for the dataset (in place); per dataset the value [%] and the rows given it."""
    given = {}
    for name, pct in defaults.items():
        frame = datasets.get(name)  # area datasets are in memory (only profiles are batched)
        if not isinstance(frame, pd.DataFrame) or vocab.AREA_UNCERTAINTY not in frame.columns:
            continue
        empty = frame[vocab.AREA_UNCERTAINTY].isna()
        frame.loc[empty, vocab.AREA_UNCERTAINTY] = pct
        given[name] = {"pct": pct, "rows": int(empty.sum())}
    return given


def _in_dataset_order(sub: Submission, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (per dataset) in the order of the package's files (``submission.yaml``)."""
    return {name: values[name] for name in sub.source_files if name in values}


def _in_file_order(sub: Submission, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (per file name) in the order of the package's files."""
    files = [sub.source_files[name] for name in sub.source_files]
    return {file: values[file] for file in files if file in values}


def _refused_rows(failures: pd.DataFrame, sub: Submission,
                  batched: dict[str, streaming.StreamedValidation]) -> dict[str, int]:  # fmt: skip
    """Per batch-validated file, the number of rows refused for their own values (what
    :func:`without_refused_rows` counts for a dataset in memory)."""
    out = {}
    for name in batched:
        file = sub.source_files.get(name, name)
        rows = failures.loc[failures["file"] == file, "row"].dropna().unique()
        if len(rows):
            out[file] = len(rows)
    return out


def _years_of_left_out(prepared: dict[str, pd.DataFrame],
                       usable: dict[str, pd.DataFrame]) -> dict[str, set[int]]:  # fmt: skip
    """Per dataset, the (numeric) years of the rows :func:`without_refused_rows` left out."""
    out: dict[str, set[int]] = {}
    for name, frame in prepared.items():
        if "year" not in frame.columns or len(frame) == len(usable[name]):
            continue
        years = pd.to_numeric(frame.loc[frame.index.difference(usable[name].index), "year"],
                              errors="coerce").dropna()  # fmt: skip
        out[name] = {int(y) for y in years if float(y).is_integer()}
    return out


def without_refused_rows(
    prepared: dict[str, pd.DataFrame], failures: pd.DataFrame, files: dict[str, str]
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The prepared datasets without the rows that failed a check of their own values.

    Parameters
    ----------
    prepared : dict of str to pandas.DataFrame
        Prepared datasets, index = spreadsheet row (:func:`inventory.validation.rules.prepare`).
    failures : pandas.DataFrame
        Failures of the checks of single rows (types, units, codes, ranges, duplicates, code
        combinations); failures without a row (a missing column) leave every row in.
    files : dict of str to str
        Dataset -> file name, as the failure records name it.

    Returns
    -------
    tuple
        The datasets with the refused rows dropped, and the number of rows left out per file.
    """
    rows = failures.dropna(subset=["row"])
    out: dict[str, pd.DataFrame] = {}
    left_out: dict[str, int] = {}
    for name, frame in prepared.items():
        file = files.get(name, name)
        refused = frame.index.intersection(
            pd.Index(rows.loc[rows["file"] == file, "row"].astype("int64").unique())
        )
        out[name] = frame.drop(index=refused) if len(refused) else frame
        if len(refused):
            left_out[file] = len(refused)
    return out, left_out


def number_format(manifest: dict) -> rules.NumberFormat | None:
    """The ``number_format`` the package declares for its text files (None: detected)."""
    declared = manifest.get("number_format")
    if not isinstance(declared, dict) or declared.get("decimal") not in (".", ","):
        return None
    return rules.NumberFormat(declared["decimal"], declared.get("thousands") or None, True)


def validate_stored(receipt: Receipt, *, limits: Limits | None = None) -> ValidationResult:
    """Validate a stored submission (its raw/ copy), refusing a package for another country.

    The receipt's country is where the bytes were filed (for an API upload: the token's
    country); a ``submission.yaml`` naming another country is a failure, so the package is
    quarantined under the sender's country and never harmonised under either. A profiles file
    validated in batches is spooled in the lake, beside the submission's validated/ folder (a
    hidden ``.spool-*`` folder, on the lake's disk rather than a temporary file system).
    """
    try:
        sub = read_submission(receipt.package_root, limits=limits)
    except SubmissionError as err:
        return rejected(err.failures, receipt.country)
    declared = manifest_schema.country_of(sub.manifest)
    if declared != receipt.country:
        return rejected(failure_frame([country_mismatch(declared, receipt.country)]),
                        receipt.country)  # fmt: skip
    spool_dir = None
    if sub.batched:  # raw/<ISO3>/<submission_id> is below the lake root (Lake.raw)
        lake = Lake(Path(receipt.raw_dir).parents[2])
        spool_dir = lake.validated(receipt.country, receipt.submission_id).parent
        spool_dir.mkdir(parents=True, exist_ok=True)
    return validate_submission(sub, spool_dir=spool_dir)


def precheck_stored(receipt: Receipt, *, limits: Limits | None = None) -> ValidationResult | None:
    """Archive and ``submission.yaml`` checks of a stored submission, before any validation.

    Returns the rejection (unreadable archive, duplicate members, size limits, no or unsafe
    ``submission.yaml``, no valid country, or another country than the receipt's), else None.
    """
    try:
        manifest = read_manifest(receipt.package_root, limits=limits)
    except SubmissionError as err:
        return rejected(err.failures, receipt.country)
    declared = manifest_schema.country_of(manifest)
    if declared is None:
        problems = manifest_schema.check_manifest(manifest)
        return rejected(failure_frame([p for p in problems if p["column"] == "country"]),
                        receipt.country)  # fmt: skip
    if declared != receipt.country:
        return rejected(failure_frame([country_mismatch(declared, receipt.country)]),
                        receipt.country)  # fmt: skip
    return None


def country_mismatch(declared: str | None, sender: str) -> dict:
    """The failure of a package that names another country than the one that sent it."""
    from inventory.core.failures import failure

    return failure("country_not_sender", f"submission.yaml says country {declared} but the "
                   f"package was sent for {sender}; a country can only submit its own data",
                   f"set 'country: {sender}' in submission.yaml, or let {declared}'s contact "
                   "point submit it", file=manifest_schema.MANIFEST, column="country",
                   value=declared)  # fmt: skip


def rejected(failures: pd.DataFrame, country: str) -> ValidationResult:
    """A result for a package that could not be validated (package-level failures only)."""
    return ValidationResult(ok=False, failures=failures, datasets={}, manifest={},
                            summary={"n_failures": len(failures), "country": country})  # fmt: skip


def _dataset_checks(name: str, frame: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    checks = [consistency.duplicates(name, frame, file)]
    if name in ("land_areas", "land_units", "profiles"):
        checks.append(consistency.management_for_land_use(frame, file))
        checks.append(consistency.input_for_land_use(frame, file))
    if name == "profiles":
        checks.append(consistency.horizons(frame, file))
    if name == "land_units" and {"area", "area_unit"} <= set(frame.columns):
        checks.append(consistency.land_units_total_area(frame, file))  # area_ha derived
    if name == "factors":
        checks.append(consistency.factor_levels(frame, file))
    return checks


# The submitted columns each cross-row consistency check reads, per dataset (``area_ha`` is
# derived from ``area`` and ``area_unit``). A check whose dataset lacks one of them (a
# ``missing_column`` failure) does not run: it is listed in the report with the reason.
AREA_COLUMNS = ("area", "area_unit")
CHECK_NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "matrix_consistency": {"land_use_changes": (
        "year", "climate_zone", "soil_class", *FROM_STATE, *TO_STATE, *AREA_COLUMNS)},
    "matrix_land_areas": {"land_areas": ("year", *vocab.STRATUM_KEYS, *AREA_COLUMNS)},
    "time_series_land_areas": {"land_areas": ("year", *vocab.STRATUM_KEYS, *AREA_COLUMNS)},
    "time_series_organic_soils": {"organic_soils": ("year", "land_use", *AREA_COLUMNS)},
    "organic_within_land_area": {"organic_soils": ("year", "land_use", *AREA_COLUMNS),
                                 "land_areas": ("year", "land_use", *AREA_COLUMNS),
                                 "land_units": ("year", "land_use", *AREA_COLUMNS)},
}  # fmt: skip


def skipped_checks(failures: pd.DataFrame, prepared: dict[str, pd.DataFrame],
                   files: dict[str, str]) -> dict[str, str]:  # fmt: skip
    """The consistency checks (:data:`CHECK_NEEDS`) that cannot run, with the reason: a
    column they read is missing from a submitted dataset (reported as ``missing_column``)."""
    missing = failures[failures["rule_id"] == "missing_column"]
    absent = set(zip(missing["file"].astype("str"), missing["column"].astype("str"), strict=True))
    skipped: dict[str, str] = {}
    for check, needs in CHECK_NEEDS.items():
        lacking = [
            f"{files.get(name, name)} has no column {column}"
            for name, columns in needs.items() if name in prepared
            for column in columns
            if (files.get(name, name), column) in absent
        ]  # fmt: skip
        if lacking:
            skipped[check] = "not run: " + "; ".join(lacking) + " (add the column and submit again)"
    return skipped


def _matrix_checks(prepared: dict[str, pd.DataFrame], sub: Submission, *,
                   with_land: bool = True) -> pd.DataFrame:  # fmt: skip
    """Land-use change matrices: management per land use, row/column sums, total area (and
    against land_areas when ``with_land``)."""
    file = sub.source_files.get("land_use_changes", "land_use_changes")
    tolerance = time_series_config(sub.manifest).total_area_tolerance_pct
    frame = prepared["land_use_changes"]
    land = prepared.get("land_areas") if with_land else None
    return concat_failures([
        land_use_changes.management_failures(frame, file),
        land_use_changes.matrix_failures(frame, land, tolerance, file),
    ])  # fmt: skip


def canonical(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Format v1 columns in documented order, integer years, float numbers, canonical codes."""
    spec = rules.SPECS[name]
    out = frame.reindex(columns=list(spec.columns)).reset_index(drop=True)
    for column in spec.numeric:
        out[column] = out[column].astype("float64")
    for column in spec.integer:
        if out[column].notna().all():
            out[column] = out[column].astype("int64")
        else:
            out[column] = out[column].round().astype("Int64")
    return out


def _summary(sub: Submission, failures: pd.DataFrame, prepared: dict, seconds: float, *,
             rows: dict[str, int]) -> dict:  # fmt: skip
    by_rule = failures["rule_id"].value_counts().sort_index()
    ignored = {sub.source_files.get(name, name): list(fmt.ignored)
               for name, fmt in sub.formats.items() if fmt.ignored}  # fmt: skip
    return {
        "country": sub.country, "package": sub.package, "n_failures": int(len(failures)),
        "failures_by_rule": {str(k): int(v) for k, v in by_rule.items()},
        "rows": {name: int(count) for name, count in rows.items()},
        "files": dict(sub.source_files), "seconds": round(seconds, 3),
        **({"ignored": ignored} if ignored else {}),  # e.g. a workbook's hidden sheets
    }  # fmt: skip


# ---------------------------------------------------------------------------- filing
def write_quarantine(result: ValidationResult, directory: str | Path) -> Path:
    """Write the report of a rejected submission: JSON, text, Markdown, CSV and HTML.

    ``report.html`` is self-contained (readable offline); ``data_docs/<dataset>.html`` are GX
    Data Docs pages (their styling loads from CDNs).
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(directory)
    write_json_atomic(staging / "report.json", result.to_json())
    for name, text in (("report.txt", result.to_text()), ("report.md", result.to_markdown()),
                       ("report.html", result.to_html())):  # fmt: skip
        _write_text(staging / name, text)
    csv = csv_bytes(failure_frame(result.failures)).decode("utf-8")
    _write_text(staging / "failures.csv", csv)
    for name, gx_result in result.gx_results.items():
        _write_text(staging / "data_docs" / f"{name}.html",
                    gx_suites.render_data_docs(gx_result))  # fmt: skip
    return commit_dir(staging, directory)


def write_validated(result: ValidationResult, directory: str | Path) -> dict[str, Path]:
    """Write each accepted dataset as ``<dataset>.parquet`` (atomic) plus ``manifest.json``;
    a dataset validated in batches is its spooled file (hard-linked, else copied)."""
    if not result.ok:
        raise ValueError("write_validated called on a rejected submission")
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(directory)
    for name, frame in result.datasets.items():
        if isinstance(frame, Path):
            _link_or_copy(frame, staging / f"{name}.parquet")
        else:
            write_parquet_atomic(frame, staging / f"{name}.parquet")
    write_json_atomic(staging / "manifest.json", _jsonable(result.manifest))
    commit_dir(staging, directory)
    return {name: directory / f"{name}.parquet" for name in result.datasets}


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (no copy: neither is changed again), else a copy."""
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not supported
        shutil.copyfile(source, target)


def _write_text(path: Path, text: str) -> None:
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
