"""Flow: scheduled reporting (deployment ``scheduled-reporting``, cron): all countries."""

from __future__ import annotations

from prefect import flow

from flows.inventory_run import inventory_run
from inventory.core import settings
from inventory.engine.run import RunParameters, parameter_default


@flow(name="scheduled-reporting", log_prints=True)
def scheduled_reporting(
    lake_root: str | None = None, mc_draws: int = parameter_default("mc_draws")
) -> dict:
    """Recompute and publish every country with an accepted submission."""
    lake_root = lake_root or str(settings.lake_root())
    return inventory_run(RunParameters(mc_draws=mc_draws), lake_root)
