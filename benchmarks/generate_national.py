"""Synthetic national land-unit dataset for the Approach 2 benchmark (IPCC Approach 2/3 input).

Writes ``land_units`` (country, unit_id, year, climate_zone, soil_class, land_use, management,
input, area_ha) as zstd Parquet: ``n_units`` land units x ``n_years`` annual rows. Generated
inside DuckDB from seeded hashes of (seed, unit_id), so the same arguments give the same file
and nothing the size of the output is ever held in Python memory.

Each unit has a fixed climate zone, soil class and area (1-50 ha); ~30 % forest land, 30 %
cropland, 25 % grassland, 5 % each settlements, wetlands, other land. About 8 % of the units
change land use once (year 3..27 of the series), 6 % of the cropland units change tillage
once and 2 % of them go through a 5-year grass ley and back (a recurring state), so the
D = 20 yr transition, the remaining/converted split and the A-B-A path are all exercised.

    python benchmarks/generate_national.py --units 1000000 --years 30 --out /tmp/lu_1m.parquet
    python benchmarks/generate_national.py --units 100000000 --files 10 --out /data/lu_100m/
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

ZONES = [
    "warm_temperate_moist", "warm_temperate_dry", "cool_temperate_moist", "cool_temperate_dry",
    "tropical_moist", "tropical_dry", "tropical_wet", "tropical_montane",
]  # fmt: skip
SOILS = ["hac", "lac", "sandy", "volcanic"]
# (land_use, management, input) states a unit can start in or be converted to; a unit's state
# is an index into this list (1-based in SQL).
STATES = [
    ("cropland", "full_tillage", "medium"), ("cropland", "full_tillage", "low"),
    ("cropland", "reduced_tillage", "medium"), ("cropland", "no_tillage", "medium"),
    ("cropland", "perennial", "medium"), ("cropland", "paddy_rice", "medium"),
    ("grassland", "nominal", "not_applicable"),
    ("grassland", "moderately_degraded", "not_applicable"),
    ("grassland", "improved", "medium"), ("grassland", "improved", "high"),
    ("forest_land", "not_applicable", "not_applicable"),
    ("settlements", "not_applicable", "not_applicable"),
    ("wetlands", "not_applicable", "not_applicable"),
    ("other_land", "not_applicable", "not_applicable"),
]  # fmt: skip
CROPLAND, NOTILL, GRASSLAND, FOREST, SETTLEMENTS = 1, 4, 7, 11, 12

# Generation query; identifiers fixed here, numbers and code lists bound as parameters.
_QUERY = """
WITH units AS (
    SELECT range AS unit_id,
        hash($seed, range, 1) AS h_zone, hash($seed, range, 2) AS h_soil,
        hash($seed, range, 3) AS h_lu, hash($seed, range, 4) AS h_state,
        hash($seed, range, 5) AS h_change, hash($seed, range, 6) AS h_year,
        hash($seed, range, 7) AS h_target, hash($seed, range, 8) AS h_area
    FROM range($first_unit, $first_unit + $n_units)
),

start AS (
    SELECT unit_id, h_change, h_year, h_target,
        list_element($zones, (h_zone % len($zones))::INT + 1) AS climate_zone,
        list_element($soils, (h_soil % len($soils))::INT + 1) AS soil_class,
        CASE WHEN h_lu % 100 < 30 THEN 1 + (h_state % 6)::INT       -- cropland states
             WHEN h_lu % 100 < 55 THEN 7 + (h_state % 4)::INT       -- grassland states
             WHEN h_lu % 100 < 85 THEN 11                           -- forest land
             ELSE 12 + (h_state % 3)::INT END AS state0,            -- settlements, wetlands, other
        1.0 + (h_area % 4900) / 100.0 AS area_ha
    FROM units
),

