"""Bit-for-bit check of the Approach 1 Monte Carlo outputs before / after an engine change.

Runs ``inventory.engine.mineral_soils.mineral.compute_mineral_inventory`` on the three example
countries (inputs as in ``bench_monte_carlo.py``) in two cases, the examples as submitted and
the same areas with a submitted area uncertainty on part of the strata (so the area multipliers
of ``montecarlo.area_multipliers`` are in the draws), and saves every output table (the
``MineralInventory`` frames and the tables left on the connection, ``stock_change_draws``,
``inventory_stock_draws`` and ``stock_change_totals``, in their stored row order) as pickles.
``--compare`` checks two saved folders for exact equality: same columns, dtypes and rows in
the same order, and every float equal to the bit (NaN where NaN; -0.0 is not 0.0).

    python benchmarks/mc_identity.py --draws 2000 --save /tmp/mc-before
    python benchmarks/mc_identity.py --draws 2000 --save /tmp/mc-after
    python benchmarks/mc_identity.py --compare /tmp/mc-before /tmp/mc-after
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_monte_carlo import COUNTRIES, FIRST_YEAR, LAST_YEAR, _inputs  # noqa: E402
from mc_run_identity import compare  # noqa: E402  (the one bit-for-bit comparison)

from inventory.engine import sql_models  # noqa: E402
from inventory.engine.mineral_soils import mineral  # noqa: E402
from inventory.engine.options import EngineOptions  # noqa: E402

FRAMES = ("stratum_factors", "soc_stocks", "stock_changes", "stock_change_totals",
          "stock_change_subcategories", "inventory_stocks")  # fmt: skip
# Read in their stored order on one thread: later one-thread sums over them depend on it.
CON_TABLES = ("stock_change_draws", "inventory_stock_draws", "stock_change_totals")


def with_area_uncertainty(areas: pd.DataFrame) -> pd.DataFrame:
    """The areas with U = 4 % (cropland), 12 % (grassland) and 25 % (wetlands) submitted."""
    u = areas["land_use"].map({"cropland": 4.0, "grassland": 12.0, "wetlands": 25.0})
    return areas.assign(area_uncertainty_pct=u.astype("float64"))


def save(folder: Path, draws: int, seed: int | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for country in COUNTRIES:
        areas, table = _inputs(country)
        for case, land_areas in (("submitted", areas), ("area_u", with_area_uncertainty(areas))):
            con = sql_models.connect()
            options = EngineOptions(first_year=FIRST_YEAR, last_year=LAST_YEAR, mc_draws=draws,
                                    **({} if seed is None else {"seed": seed}))  # fmt: skip
            result = mineral.compute_mineral_inventory(land_areas, table, options, con=con)
            for name in FRAMES:
                frame = getattr(result, name)
                if frame is not None:
                    frame.to_pickle(folder / f"{country}-{case}-{name}.pkl")
            con.execute("SET threads = 1")
            for name in CON_TABLES:
                frame = con.execute(f"SELECT * FROM {name}").df()
                frame.to_pickle(folder / f"{country}-{case}-con-{name}.pkl")
            print(f"saved {country} {case}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path, nargs=2)
    args = parser.parse_args()
    if args.save:
        save(args.save, args.draws, args.seed)
    if args.compare:
        sys.exit(compare(*args.compare))


if __name__ == "__main__":
    main()
