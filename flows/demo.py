"""Flow: the whole pipeline on the bundled example packages (``soc-inventory demo``)."""

from __future__ import annotations

from prefect import flow

from flows.intake import intake
from flows.inventory_run import inventory_run
from inventory.core import bundled, settings
from inventory.engine.run import RunParameters, parameter_default
from inventory.harmonise import review
from inventory.lake.zones import Lake


@flow(name="demo", log_prints=True)
def demo(lake_root: str | None = None, countries: list[str] | None = None,
         mc_draws: int = parameter_default("mc_draws")) -> dict:  # fmt: skip
    """Submit every example package, approve them as the current input (the demo's own
    approval, recorded as such), then run and publish the inventory for them."""
    lake_root = lake_root or str(settings.lake_root())
    countries = countries or list(bundled.EXAMPLE_COUNTRIES)
    outcomes = [intake(str(bundled.example_package(c)), lake_root, "demo") for c in countries]
    approved = review.approve_demo(Lake.at(lake_root), outcomes)
    print(f"approved by the demo as current input: {', '.join(approved) or 'none'}")
    accepted = [o["country"] for o in outcomes if o["accepted"]]
    run = inventory_run(RunParameters(countries=accepted, mc_draws=mc_draws), lake_root)
    return {"intake": outcomes, **run}
