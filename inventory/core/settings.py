"""Every setting of the system in one place: ``SOILC_*`` environment variables and their defaults.

===========================  ====================================  =============================
variable                     meaning                               default
===========================  ====================================  =============================
``SOILC_LAKE``               data lake root (raw/ ... published/)  ``./data_lake`` (working dir)
``SOILC_DUCKDB``             DuckDB file: views of the release     ``<lake>/inventory.duckdb``
``SOILC_TOKENS``             API token store (salted hashes)       ``<lake>/config/tokens.json``
``SOILC_API_MAX_UPLOAD_MB``  largest accepted upload, MiB          50
``SOILC_INTAKE_DEPLOYMENT``  API uploads run this deployment       unset: intake in-process
``SOILC_DASK_ADDRESS``       Dask scheduler, per-country fan-out   unset: thread pool
``SOILC_PREFECT_HOME``       Prefect's home (local database,       ``<user data dir>/prefect``
                             results); ``PREFECT_HOME`` wins       (Linux: ``~/.local/share/
                                                                   soc-inventory/prefect``)
``SOILC_RUN_DEPLOYMENT``     deployment the portal triggers runs   inventory-run/inventory-run
``SOILC_PARTITION_UNITS``    land units per partition (auto)       10000000
``SOILC_ENGINE_MEMORY``      DuckDB memory_limit of a partition    unset: DuckDB (80 % of RAM)
``SOILC_ENGINE_TEMP_DIR``    DuckDB spill folder of a partition    unset: DuckDB's
``SOILC_ENGINE_THREADS``     DuckDB threads of a partition         unset: all cores
``SOILC_HOME``               folder a worker runs flows from       read by ``prefect.yaml``
``SOILC_TRUSTED_PROXIES``    proxies whose ``X-Forwarded-For`` /   empty: trust none
                             ``-Proto`` the API believes
                             (addresses or networks, comma-
                             separated, e.g. ``127.0.0.1,
                             10.0.0.0/8``)
``SOILC_AUTO_APPROVE``       countries whose validated submissions unset: a compiler approves
                             become current at once (ISO3 codes,   each one
                             comma-separated, or ``*``)
``SOILC_STREAM_PROFILES_MB`` a profiles file (CSV, Parquet) larger  32
                             than this, MiB, is validated and
                             harmonised in batches, never read
                             whole (0: every profiles file)
``SOILC_PROFILE_BATCH_ROWS`` profile rows (horizons) validated,    250000
                             and harmonised, at a time in that
                             case: memory grows with it
===========================  ====================================  =============================

Relative paths are taken from the working directory: ``soc-inventory demo`` run in an empty
folder creates ``./data_lake`` there, whether the package is a checkout or an installed wheel.

:func:`get_settings` reads the environment on every call (tests and the CLI change it), so no
other module reads ``os.environ`` for these values.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path
from typing import TypeAlias

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# a DuckDB memory size such as 4GB, 512MiB or 1.5 GB (checked, since it is put into a SET)
MEMORY_LIMIT_PATTERN = r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"
APP_NAME = "soc-inventory"
DEFAULT_LAKE = Path("data_lake")  # relative: below the working directory
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[IPNetwork]:
    """Addresses or networks separated by commas or spaces (``"127.0.0.1, 10.0.0.0/8"``)."""
    return [ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split()]


def _user_prefect_home() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "prefect"


class Settings(BaseSettings):
    """The ``SOILC_*`` settings (see the module docstring for the table)."""

    model_config = SettingsConfigDict(env_prefix="SOILC_", extra="ignore")

    lake: Path = Field(DEFAULT_LAKE, description="data lake root (relative: working directory)")
    duckdb: Path | None = Field(None, description="warehouse DuckDB file")
    tokens: Path | None = Field(None, description="API token store (JSON)")
    api_max_upload_mb: float = Field(50.0, gt=0, description="largest accepted upload, MiB")
    intake_deployment: str | None = Field(None, description="deployment that runs API uploads")
    dask_address: str | None = Field(None, description="'local' or a Dask scheduler address")
    prefect_home: Path = Field(default_factory=_user_prefect_home, description="Prefect's home")
    run_deployment: str = Field(
        "inventory-run/inventory-run",
        description="deployment the portal triggers runs through when a Prefect API serves it "
        "(empty: always run in the portal's process)",
    )
    partition_units: int = Field(
        10_000_000, gt=0, description="land units per partition when partitions are automatic"
    )
    engine_memory: str | None = Field(
        None, pattern=MEMORY_LIMIT_PATTERN, description="DuckDB memory_limit, e.g. '4GB'"
    )
    engine_temp_dir: Path | None = Field(None, description="DuckDB spill folder (temp_directory)")
    engine_threads: int | None = Field(None, gt=0, description="DuckDB threads per partition")
    trusted_proxies: str = Field(
        "",
        description="addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed (comma-separated; empty: none)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as err:
            raise ValueError(f"SOILC_TRUSTED_PROXIES: {err} (give addresses or networks such "
                             "as 127.0.0.1,10.0.0.0/8)") from None  # fmt: skip
        return value

    @property
    def trusted_proxy_networks(self) -> list[IPNetwork]:
        return parse_networks(self.trusted_proxies)

    auto_approve: str = Field(
        "", description="ISO3 codes (comma-separated) or '*': validated submissions of these "
        "countries become current without a compiler's approval (one-country installations)",
    )  # fmt: skip
    stream_profiles_mb: float = Field(
        32.0, ge=0, description="profiles files larger than this (MiB) are validated and "
        "harmonised in batches (inventory.validation.streaming), never read whole",
    )  # fmt: skip
    profile_batch_rows: int = Field(
        250_000, gt=0, description="profile rows validated (and harmonised) at a time when a "
        "profiles file is read in batches",
    )  # fmt: skip

    @property
    def lake_root(self) -> Path:
        return self.lake.resolve()

    @property
    def warehouse_path(self) -> Path:
        return (self.duckdb or self.lake_root / "inventory.duckdb").resolve()

    def tokens_path(self, lake_root: str | Path | None = None) -> Path:
        """The token store: ``SOILC_TOKENS``, else ``<lake>/config/tokens.json``."""
        if self.tokens:
            return self.tokens
        return Path(lake_root or self.lake_root) / "config" / "tokens.json"


def get_settings() -> Settings:
    """The settings as the environment gives them now."""
    return Settings()


def lake_root() -> Path:
    """``$SOILC_LAKE``, else ``./data_lake`` in the working directory (absolute)."""
    return get_settings().lake_root


def warehouse_path() -> Path:
    """The DuckDB file of the compiled inventory (dashboards read Parquet, never this file)."""
    return get_settings().warehouse_path


# Prefect: local and quiet by default. These are Prefect's own settings; setdefault keeps any
# value the user exported. PREFECT_HOME defaults to ``Settings.prefect_home``.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def configure_prefect_environment() -> None:
    """Local, quiet Prefect defaults, set before Prefect is imported."""
    if "PREFECT_HOME" not in os.environ:
        home = get_settings().prefect_home.expanduser()
        home.mkdir(parents=True, exist_ok=True)  # Prefect creates the last level only
        os.environ["PREFECT_HOME"] = str(home)
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def quiet_libraries() -> None:
    """Keep library chatter (GX's temporary-docs notices, progress bars) off the user's console."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "distributed", "pint"):
        logging.getLogger(name).setLevel(logging.WARNING)
