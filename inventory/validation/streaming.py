"""Validation of a large profiles file in batches, memory bounded by the batch.

:func:`validate_profiles_file` reads a profiles CSV with Arrow's streaming reader and runs, batch
by batch, the same per-row checks as :func:`inventory.validation.validate.validate_submission`
(number parsing, units and codes of :func:`inventory.validation.rules.prepare`, the GX suite's
expectations, management and input per land use). Row numbers are spreadsheet rows across
batches (header = row 1). The one check across rows, duplicated or overlapping horizons within a
profile, runs at the end on compact columns kept from every batch (profile id as Arrow text,
depths, row numbers: ~40 bytes a row), split into :data:`HORIZON_BUCKETS` buckets by a hash of
the profile id and checked one bucket at a time: a profile spread over several batches, or over
the whole file, is checked as a whole, and the check's own memory is a bucket's. The failure
table (file, row, column, value, rule_id, message, fix) is the one the whole-file validation
gives, whatever the batch size (``tests/test_streaming.py``).

The GX suite runs on a sample (the first :data:`GX_SAMPLE_ROWS` rows); every batch is checked by
:func:`inventory.validation.gx_suites.vectorised_failures`, which evaluates the same suite JSON
with pandas. On the sample both must give the same records; if they ever differ (a GX upgrade
changing a semantics, a suite gaining an expectation type the evaluator lacks), GX runs on every
batch instead, so every bad row is still reported. GX on every batch would cost ~1.3 s of fixed
overhead a batch (~50 ms per expectation) plus hashing each batch.

A Parquet file is read by record batches (typed columns kept, as the whole-file reader keeps
them). Files Arrow cannot stream the way the whole-file reader reads them (not UTF-8, blank
lines whose row numbers must be kept, malformed rows) are read whole with
:func:`inventory.intake.readers.read_table` and validated in the same batches, unless they are
larger than ``max_whole_bytes``: then they are refused (``file_not_streamable``) rather than
loaded into memory.

``sink`` receives every prepared batch (the typed frame the checks ran on, index = spreadsheet
rows), so that the caller can keep the validated rows without holding them
(:func:`inventory.validation.validate.validate_submission` appends them to a Parquet file).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from inventory.core.failures import FIRST_DATA_ROW, concat_failures, failure, failure_frame
from inventory.intake import readers
from inventory.intake.package import PackageProblem
from inventory.validation import consistency, gx_suites, rules

DATASET = "profiles"
DEFAULT_BATCH_ROWS = 250_000  # rows per batch (10 M rows: peak RSS 1.5 GB; 1.8 GB at 500 k)
GX_SAMPLE_ROWS = 20_000  # rows of the first batch GX validates (fixed cost ~1-2 s)
HORIZON_BUCKETS = 16  # profiles hashed into buckets, checked one bucket at a time at the end
READ_BLOCK_BYTES = 16 << 20  # Arrow reads the file 16 MiB at a time
HEADER_PROBE_BYTES = 1 << 16  # bytes read to find the header line and the delimiter


class BatchSink(Protocol):
    """Receives the prepared batches of :func:`validate_profiles_file`, in file order."""

    def write(self, frame: pd.DataFrame) -> None:
        """One prepared batch (index = spreadsheet rows)."""

    def restart(self) -> None:
        """Forget the batches written so far: the file is read again from its start."""


@dataclass
class StreamedValidation:
    """Outcome of :func:`validate_profiles_file`."""

    failures: pd.DataFrame
    rows: int  # records read (fully blank records not counted)
    batches: int
    streamed: bool  # False: the file was read whole (see the module docstring)
    gx_every_batch: bool  # True when the vectorised suite disagreed with GX on the sample
    summary: dict[str, Any] = field(default_factory=dict)
    gx_result: Any = field(default=None, repr=False)  # GX on the first batch's sample


def validate_profiles_file(
    path: str | Path,
    *,
    file: str | None = None,
    parameters: dict[str, Any],
    unit_defaults: dict | None = None,
    number_format: rules.NumberFormat | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    gx_sample_rows: int = GX_SAMPLE_ROWS,
    sink: BatchSink | None = None,
    max_whole_bytes: int | None = None,
) -> StreamedValidation:
    """Validate a profiles CSV or Parquet file batch by batch; every failing row is reported.

    Parameters
    ----------
    path : str or pathlib.Path
        The profiles file (CSV; Parquet when its name ends in ``.parquet`` or ``.pq``).
    file : str, optional
        The name failure records give the file (default: the file name).
    parameters : dict
        Values of the suite's ``$PARAMETER`` placeholders
        (:func:`inventory.validation.validate.suite_parameters`).
    unit_defaults : dict, optional
        The manifest's ``units`` defaults.
    number_format : inventory.validation.rules.NumberFormat, optional
        The number format the manifest declares (None: detected from the delimiter).
    batch_rows : int, default DEFAULT_BATCH_ROWS
        Records per batch [count]; memory grows with it, the result does not change.
    gx_sample_rows : int, default GX_SAMPLE_ROWS
        Records of the first batch the GX suite validates [count].
    sink : BatchSink, optional
        Receives every prepared batch (see the module docstring).
    max_whole_bytes : int, optional
        Largest file read whole when it cannot be streamed [bytes] (None: no limit).

    Returns
    -------
    StreamedValidation
        The failure table, ordered as :func:`inventory.core.failures.concat_failures` orders
        it, and counts.

    Raises
    ------
    ValueError
        When ``batch_rows`` or ``gx_sample_rows`` is not positive.
    inventory.intake.package.PackageProblem
        When the file cannot be read as a table (as the whole-file reader reports it), or
        cannot be streamed and is larger than ``max_whole_bytes`` (``file_not_streamable``).
    """
    if batch_rows < 1 or gx_sample_rows < 1:
        raise ValueError(f"batch_rows and gx_sample_rows must be positive: {batch_rows}, "
                         f"{gx_sample_rows}")  # fmt: skip
    path = Path(path)
    name = file or path.name
    parquet = path.suffix.lower() in readers.PARQUET_SUFFIXES
    state = _State(name, parameters, unit_defaults or {}, number_format, gx_sample_rows, sink)
    try:
        batches = _stream_parquet(path, name, batch_rows) if parquet else _stream_csv(
            path, name, batch_rows)  # fmt: skip
        for raw, decimal in batches:
            state.add(raw, decimal)
        streamed = state.batches > 0  # no record at all: read whole, as the whole reader does
    except (pa.ArrowInvalid, UnicodeDecodeError, csv.Error) as err:
        if parquet:
            raise _unreadable_parquet(name, err) from None
        streamed = False
    if not streamed:
        size = path.stat().st_size
        if max_whole_bytes is not None and size > max_whole_bytes:
            raise _not_streamable(name, size, max_whole_bytes)
        if sink is not None:
            sink.restart()
        state = _State(name, parameters, unit_defaults or {}, number_format, gx_sample_rows,
                       sink)  # fmt: skip
        frame, fmt = readers.read_table(path.read_bytes(), name, dataset=DATASET)
        for start in range(0, max(len(frame), 1), batch_rows):
            state.add(frame.iloc[start : start + batch_rows], fmt.decimal)
    return state.finish(streamed)


def _not_streamable(name: str, size: int, limit: int) -> PackageProblem:
    message = (f"{name} ({size:,} bytes) cannot be read in batches: it is not UTF-8 text, or "
               "has a blank line of spaces or a malformed line; a file this large (over "
               f"{limit:,} bytes) is only read in batches")  # fmt: skip
    fix = ("save it as 'CSV UTF-8' (one record per line, every line with the header's number "
           "of cells, no blank lines) or as Parquet, and submit again")  # fmt: skip
    return PackageProblem([failure("file_not_streamable", message, fix, file=name, value=size)])


def _unreadable_parquet(name: str, err: Exception) -> PackageProblem:
    return PackageProblem([failure("parquet_unreadable", f"{name} cannot be read as Parquet: "
                                   f"{err}", "write the file again, or send it as CSV",
                                   file=name)])  # fmt: skip


class _State:
    """What the batches leave behind: per-row failures and the horizon columns."""

    def __init__(
        self,
        file: str,
        parameters: dict,
        unit_defaults: dict,
        number_format: rules.NumberFormat | None,
        gx_sample_rows: int,
        sink: BatchSink | None = None,
    ) -> None:
        self.file, self.parameters, self.unit_defaults = file, parameters, unit_defaults
        self.number_format, self.gx_sample_rows = number_format, gx_sample_rows
        self.sink = sink
        self.gx_result: Any = None
        self.vectorised = gx_suites.vectorised_supported(DATASET)
        self.parts: list[pd.DataFrame] = []
        # per bucket of profiles, per batch: profile ids, (2, n) upper and lower [cm], rows
        self.buckets: list[list[tuple[pa.Array, np.ndarray, np.ndarray]]] = [
            [] for _ in range(HORIZON_BUCKETS)
        ]
        self.count = 0
        self.batches = 0

    def add(self, raw: pd.DataFrame, decimal: str) -> None:
        """Validate one batch (index = spreadsheet rows) and keep its horizon columns."""
        step = rules.prepare(DATASET, raw, self.file, decimal=decimal,
                             unit_defaults=self.unit_defaults,
                             number_format=self.number_format)  # fmt: skip
        frame = step.frame
        self.parts += [step.failures, self._suite(frame, raw, first=self.batches == 0),
                       consistency.management_for_land_use(frame, self.file),
                       consistency.input_for_land_use(frame, self.file)]  # fmt: skip
        if {"profile_id", "upper_cm", "lower_cm"} <= set(frame.columns):
            self._keep_horizons(frame[["profile_id", "upper_cm", "lower_cm"]].dropna())
        if self.sink is not None:
            self.sink.write(frame)
        self.count += len(frame)
        self.batches += 1

    def _keep_horizons(self, layers: pd.DataFrame) -> None:
        """Keep the horizon columns, split by a hash of the profile id: a profile's horizons
        always land in the same bucket, whichever batch they come from."""
        ids = layers["profile_id"].astype("str")
        bucket = pd.util.hash_pandas_object(ids, index=False).to_numpy() % HORIZON_BUCKETS
        depths = layers[["upper_cm", "lower_cm"]].to_numpy("float64").T
        rows = layers.index.to_numpy("int64")
        for b in range(HORIZON_BUCKETS):
            mine = np.flatnonzero(bucket == b)
            self.buckets[b].append((pa.array(ids.iloc[mine], pa.string()),
                                    depths[:, mine], rows[mine]))  # fmt: skip

    def _suite(self, frame: pd.DataFrame, raw: pd.DataFrame, *, first: bool) -> pd.DataFrame:
        """The suite's failures of a batch: vectorised, checked against GX on the sample."""
        if first and self.vectorised:
            sample, sample_raw = frame.iloc[: self.gx_sample_rows], raw.loc[
                frame.index[: self.gx_sample_rows]]  # fmt: skip
            by_gx = self._gx(sample, sample_raw)
            by_pandas = gx_suites.vectorised_failures(DATASET, sample, sample_raw, self.file,
                                                      self.parameters)  # fmt: skip
            # GX lists its results in its own order; the failure table is ordered by row
            self.vectorised = concat_failures([by_gx]).equals(concat_failures([by_pandas]))
        if not self.vectorised:
            found = self._gx(frame, raw)
            if first:
                return found
            return found[found["rule_id"] != "missing_column"]  # reported with the first batch
        return gx_suites.vectorised_failures(DATASET, frame, raw, self.file, self.parameters,
                                             table_level=first)  # fmt: skip

    def _gx(self, frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
        result = gx_suites.run_suite(DATASET, frame, self.parameters)
        if self.gx_result is None:
            self.gx_result = result  # the first batch's (its sample's): the Data Docs page
        return gx_suites.result_failures(result, frame, raw, self.file)

    def finish(self, streamed: bool) -> StreamedValidation:
        """All failures, the horizon check across the whole file included."""
        for b, kept in enumerate(self.buckets):  # one bucket of profiles at a time
            self.buckets[b] = []
            if kept:
                ids = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([k[0] for k in kept])))
                depths = np.concatenate([k[1] for k in kept], axis=1)
                rows = np.concatenate([k[2] for k in kept])
                self.parts.append(consistency.horizon_failures(ids, depths[0], depths[1], rows,
                                                               self.file))  # fmt: skip
        failures = concat_failures(self.parts) if self.parts else failure_frame()
        return StreamedValidation(
            failures=failures,
            rows=self.count,
            batches=self.batches,
            streamed=streamed,
            gx_every_batch=not self.vectorised,
            gx_result=self.gx_result,
            summary={
                "file": self.file,
                "rows": self.count,
                "batches": self.batches,
                "n_failures": int(len(failures)),
            },  # fmt: skip
        )


