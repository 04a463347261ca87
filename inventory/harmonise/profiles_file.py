"""Harmonisation of a large profiles file part by part, memory bounded by the part.

:func:`harmonise_profiles_file` gives the datasets :func:`inventory.harmonise.profiles.
harmonise_profiles` gives for the whole file (``profiles``: interval stocks, ``profile_horizons``:
horizon stocks), written to Parquet without ever holding the file: the profile ids are cut, in
their sorted order, into parts of about ``partition_rows`` horizons, a profile never split, and
each part is harmonised alone and appended to the outputs. Both outputs are sorted by profile
(``profile_id``, ``year``, then depth) and every step works within one profile, so the appended
parts are the whole-file result row for row; ``row`` keeps each horizon's position in the file.

The file is the validated ``profiles`` dataset (:func:`inventory.validation.validate.canonical`
rows, in file order, as ``validate_submission`` spools them). Its profiles are ranked from the
``profile_id`` column, read dictionary-encoded (~10 bytes a horizon); when the file is already in
profile order each part is a run of consecutive rows, read as it comes; otherwise one pass
writes every part to its own temporary (Arrow IPC) file first. Refused SOC methods raise the one
:class:`~inventory.harmonise.methods.MethodError` the whole file raises, every row listed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inventory.harmonise import depth, methods
from inventory.harmonise.profiles import harmonise_profiles

READ_BATCH_ROWS = 65_536  # rows read from the file at a time
POSITION = "__position"  # a horizon's 0-based position in the file (the output's ``row``)
MAX_PARTS = 512  # temporary part files open at once, at most (parts grow beyond that)
OUTPUTS = ("profiles", "profile_horizons")  # interval stocks, horizon stocks


@dataclass
class HarmonisedFiles:
    """Outcome of :func:`harmonise_profiles_file`."""

    paths: dict[str, Path]  # dataset -> its Parquet file
    cleaning_rows: int  # rows of the cleaning report (dropped, repaired, imputed)
    bd_imputed: int  # horizons whose bulk density was imputed
    partitions: int
    in_file_order: bool  # True: parts read as consecutive rows (no temporary files)
    rows: dict[str, int] = field(default_factory=dict)  # dataset -> rows written


def harmonise_profiles_file(
    source: str | Path,
    workdir: str | Path,
    *,
    submission_id: str,
    partition_rows: int,
    depth_method: str = "overlap",
    targets: Sequence[tuple[float, float]] = depth.IPCC_INTERVALS,
    method_options: Mapping[str, object] | None = None,
) -> HarmonisedFiles:
    """Harmonise the profiles of a validated Parquet file, ``partition_rows`` horizons at a time.

    Parameters
    ----------
    source : str or pathlib.Path
        The validated profiles (canonical columns and types, rows in file order).
    workdir : str or pathlib.Path
        Folder for the outputs (``profiles.parquet``, ``profile_horizons.parquet``) and the
        temporary parts; created if needed.
    submission_id : str
        Written in every output row (column ``submission_id``), as the harmonised store tags
        its datasets.
    partition_rows : int
        Horizons harmonised at a time [count] (a larger profile is one part on its own).
    depth_method, targets, method_options
        As :func:`inventory.harmonise.profiles.harmonise_profiles`.

    Returns
    -------
    HarmonisedFiles
        The output paths and the counts the store reports (cleaning rows, imputed bulk
        densities).

    Raises
    ------
    inventory.harmonise.methods.MethodError
        For refused methods, every refused row of the file listed.
    ValueError
        For a ``partition_rows`` below 1, or an unknown ``depth_method`` / ``bd_pedotransfer``.
    """
    if partition_rows < 1:
        raise ValueError(f"partition_rows must be positive: {partition_rows}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    part = _partition_of_rows(source, partition_rows)
    with pq.ParquetFile(source) as reader:
        parts = int(part.max()) + 1 if len(part) else 0
        in_order = bool(np.all(part[1:] >= part[:-1]))
        writers = _Outputs({name: workdir / f"{name}.parquet" for name in OUTPUTS},
                           submission_id)  # fmt: skip
        refused: list[pd.DataFrame] = []
        cleaning = imputed = 0
        if not len(part):  # no horizon: the empty frames the whole file gives
            chunks: Iterator[tuple[pd.DataFrame, np.ndarray]] = iter(
                [(reader.read().to_pandas(), np.zeros(0, dtype="int64"))])  # fmt: skip
        elif in_order:
            chunks = _in_order(reader, part)
        else:
            chunks = _by_part(reader, part, parts, workdir)
        pa.default_memory_pool().release_unused()  # the profile ids' buffers
        for frame, rows in chunks:
            try:
                done = harmonise_profiles(frame, depth_method=depth_method, targets=targets,
                                          method_options=method_options, rows=rows)  # fmt: skip
            except methods.MethodError as err:  # collected: the whole file's error is raised
                refused.append(err.errors)
                continue
            if refused:
                continue  # the outputs are not used: only the refused rows are looked for
            writers.write("profiles", done.intervals)
            writers.write("profile_horizons", done.horizons)
            cleaning += len(done.cleaning)
            imputed += int(done.horizons["bd_imputed"].sum())
            del done, frame
            pa.default_memory_pool().release_unused()  # Arrow keeps freed buffers otherwise
        if refused:
            writers.abort()
            errors = pd.concat(refused, ignore_index=True)
            order = np.argsort(errors["row"].to_numpy(), kind="stable")
            raise methods.MethodError(errors.iloc[order].reset_index(drop=True))
        written = writers.close()
    return HarmonisedFiles(paths=writers.paths, cleaning_rows=cleaning, bd_imputed=imputed,
                           partitions=parts, in_file_order=in_order, rows=written)  # fmt: skip


def _partition_of_rows(source: str | Path, partition_rows: int) -> np.ndarray:
    """The part of every row: profile ids in the order ``sort_values`` puts them, cut where the
    horizons counted so far pass a multiple of ``partition_rows``. All the years of a profile id
    fall in one part (the outputs are sorted by id, then year).

    Memory: ``profile_id`` is read dictionary-encoded, a row group at a time (its indices, 4
    bytes a horizon, and the distinct ids of each row group); only the dictionaries' entries
    are sorted (Arrow, not Python strings).
    """
    with pq.ParquetFile(source, read_dictionary=["profile_id"]) as reader:
        n = reader.metadata.num_rows
        if n == 0:
            return np.zeros(0, dtype="int32")
        indices: list[np.ndarray] = []
        dictionaries: list[pa.Array] = []
        for group in range(reader.num_row_groups):
            column = reader.read_row_group(group, columns=["profile_id"]).column(0)
            if column.null_count:  # never in a validated file: one part, as is
                return np.zeros(n, dtype="int32")
            for chunk in column.chunks:
                indices.append(chunk.indices.to_numpy())
                dictionaries.append(chunk.dictionary)
    # The rank of every distinct id in sorted order (Arrow sorts strings by their UTF-8 bytes,
    # i.e. by code point, as pandas sorts them), from the row groups' own dictionaries.
    entries = pa.concat_arrays(dictionaries)
    order = pc.sort_indices(entries).to_numpy()
    ordered = entries.take(order)
    new = np.ones(len(entries), dtype=bool)
    new[1:] = pc.not_equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    rank = np.empty(len(entries), dtype="int32")
    rank[order] = np.cumsum(new) - 1
    starts = np.cumsum([0, *(len(d) for d in dictionaries)])[:-1]
    ids = np.concatenate([rank[start + index]
                          for start, index in zip(starts, indices, strict=True)])  # fmt: skip
    del indices, dictionaries, entries, order, ordered, new, rank
    partition_rows = max(partition_rows, -(-n // MAX_PARTS))
    counts = np.bincount(ids)  # horizons of each id, ids in sorted order
    start = np.cumsum(counts) - counts  # horizons before each id
    part = np.unique(start // partition_rows, return_inverse=True)[1].astype("int32")
    return part[ids]


def _in_order(reader: pq.ParquetFile,
              part: np.ndarray) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:  # fmt: skip
    """Parts of a file in profile order: runs of consecutive rows, read batch by batch."""
    ends = np.r_[np.flatnonzero(np.diff(part)) + 1, len(part)]  # where each part stops
    pending: list[pa.Table] = []
    offset = start = e = 0
    for batch in reader.iter_batches(batch_size=READ_BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        stop, begin = offset + len(table), offset
        while e < len(ends) and ends[e] <= stop:
            pending.append(table.slice(begin - offset, ends[e] - begin))
            yield _frame(pending, start, int(ends[e]))
            pending, start, begin, e = [], int(ends[e]), int(ends[e]), e + 1
        if begin < stop:
            pending.append(table.slice(begin - offset))
        offset = stop


def _frame(tables: list[pa.Table], start: int, stop: int) -> tuple[pd.DataFrame, np.ndarray]:
    return pa.concat_tables(tables).to_pandas(), np.arange(start, stop, dtype="int64")


def _by_part(reader: pq.ParquetFile, part: np.ndarray, parts: int,
             workdir: Path) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:  # fmt: skip
    """Parts of a file whose profiles are scattered: one pass appends each part's rows (in file
    order, with their positions) to a temporary Arrow IPC file (no encoding: a copy); the parts
    are then read one at a time."""
    folder = workdir / "parts"
    folder.mkdir(exist_ok=True)
    paths = [folder / f"part-{p}.arrows" for p in range(parts)]
    writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
    offset = 0
    try:
        for batch in reader.iter_batches(batch_size=READ_BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            positions = np.arange(offset, offset + len(table), dtype="int64")
            here = part[offset : offset + len(table)]
            offset += len(table)
            order = np.argsort(here, kind="stable")  # by part, file order kept within a part
            table = table.append_column(POSITION, pa.array(positions)).take(pa.array(order))
            here = here[order]
            bounds = np.r_[0, np.flatnonzero(np.diff(here)) + 1, len(here)]
            for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
                p = int(here[begin])
                if p not in writers:
                    writers[p] = pa.ipc.new_stream(str(paths[p]), table.schema)
                writers[p].write_table(table.slice(begin, end - begin))
    finally:
        for writer in writers.values():
            writer.close()
    for path in paths:
        with pa.ipc.open_stream(str(path)) as stream:
            table = stream.read_all()
        path.unlink()
        rows = table.column(POSITION).to_numpy()
        yield table.drop_columns([POSITION]).to_pandas(), rows
        del table
    folder.rmdir()


class _Outputs:
    """The output Parquet files, appended part by part (the first part's schema)."""

    def __init__(self, paths: dict[str, Path], submission_id: str) -> None:
        self.paths, self.submission_id = paths, submission_id
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.empty: dict[str, pa.Table] = {}
        self.rows = dict.fromkeys(paths, 0)

    def write(self, name: str, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame.assign(submission_id=self.submission_id),
                                     preserve_index=False)  # fmt: skip
        if not len(table):
            self.empty.setdefault(name, table)
            return
        writer = self.writers.get(name)
        if writer is None:
            writer = self.writers[name] = pq.ParquetWriter(self.paths[name], table.schema,
                                                           compression="zstd")  # fmt: skip
        elif not table.schema.equals(writer.schema, check_metadata=False):
            table = table.cast(writer.schema)
        writer.write_table(table)
        self.rows[name] += len(table)

    def abort(self) -> None:
        for name, writer in self.writers.items():
            writer.close()
            self.paths[name].unlink(missing_ok=True)
        self.writers = {}

    def close(self) -> dict[str, int]:
        for name, path in self.paths.items():
            writer = self.writers.pop(name, None)
            if writer is None:  # every part came out empty: the columns of one of them
                pq.write_table(self.empty[name], path, compression="zstd")
            else:
                writer.close()
        return self.rows
