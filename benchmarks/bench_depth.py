"""Benchmark of inventory.harmonise.depth on 100 000 synthetic profiles (not a timed test).

Run: ``.venv/bin/python benchmarks/bench_depth.py [n_profiles]``. Each method goes to 0-30 cm
and to the GlobalSoilMap intervals; the vectorised implementation runs on all profiles, the
straightforward per-profile implementation (tests/depth_reference.py) on a subsample whose time
is extrapolated linearly. Results are checked to agree on the subsample.

Measured 2026-11-26 on the shared 2-core machine (load average ~6, best of 3 runs; wall clock):

| method | targets | vectorised (s) | per-profile, extrapolated (s) |
|---|---|---|---|
| overlap | 0-30 | 0.01 | 1 |
| overlap | GSM 0-5-15-30-60-100-200 | 0.16 | 10 |
| spline | 0-30 | 0.63 | 31 |
| spline | GSM 0-5-15-30-60-100-200 | 1.59 | 68 |

End to end, ``harmonise_profiles`` on the same 500 381 rows: 2.4 s (overlap, 2 intervals),
5.3 s (spline, 6 intervals).

Goal run (issue 24: 1 M profiles to the GlobalSoilMap intervals in < 10 s, memory bounded by
chunks): ``.venv/bin/python benchmarks/bench_depth.py 1000000 --goal`` under
``/usr/bin/time -v`` times one ``spline_stocks`` call, checks the first profiles against the
per-profile reference and prints a JSON line. Results: ``benchmarks/results/2026-12-06/``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inventory.harmonise import depth, profiles  # noqa: E402
from tests.depth_reference import mpspline_one, overlap_one  # noqa: E402

TARGETS = {"0-30": ((0, 30),), "GSM": depth.GSM_INTERVALS}
SUBSAMPLE = 1000
MB = 1e6
OUTPUT_ARRAYS = 5  # (P, T) float arrays alive at the end: sums, hits, mean, coverage, stock
HORIZON_ARRAYS = 2  # (N,) float arrays the spline allocates: density, fitted means


def synthetic_profiles(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    """~5 horizons per profile (3-7), whole-cm thicknesses 5-40 cm, 10 % of them after a gap."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(3, 8, size=n)
    profile = np.repeat(np.arange(n), counts)
    thickness = rng.integers(5, 41, size=profile.size).astype(float)
    gap = np.where(rng.random(profile.size) < 0.1, rng.integers(1, 10, size=profile.size), 0)
    step = thickness + gap
    ends = np.cumsum(step)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offset = np.repeat(ends[first] - step[first], counts)  # profile starts at 0 cm
    lower = ends - offset
    upper = lower - thickness
    stock = rng.uniform(1, 40, size=profile.size) * thickness / 10
    return profile, upper, lower, stock