plan AS (
    SELECT unit_id, climate_zone, soil_class, area_ha, state0,
        $first_year + 3 + (h_year % ($n_years - 5))::INT AS change_year,
        CASE
            -- land-use change: forest/grassland -> cropland, cropland -> grassland/settlements
            WHEN h_change % 100 < 8 THEN CASE
                WHEN state0 <= 6 AND h_target % 2 = 0 THEN $grassland
                WHEN state0 <= 6 THEN $settlements
                WHEN state0 <= 11 THEN $cropland
                ELSE $grassland END
            -- tillage change on cropland: full tillage -> no-till
            WHEN h_change % 100 < 14 AND state0 IN (1, 2) THEN $notill
            ELSE state0 END AS state1,
        -- ley rotation: cropland to grassland for 5 years and back (a recurring state)
        h_change % 100 BETWEEN 14 AND 15 AND state0 <= 6 AS rotation
    FROM start
),

unit_years AS (
    SELECT p.*, y.range::INT AS year,
        CASE WHEN rotation AND y.range BETWEEN change_year AND change_year + 4 THEN $grassland
            WHEN NOT rotation AND y.range >= change_year THEN state1
            ELSE state0 END AS state
    FROM plan AS p
    CROSS JOIN range($first_year, $first_year + $n_years) AS y
)

SELECT 'SYN' AS country, unit_id, year, climate_zone, soil_class,
    list_element($land_uses, state) AS land_use,
    list_element($managements, state) AS management,
    list_element($inputs, state) AS input,
    area_ha
FROM unit_years
"""


def generate_land_units(
    out: Path,
    *,
    n_units: int,
    n_years: int = 30,
    first_year: int = 1991,
    seed: int = 42,
    first_unit: int = 0,
) -> float:
    """Write units ``first_unit`` .. ``first_unit + n_units - 1`` to ``out`` (Parquet); seconds.

    A unit's rows depend only on (seed, unit_id), so files written with consecutive
    ``first_unit`` ranges together equal one file of all the units.
    """
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")  # row order is irrelevant here
    params = {
        "seed": seed, "n_units": n_units, "first_unit": first_unit, "n_years": n_years,
        "first_year": first_year,
        "zones": ZONES, "soils": SOILS, "land_uses": [s[0] for s in STATES],
        "managements": [s[1] for s in STATES], "inputs": [s[2] for s in STATES],
        "cropland": CROPLAND, "notill": NOTILL, "grassland": GRASSLAND, "settlements": SETTLEMENTS,
    }  # fmt: skip
    started = time.perf_counter()
    con.execute(
        f"COPY ({_QUERY}) TO $out (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)",
        {**params, "out": str(out)},
    )
    con.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--files", type=int, default=1,
        help="write a folder of this many files (tiles of consecutive unit ids) instead of one",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.files == 1:
        seconds = generate_land_units(
            args.out, n_units=args.units, n_years=args.years, seed=args.seed
        )
        size = args.out.stat().st_size
    else:
        seconds, size = generate_tiles(
            args.out, n_units=args.units, n_years=args.years, seed=args.seed, n_files=args.files
        )
    print(
        f"{args.units} units x {args.years} years -> {args.out} ({size / 1e6:.0f} MB) "
        f"in {seconds:.1f} s"
    )


def generate_tiles(
    out: Path, *, n_units: int, n_years: int, seed: int, n_files: int
) -> tuple[float, int]:
    """``out/part-NNN.parquet``, each a consecutive range of unit ids; (seconds, bytes)."""
    out.mkdir(parents=True, exist_ok=True)
    per_file = -(-n_units // n_files)
    seconds, size = 0.0, 0
    for k in range(n_files):
        first = k * per_file
        count = min(per_file, n_units - first)
        path = out / f"part-{k:03d}.parquet"
        if count > 0 and not path.exists():
            seconds += generate_land_units(
                path, n_units=count, n_years=n_years, seed=seed, first_unit=first
            )
        size += path.stat().st_size if path.exists() else 0
    return seconds, size


if __name__ == "__main__":
    main()
