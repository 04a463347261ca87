"""Where land units lie in their Parquet files: the files (:class:`LandUnitSource`), their size,
the unit-id ranges of their row groups, their file systems.

Read from the Parquet footers only (``parquet_metadata``), never from the rows, so planning the
partitions of 10^8-10^10 land units costs milliseconds. Used by
:mod:`inventory.engine.land.partitioned` to cut ``unit_id`` ranges that read only their own row
groups (files clustered by unit, e.g. one file per spatial tile or written in unit order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

LOCAL_PROTOCOLS = frozenset({"", "file"})
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                           "USMALLINT", "UINTEGER", "UBIGINT"})  # fmt: skip
_STATS_QUERY = """
SELECT path_in_schema AS column_name, row_group_num_rows AS n_rows,
    stats_min_value AS lo, stats_max_value AS hi
FROM parquet_metadata($paths)
WHERE path_in_schema IN ('unit_id', 'year')
"""


@dataclass(frozen=True)
class LandUnitSource:
    """Parquet files of land units (local paths or fsspec URLs such as ``s3://bucket/...``).

    ``country``: the ISO3 code to add when the files have no ``country`` column (the lake's
    harmonised ``land_units/country=XXX/`` files), else None. ``strata``: the Parquet file of
    the stratum dimension table when the units were harmonised with their ``state_id``
    (:mod:`inventory.harmonise.land_unit_states`), else None (encoded on the fly).
    """

    paths: tuple[str, ...]
    country: str | None = None
    strata: str | None = None


@dataclass(frozen=True)
class UnitLayout:
    """``units`` [count] (estimated: rows / years spanned), ``rows`` [count] and the row groups
    as (lowest unit_id, highest unit_id, rows), sorted; empty when unknown or not orderable."""

    units: int
    rows: int
    row_groups: list[tuple[Any, Any, int]] = field(default_factory=list)


def as_source(land_units: Any) -> LandUnitSource | pd.DataFrame:
    """A frame as it is; a path, folder (its ``**/*.parquet``), glob or URL list as a source."""
    if isinstance(land_units, (pd.DataFrame, LandUnitSource)):
        return land_units
    items = [land_units] if isinstance(land_units, (str, Path)) else list(land_units)
    paths = [f"{p}/**/*.parquet" if Path(p).is_dir() else str(p) for p in items]
    return LandUnitSource(tuple(paths))


def register_filesystems(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> None:
    """Let DuckDB read ``protocol://`` paths through fsspec (s3, gcs, abfs, memory, ...).

    Credentials come from fsspec's own configuration (e.g. ``FSSPEC_S3_KEY`` variables or
    ``~/.config/fsspec/``) in the environment of the process that reads.
    """
    protocols = {p.split("://", 1)[0] for p in paths if "://" in p} - LOCAL_PROTOCOLS
    if protocols:
        import fsspec

        for protocol in sorted(protocols):
            con.register_filesystem(fsspec.filesystem(protocol))


def describe(land_units: LandUnitSource | pd.DataFrame) -> UnitLayout:
    """Size and row-group ranges of the land units (footers only for Parquet)."""
    if isinstance(land_units, pd.DataFrame):
        return UnitLayout(int(land_units["unit_id"].nunique()), len(land_units))
    con = duckdb.connect()
    register_filesystems(con, land_units.paths)
    stats = con.execute(_STATS_QUERY, {"paths": list(land_units.paths)}).df()
    rel = con.read_parquet(list(land_units.paths))
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    years = stats[stats["column_name"] == "year"]
    rows = int(years["n_rows"].sum())
    span = _year_span(con, land_units, years)
    groups = _row_groups(stats[stats["column_name"] == "unit_id"], types["unit_id"])
    return UnitLayout(max(1, math.ceil(rows / span)), rows, groups)


def _year_span(con: duckdb.DuckDBPyConnection, source: LandUnitSource, years: pd.DataFrame) -> int:
    """Years from the first to the last [count], from the statistics (else one column read)."""
    if len(years) and years["lo"].notna().all() and years["hi"].notna().all():
        return int(years["hi"].astype("int64").max() - years["lo"].astype("int64").min() + 1)
    rel = con.read_parquet(list(source.paths)).aggregate("max(year) - min(year) + 1")
    return int(rel.fetchall()[0][0] or 1)


def _row_groups(stats: pd.DataFrame, unit_type: str) -> list[tuple[Any, Any, int]]:
    """(lo, hi, rows) of each row group, typed like unit_id; empty if any lacks statistics."""
    if stats.empty or stats["lo"].isna().any() or stats["hi"].isna().any():
        return []
    if unit_type in INTEGER_TYPES:
        cast: Any = int
    elif unit_type == "VARCHAR":
        cast = str
    else:
        return []
    groups = [(cast(lo), cast(hi), int(n)) for lo, hi, n in
              zip(stats["lo"], stats["hi"], stats["n_rows"], strict=True)]  # fmt: skip
    return sorted(groups, key=lambda g: (g[0], g[1]))


def ranges(layout: UnitLayout, count: int) -> list[tuple[Any, Any, int]] | None:
    """``count`` unit-id ranges (lo, hi, rows read) of about equal rows; None without stats.

    Boundaries are row-group minima, so a range reads its own row groups plus at most the
    overlapping neighbours'; ``lo``/``hi`` None = unbounded. Fewer ranges come back when
    fewer distinct minima exist.
    """
    if not layout.row_groups:
        return None
    total = sum(n for _, _, n in layout.row_groups)
    bounds: list[Any] = []
    done = 0
    for lo, _, n in layout.row_groups:
        due = done >= (len(bounds) + 1) * total / count
        if due and (not bounds or lo > bounds[-1]) and done > 0:
            bounds.append(lo)
        done += n
    edges = [None, *bounds, None]
    return [(lo, hi, _rows_read(layout, lo, hi)) for lo, hi in zip(edges, edges[1:], strict=False)]


def _rows_read(layout: UnitLayout, lo: Any, hi: Any) -> int:
    """Rows of the row groups a range [lo, hi) cannot skip by their min/max statistics."""
    return sum(
        n for g_lo, g_hi, n in layout.row_groups
        if (lo is None or g_hi >= lo) and (hi is None or g_lo < hi)
    )  # fmt: skip