def timed(fn, *args, repeat=1, **kw):
    """Best wall-clock time of ``repeat`` runs (the machine is shared) and the result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - start)
    return best, out


def reference(method, profile, upper, lower, stock, targets, n_sub):
    d = (targets[0][0], *[b for _, b in targets])
    out = []
    bounds = np.searchsorted(profile, np.arange(n_sub + 1))  # horizons sorted by profile
    for p in range(n_sub):
        sel = slice(bounds[p], bounds[p + 1])
        u, lo, s = upper[sel], lower[sel], stock[sel]
        if method == "overlap":
            out.append(overlap_one(u, lo, s, targets)[0])
        else:
            out.append(mpspline_one(u, lo, s / (lo - u), d=d, vlow=0.0, vhigh=np.inf)["est_dcm"])
    return np.asarray(out)


def submission_frame(profile, upper, lower, stock) -> pd.DataFrame:
    """The same horizons as a ``profiles`` submission (20 % Walkley-Black, 30 % without BD)."""
    rng = np.random.default_rng(11)
    soc_g_per_kg = stock * 10 / ((lower - upper) * 1.3)
    return pd.DataFrame(
        {
            "profile_id": profile.astype(str),
            "lat": 0.0,
            "lon": 0.0,
            "year": 2020,
            "land_use": "cropland",
            "management": "full_tillage",
            "input": "medium",
            "climate_zone": "tropical_moist",
            "soil_class": "lac",
            "upper_cm": upper,
            "lower_cm": lower,
            "soc": soc_g_per_kg / 10,
            "soc_unit": "%",
            "soc_method": np.where(
                rng.random(profile.size) < 0.2, "walkley_black", "dry_combustion"
            ),
            "bulk_density": np.where(rng.random(profile.size) < 0.3, np.nan, 1300.0),
            "bd_unit": "kg/m3",
            "coarse_fragments_pct": np.nan,
        }
    )


def end_to_end(profile, upper, lower, stock) -> None:
    frame = submission_frame(profile, upper, lower, stock)
    print("\n| harmonise_profiles (units, methods, cleaning, BD, stocks, intervals) | seconds |")
    print("|---|---|")
    for method, targets in (("overlap", depth.IPCC_INTERVALS), ("spline", depth.GSM_INTERVALS)):
        seconds, _ = timed(profiles.harmonise_profiles, frame, depth_method=method, targets=targets)
        print(f"| {method}, {len(targets)} intervals | {seconds:.2f} |")


def goal(n: int) -> dict:
    """One timed spline of n profiles to the GSM intervals, checked on a subsample."""
    profile, upper, lower, stock = synthetic_profiles(n)
    started, cpu = time.perf_counter(), time.process_time()
    values, _ = depth.spline_stocks(
        profile, upper, lower, stock, targets=depth.GSM_INTERVALS, n_profiles=n
    )
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    ref = reference("spline", profile, upper, lower, stock, depth.GSM_INTERVALS, SUBSAMPLE)
    check = values[:SUBSAMPLE] / (np.asarray([b - t for t, b in depth.GSM_INTERVALS]))
    coverage = depth.spline_intervals(
        profile[profile < SUBSAMPLE],
        upper[profile < SUBSAMPLE],
        lower[profile < SUBSAMPLE],
        (stock / (lower - upper))[profile < SUBSAMPLE],
        vhigh=np.inf,
    )[1]
    mean = np.where(coverage > 0, check / np.where(coverage > 0, coverage, 1), np.nan)
    np.testing.assert_allclose(mean, ref, rtol=1e-9, atol=1e-9, equal_nan=True)
    tracemalloc.start()  # a second, untimed run: the spline's own allocations
    depth.spline_stocks(profile, upper, lower, stock, targets=depth.GSM_INTERVALS, n_profiles=n)
    peak_mb = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return {
        "what": "spline_stocks to GlobalSoilMap intervals",
        "profiles": n,
        "horizons": int(profile.size),
        "chunk_profiles": depth.SPLINE_CHUNK_PROFILES,
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "load_average_1min": os.getloadavg()[0],
        "checked_against_reference_profiles": SUBSAMPLE,
        "spline_peak_allocated_mb": round(peak_mb, 1),
        "of_which_per_profile_outputs_mb": round(
            OUTPUT_ARRAYS * n * len(depth.GSM_INTERVALS) * 8 / MB, 1
        ),
        "of_which_per_horizon_arrays_mb": round(HORIZON_ARRAYS * profile.size * 8 / MB, 1),
    }


def main(n: int = 100_000) -> None:
    profile, upper, lower, stock = synthetic_profiles(n)
    sub = profile < SUBSAMPLE
    print(f"{n} profiles, {profile.size} horizons ({profile.size / n:.2f} per profile)")
    print("| method | targets | vectorised (s) | per-profile, extrapolated (s) | speed-up |")
    print("|---|---|---|---|---|")
    for method in ("overlap", "spline"):
        for name, targets in TARGETS.items():
            if method == "overlap":
                fast, (values, _) = timed(
                    depth.overlap_split,
                    profile,
                    upper,
                    lower,
                    stock,
                    targets=targets,
                    n_profiles=n,
                    repeat=3,
                )
                check = values
            else:
                fast, _ = timed(
                    depth.spline_stocks,
                    profile,
                    upper,
                    lower,
                    stock,
                    targets=targets,
                    n_profiles=n,
                    repeat=3,
                )
                dens = stock / (lower - upper)
                check, _, _ = depth.spline_intervals(
                    profile[sub], upper[sub], lower[sub], dens[sub], targets=targets, vhigh=np.inf
                )
            slow, ref = timed(reference, method, profile, upper, lower, stock, targets, SUBSAMPLE)
            np.testing.assert_allclose(check[:SUBSAMPLE], ref, rtol=1e-9, atol=1e-9, equal_nan=True)
            total = slow * n / SUBSAMPLE
            print(f"| {method} | {name} | {fast:.2f} | {total:.0f} | {total / fast:.0f}x |")
    end_to_end(profile, upper, lower, stock)


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if "--goal" in sys.argv:
        print(json.dumps(goal(size)))
    else:
        main(size)
