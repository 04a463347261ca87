"""Embedded defaults: where the lake and the DuckDB file live (overridable by environment)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = PROJECT_ROOT / "examples"
EXAMPLE_COUNTRIES = ("IRL", "KEN", "URY")


def lake_root() -> Path:
    """``$SOILC_LAKE``, else ``data_lake/`` of the project checkout."""
    return Path(os.environ.get("SOILC_LAKE", PROJECT_ROOT / "data_lake")).resolve()


def warehouse_path() -> Path:
    """The DuckDB file of the compiled inventory (dashboards read Parquet, never this file)."""
    return Path(os.environ.get("SOILC_DUCKDB", lake_root() / "inventory.duckdb")).resolve()


def configure_prefect_environment() -> None:
    """Local, quiet Prefect defaults before Prefect is imported (ECOSYSTEM.md section 1.8)."""
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def quiet_libraries() -> None:
    """Keep library chatter (GX's temporary-docs notices, progress bars) off the user's console."""
    import logging

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "distributed", "pint"):
        logging.getLogger(name).setLevel(logging.WARNING)