def _stream_csv(path: Path, name: str, batch_rows: int) -> Iterator[tuple[pd.DataFrame, str]]:
    """Batches of ``batch_rows`` records as the whole-file reader gives them (text cells,
    lower_snake header, missing markers, spreadsheet row numbers), and the decimal mark.

    Raises ``pyarrow.ArrowInvalid`` (or ``UnicodeDecodeError``) when the file must be read
    whole: not UTF-8, or a record Arrow cannot parse (e.g. a blank line, whose row number the
    whole-file reader keeps).
    """
    with path.open("rb") as handle:
        probe = handle.read(HEADER_PROBE_BYTES)
    probe = probe.removeprefix(codecs.BOM_UTF8)
    text = probe[: probe.rfind(b"\n") + 1].decode("utf-8")  # whole lines only
    if not text.strip():
        raise pa.ArrowInvalid("no complete header line in the probe")
    delimiter = readers._sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter))
    header = [cell.rstrip("\r") for cell in header]
    names = [f"c{i}" for i in range(len(header))]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                       block_size=READ_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
    )  # fmt: skip
    decimal = "," if delimiter == ";" else "."
    offset = FIRST_DATA_ROW
    for table in _rebatch(reader, batch_rows):
        frame = table.to_pandas().set_axis(header, axis=1)
        rows = range(offset, offset + len(frame))
        offset += len(frame)
        yield readers._finish(frame, name, rows=rows), decimal


