"""The DuckDB file of the compiled inventory: views over the current published release.

Views read ``published/<table>/*/*.parquet`` through the ``published`` symlink, so they always
show the current release without being rewritten. One writer process per DuckDB file: only the
publish step calls :func:`refresh`; dashboards read the Parquet files directly.

Compatibility: published schema version 2 renamed columns so that their names carry units (and
gave ``peatland_offsets`` the emission-positive sign). Each table also gets a view
``<table>_v1`` with the version-1 names, signs and types, built from the ``v1_name`` /
``v1_sign`` / ``v1_type`` metadata of the Parquet fields (``v1_type``: an integer code such as
``key_categories.approach``, published as text), for dashboards and queries written against
version 1.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from inventory.core import settings
from inventory.lake.releases import PUBLISHED_TABLES, RELEASES_FILE
from inventory.lake.zones import Lake

V1_CODE_TYPE = "BIGINT"  # SQL type of an integer code in schema v1 (field metadata v1_type)


def refresh(lake: Lake, path: Path | None = None) -> Path:
    """(Re)create one view per published table (and its ``_v1`` view) in the warehouse file.

    The file is ``path``, else ``$SOILC_DUCKDB``, else ``<lake>/inventory.duckdb``.
    """
    path = path or settings.get_settings().duckdb or lake.root / "inventory.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        for table in PUBLISHED_TABLES:
            glob = lake.published / table / "*" / "*.parquet"
            if not list(lake.published.joinpath(table).glob("*/*.parquet")):
                continue
            # table names come from the fixed PUBLISHED_TABLES list, never from input
            con.execute(
                f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet("
                f"'{_quoted(glob)}', hive_partitioning = true, union_by_name = true)"
            )
            first = sorted(lake.published.joinpath(table).glob("*/*.parquet"))[0]
            con.execute(f"CREATE OR REPLACE VIEW {table}_v1 AS {v1_select(table, first)}")
        releases = lake.published / RELEASES_FILE
        con.execute(
            f"CREATE OR REPLACE VIEW releases AS SELECT * FROM read_parquet('{_quoted(releases)}')"
        )
    return path


def v1_select(table: str, parquet_file: Path) -> str:
    """``SELECT`` of ``table``'s view with the schema-v1 column names and signs."""
    items = []
    for field in pq.read_schema(parquet_file):
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        column = _identifier(field.name)
        if meta.get("v1_sign") == "-1":
            column = f"-{column}"
        if meta.get("v1_type") == V1_CODE_TYPE:  # the one type allowed (no SQL from files)
            column = f"CAST({column} AS {V1_CODE_TYPE})"
        old = meta.get("v1_name") or (field.name if column != _identifier(field.name) else None)
        items.append(f"{column} AS {_identifier(old)}" if old else column)
    if "country" not in {f.name for f in pq.read_schema(parquet_file)}:
        items.append("country")  # version-1 files: country from the partition folder only
    return f"SELECT {', '.join(items)} FROM {table}"


def _identifier(name: str) -> str:
    """A column name as a quoted SQL identifier (names come from the release's own files)."""
    return '"' + name.replace('"', '""') + '"'


def _quoted(path: Path) -> str:
    """A path as the body of a SQL string literal (DDL cannot bind parameters)."""
    return str(path).replace("'", "''")
