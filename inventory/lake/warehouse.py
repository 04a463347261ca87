"""The DuckDB file of the compiled inventory: views over the current published release.

Views read ``published/<table>/*/*.parquet`` through the ``published`` symlink, so they always
show the current release without being rewritten. One writer process per DuckDB file: only the
publish step calls :func:`refresh`; dashboards read the Parquet files directly.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from inventory.core import settings
from inventory.lake.releases import PUBLISHED_TABLES, RELEASES_FILE
from inventory.lake.zones import Lake


def refresh(lake: Lake, path: Path | None = None) -> Path:
    """(Re)create one view per published table in the warehouse DuckDB file."""
    path = path or settings.warehouse_path()
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
        releases = lake.published / RELEASES_FILE
        con.execute(
            f"CREATE OR REPLACE VIEW releases AS SELECT * FROM read_parquet('{_quoted(releases)}')"
        )
    return path


def _quoted(path: Path) -> str:
    """A path as the body of a SQL string literal (DDL cannot bind parameters)."""
    return str(path).replace("'", "''")
