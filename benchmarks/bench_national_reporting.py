"""Benchmark: the national-reporting steps on a synthetic national dataset (not a timed test).

On the land units of ``benchmarks/generate_national.py`` (``--units`` x ``--years``), after
the Approach 2 engine has run (``compute_land_unit_inventory``, ``--draws`` Monte Carlo draws),
times each step :func:`inventory.engine.reporting_tables.national_reporting.reporting_tables` adds:

1. CRT Table 4.1 from the land units (``land_transitions_units.sql`` over the engine's runs);
2. the uncertainty analysis: the sensitivity rerun of the per-draw models (one draw per
   uncertain factor), Approach 1, Monte Carlo level and trend, Table 3.2;
3. the key category analysis;

and, separately, the land-use change matrix engine on matrices of the same land (the units'
land uses aggregated to annual matrices by climate x soil cell: ``--units`` does not change
their size, which is set by the number of strata).

    python benchmarks/bench_national_reporting.py --units 1000000 --years 30 --draws 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_national import generate_land_units  # noqa: E402


def _timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s")
    return result


def _matrices(con) -> pd.DataFrame:
    """Annual matrices of the units (state in y - 1 -> state in y, by cell), from the runs."""
    return con.sql("""
        WITH states AS (
            SELECT country, unit_id, year, climate_zone, soil_class, land_use, management,
                input, area_ha FROM land_units
        )
        SELECT a.country, b.year, a.year AS from_year, a.climate_zone, a.soil_class,
            a.land_use AS from_land_use, a.management AS from_management,
            a.input AS from_input, b.land_use AS to_land_use, b.management AS to_management,
            b.input AS to_input, sum(b.area_ha) AS area_ha
        FROM states AS a
        JOIN states AS b ON b.country = a.country AND b.unit_id = a.unit_id
            AND b.year = a.year + 1
        GROUP BY ALL
    """).df()


def main() -> None:
    from inventory.core import units
    from inventory.engine import sql_models
    from inventory.engine.land import approach2, land_use_changes
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions
    from inventory.engine.organic_soils import organic
    from inventory.engine.reporting_tables import key_categories, propagation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "land_units.parquet"
    _timed(f"generate {args.units} units x {args.years} years", generate_land_units, path,
           n_units=args.units, n_years=args.years)  # fmt: skip
    table, con = factors.factor_table("2019"), sql_models.connect()
    _timed(f"Approach 2 engine, {args.draws} draws", approach2.compute_land_unit_inventory,
           str(path), table, EngineOptions(mc_draws=args.draws), con=con)  # fmt: skip
    _timed("CRT Table 4.1 from land units", land_use_changes.land_transition_matrix, con,
           "units")  # fmt: skip
    params = {"transition_years": 20, "c_to_co2": units.carbon_to_co2(1.0), "first_year": None,
              "last_year": None}  # fmt: skip
    empty = organic.organic_soil_emissions(con, pd.DataFrame({
        "country": pd.Series(dtype="str"), "year": pd.Series(dtype="int64"),
        **{k: pd.Series(dtype="str") for k in ("climate_zone", "land_use", "drainage",
                                                "nutrient_status", "drainage_depth")},
        "area_ha": pd.Series(dtype="float64")}))  # fmt: skip
    first = int(con.execute("SELECT min(year) FROM land_units").fetchall()[0][0])
    analysis = _timed("uncertainty analysis (incl. sensitivity rerun)",
                      propagation.uncertainty_analysis, con, engine="transitions",
                      params=params, base_year=first, organic_emissions=empty)  # fmt: skip
    factors_n = int(con.execute("SELECT count(*) FROM sensitivity_factors").fetchall()[0][0])
    sql_models.register(con, {"uncertainty_analysis": analysis})
    _timed("key category analysis", key_categories.key_category_analysis, con,
           base_year=first)  # fmt: skip
    matrices = _timed("annual matrices of the units (setup)", _matrices, con)
    _timed(f"matrix engine ({len(matrices)} cells), {args.draws} draws",
           land_use_changes.compute_matrix_inventory, matrices, table,
           EngineOptions(mc_draws=args.draws))  # fmt: skip
    print(f"uncertain factors (sensitivity draws): {factors_n}; uncertainty rows: "
          f"{len(analysis)}")  # fmt: skip


if __name__ == "__main__":
    main()
