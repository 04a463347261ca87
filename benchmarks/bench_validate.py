"""Benchmark: read + validate a submission whose profiles file has 1 M horizons.

Usage: ``.venv/bin/python benchmarks/bench_validate.py [--rows N] [--keep DIR]``

Generates a valid package (tests/data/minimal with profiles.csv replaced by N synthetic horizons,
0.1 % of them made invalid so the failure path is exercised too), then times
``read_submission`` and ``validate_submission`` separately and prints peak RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "data" / "minimal"
DEFAULT_ROWS = 1_000_000
HORIZONS = ((0, 10), (10, 30), (30, 60), (60, 100))  # cm; four horizons per profile
BAD_FRACTION = 0.001  # share of rows given an out-of-range SOC value
SEED = 20261126


def synthetic_profiles(rows: int, *, seed: int = SEED) -> pd.DataFrame:
    """``rows`` horizons in submission format v1 (vectorised; no per-row Python)."""
    rng = np.random.default_rng(seed)
    n_profiles = -(-rows // len(HORIZONS))
    profile = np.repeat(np.arange(n_profiles), len(HORIZONS))[:rows]
    layer = np.tile(np.arange(len(HORIZONS)), n_profiles)[:rows]
    upper = np.array([h[0] for h in HORIZONS])[layer]
    lower = np.array([h[1] for h in HORIZONS])[layer]
    grass = rng.random(n_profiles)[profile] < 0.5
    soc = np.round(rng.gamma(4.0, 6.0, rows) / (1 + layer), 2)
    bad = rng.random(rows) < BAD_FRACTION
    soc[bad] = 900.0
    return pd.DataFrame({
        "profile_id": pd.Series(profile).map("P{:07d}".format),
        "lat": np.round(51.5 + 4 * rng.random(n_profiles), 4)[profile],
        "lon": np.round(-10 + 4 * rng.random(n_profiles), 4)[profile],
        "year": rng.integers(2000, 2021, n_profiles)[profile],
        "land_use": np.where(grass, "grassland", "cropland"),
        "management": np.where(grass, "nominal", "full_tillage"),
        "input": np.where(grass, "not_applicable", "medium"),
        "climate_zone": "cool_temperate_moist", "soil_class": "hac",
        "upper_cm": upper, "lower_cm": lower, "soc": soc, "soc_unit": "g/kg",
        "soc_method": "dry_combustion",
        "bulk_density": np.round(rng.uniform(0.9, 1.6, rows), 2), "bd_unit": "g/cm3",
        "coarse_fragments_pct": np.round(rng.uniform(0, 30, rows), 1),
    })  # fmt: skip


def build_package(target: Path, rows: int) -> Path:
    shutil.copytree(MINIMAL, target)
    synthetic_profiles(rows).to_csv(target / "profiles.csv", index=False)
    return target


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", type=Path, help="build the package here and keep it")
    args = parser.parse_args()
    from inventory.intake.submission import read_submission
    from inventory.validation.gx_suites import (
        _context,  # warm GX once: per-process cost, not per-row
    )
    from inventory.validation.validate import validate_submission

    started = time.perf_counter()
    _context()
    warm = time.perf_counter() - started
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="bench-validate-"))
    package = build_package(workdir / "package", args.rows)
    size = (package / "profiles.csv").stat().st_size / 1e6
    started = time.perf_counter()
    sub = read_submission(package)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    result = validate_submission(sub)
    validate_s = time.perf_counter() - started
    print(f"rows={args.rows:,} profiles.csv={size:.0f} MB  GX context={warm:.1f} s")
    print(f"read_submission      {read_s:6.2f} s")
    print(f"validate_submission  {validate_s:6.2f} s  (failures: {len(result.failures):,}, "
          f"by rule: {result.summary['failures_by_rule']})")  # fmt: skip
    print(f"peak RSS             {peak_rss_mb():6.0f} MB")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
