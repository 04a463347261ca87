"""Benchmark: the Monte Carlo of the three example countries (not a timed test).

The examples (IRL, KEN, URY: 27 + 55 + 23 national strata, 1970-2024, reported 1990-2024) are
read, validated and harmonised once (not timed), with their Tier 2 factors derived from the
profiles as in a run. Timed per country: factor resolution, the draws (one per source table
row, ``inventory.engine.uncertainty.montecarlo``), the per-draw category changes (one sparse matrix
product), the 95 % intervals of every category and total (the method of
``stock_change_uncertainty.sql`` and ``stock_change_totals.sql``, from the draws in memory:
``mineral.draw_uncertainty_tables``) and the inventory stocks, i.e.
``inventory.engine.mineral_soils.mineral.compute_mineral_inventory`` with ``--draws`` iterations.
Wall and CPU seconds (all threads of the process) are reported: on a shared machine the CPU
time says what the wall time would be on an idle one.

    python benchmarks/bench_monte_carlo.py --draws 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from inventory.engine.mineral_soils import factors, mineral, tier2
from inventory.engine.options import EngineOptions
from inventory.harmonise.store import harmonise_datasets
from inventory.intake.submission import read_submission
from inventory.validation.validate import validate_submission

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
COUNTRIES = ("IRL", "KEN", "URY")
FIRST_YEAR, LAST_YEAR = 1990, 2024


def _inputs(country: str):
    """Harmonised land areas and the Tier 2 factor table of one example package."""
    result = validate_submission(read_submission(EXAMPLES / country))
    frames, _ = harmonise_datasets(result.datasets, country)
    derived = tier2.derive_factors(frames["profiles"].assign(country=country))
    table = factors.factor_table("2019", submitted=frames.get("factors"), derived=derived.factors)
    return frames["land_areas"].assign(country=country), table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()
    inputs = {country: _inputs(country) for country in COUNTRIES}
    report: dict[str, dict] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    for country, (areas, table) in inputs.items():
        begin, cpu_begin = time.perf_counter(), time.process_time()
        result = mineral.compute_mineral_inventory(
            areas,
            table,
            EngineOptions(first_year=FIRST_YEAR, last_year=LAST_YEAR, mc_draws=args.draws),
        )
        strata = areas.drop_duplicates(
            ["climate_zone", "soil_class", "land_use", "management", "input"]
        )
        report[country] = {
            "strata": len(strata), "wall_s": round(time.perf_counter() - begin, 2),
            "cpu_s": round(time.process_time() - cpu_begin, 2),
            "categories_x_years": len(result.stock_changes),
        }  # fmt: skip
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"draws": args.draws, "countries": report, "total_wall_s": round(total, 2),
                      "total_cpu_s": round(cpu, 2), "peak_rss_gb": round(peak, 2)},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