def _stream_parquet(path: Path, name: str,
                    batch_rows: int) -> Iterator[tuple[pd.DataFrame, str]]:  # fmt: skip
    """Batches of a Parquet file as :func:`inventory.intake.readers.read_parquet_bytes` reads
    the whole file (typed columns kept, other cells as text, spreadsheet row numbers)."""
    try:
        reader = pq.ParquetFile(path)
        batches = reader.iter_batches(batch_size=batch_rows)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise _unreadable_parquet(name, err) from None
    offset = FIRST_DATA_ROW
    with reader:
        while True:
            try:
                batch = next(batches, None)
                frame = None if batch is None else pa.Table.from_batches([batch]).to_pandas()
            except (OSError, ValueError) as err:  # a damaged row group
                raise _unreadable_parquet(name, err) from None
            if frame is None:
                return
            frame = frame.reset_index(drop=True)
            for column in frame.columns:
                if frame[column].dtype == object:
                    frame[column] = (frame[column].map(readers._xlsx_cell).astype("str")
                                     .where(frame[column].notna()))  # fmt: skip
            rows = range(offset, offset + len(frame))
            offset += len(frame)
            yield readers._finish(frame, name, rows=rows), "."


def _rebatch(reader: Any, batch_rows: int) -> Iterator[pa.Table]:
    """Arrow's record batches (sized by bytes) regrouped into tables of ``batch_rows`` rows."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= batch_rows:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            yield table.slice(0, batch_rows)
            rest = table.slice(batch_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending, schema=reader.schema)
