"""Benchmark: read + validate a submission whose profiles file has 1 M horizons.

Usage: ``.venv/bin/python benchmarks/bench_validate.py [--rows N] [--keep DIR]``

Generates a valid package (tests/data/minimal with profiles.csv replaced by N synthetic horizons,
0.1 % of them made invalid so the failure path is exercised too), then times
``read_submission`` and ``validate_submission`` separately and prints peak RSS of the process.

Streamed (issue 24: 10 M rows in < 60 s under 2 GB):
``/usr/bin/time -v .venv/bin/python benchmarks/bench_validate.py --stream --rows 10000000
--data /tmp/bench-profiles-10M.csv [--delete]`` writes the profiles file in chunks of
:data:`WRITE_CHUNK_ROWS` (never the whole table in memory; keep it outside the checkout), then
validates it with :func:`inventory.validation.streaming.validate_profiles_file` and prints one
JSON line (wall and CPU seconds of the validation, GX start-up apart, load average, failures by
rule). ``--generate-only`` writes the file and stops (run it first, so that the measured
process only validates); ``--delete`` removes the file afterwards. Results:
``benchmarks/results/2026-12-06/``.

End-to-end ``submit`` (store, validate, harmonise): ``.venv/bin/python
benchmarks/bench_validate.py --package /tmp/pkg-10M --rows 10000000 [--bad-fraction 0]`` writes
a package folder (tests/data/minimal with its profiles.csv replaced, written in chunks as above;
keep it outside the checkout), then ``SOILC_AUTO_APPROVE='*' SOILC_LAKE=/tmp/lake /usr/bin/time
-v .venv/bin/soc-inventory submit /tmp/pkg-10M`` (``benchmarks/results/2026-12-06/
submit-10M.txt``). ``--phases --package DIR --lake DIR`` runs the same steps in-process without
Prefect (store, ``validate_stored``, ``store.file_outcome``) and prints one JSON line with the
wall and CPU seconds and the peak RSS of each (the peak is reset between phases through
``/proc/self/clear_refs``, Linux).
"""

from __future__ import annotations

import argparse
import json
import os
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
WRITE_CHUNK_ROWS = 1_000_000  # rows generated and appended at a time (a multiple of 4 horizons)
SCATTER_STEP = 7919  # a prime: k -> k x 7919 mod P permutes the profile names (P not a multiple)


def synthetic_profiles(rows: int, *, seed: int = SEED, first_profile: int = 0,
                       bad_fraction: float = BAD_FRACTION,
                       scatter: int | None = None) -> pd.DataFrame:  # fmt: skip
    """``rows`` horizons in submission format v1 (vectorised; no per-row Python); profile ids
    start at ``first_profile``; ``bad_fraction`` of the rows get an out-of-range SOC. With
    ``scatter`` (the file's number of profiles), profile k is named P(k x SCATTER_STEP mod
    scatter): each profile's horizons stay together, but the file is not in profile order."""
    rng = np.random.default_rng(seed)
    n_profiles = -(-rows // len(HORIZONS))
    profile = np.repeat(np.arange(n_profiles), len(HORIZONS))[:rows]
    layer = np.tile(np.arange(len(HORIZONS)), n_profiles)[:rows]
    upper = np.array([h[0] for h in HORIZONS])[layer]
    lower = np.array([h[1] for h in HORIZONS])[layer]
    grass = rng.random(n_profiles)[profile] < 0.5
    soc = np.round(rng.gamma(4.0, 6.0, rows) / (1 + layer), 2)
    bad = rng.random(rows) < bad_fraction
    soc[bad] = 900.0
    return pd.DataFrame({
        "profile_id": pd.Series(profile + first_profile if scatter is None else
                                (profile + first_profile) * SCATTER_STEP % scatter
                                ).map("P{:08d}".format),  # fmt: skip
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


def write_profiles_csv(path: Path, rows: int, *, bad_fraction: float = BAD_FRACTION,
                       scatter: bool = False) -> None:  # fmt: skip
    """The profiles file of ``rows`` horizons, written :data:`WRITE_CHUNK_ROWS` at a time
    (``scatter``: profiles not in name order, see :func:`synthetic_profiles`)."""
    profiles = -(-rows // len(HORIZONS))
    if scatter and profiles % SCATTER_STEP == 0:
        raise ValueError(f"--scatter needs a number of profiles not a multiple of {SCATTER_STEP}")
    for start in range(0, rows, WRITE_CHUNK_ROWS):
        part = synthetic_profiles(min(WRITE_CHUNK_ROWS, rows - start), seed=SEED + start,
                                  first_profile=start // len(HORIZONS),
                                  bad_fraction=bad_fraction,
                                  scatter=profiles if scatter else None)  # fmt: skip
        part.to_csv(path, index=False, header=start == 0, mode="w" if start == 0 else "a")


def streamed(args: argparse.Namespace) -> None:
    """Validate a generated profiles file in batches; one JSON line of figures."""
    from inventory.intake.submission import read_manifest
    from inventory.validation import streaming
    from inventory.validation.gx_suites import _context
    from inventory.validation.validate import number_format, suite_parameters

    data = Path(args.data)
    if not data.exists():
        started = time.perf_counter()
        write_profiles_csv(data, args.rows)
        print(f"wrote {data} ({data.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    manifest = read_manifest(MINIMAL)
    started = time.perf_counter()
    _context()
    warm = time.perf_counter() - started
    load_before = os.getloadavg()
    started, cpu = time.perf_counter(), time.process_time()
    result = streaming.validate_profiles_file(
        data,
        file="profiles.csv",
        parameters=suite_parameters(manifest),
        unit_defaults=manifest.get("units"),
        number_format=number_format(manifest),
        batch_rows=args.batch_rows,
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    by_rule = result.failures["rule_id"].value_counts().sort_index()
    print(json.dumps({
        "what": "validate_profiles_file (streamed)", "rows": result.rows,
        "file_mb": round(data.stat().st_size / 1e6), "batch_rows": args.batch_rows,
        "batches": result.batches, "streamed": result.streamed,
        "gx_every_batch": result.gx_every_batch, "gx_context_s": round(warm, 2),
        "validate_wall_s": round(wall, 2), "validate_cpu_s": round(cpu, 2),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "failures": int(len(result.failures)),
        "failures_by_rule": {str(k): int(v) for k, v in by_rule.items()},
        "peak_rss_mb": round(peak_rss_mb()),
    }))  # fmt: skip
    if args.delete:
        data.unlink()


def phases(args: argparse.Namespace) -> None:
    """Store, validate and file a package in-process; per phase: wall, CPU, peak RSS."""
    os.environ.setdefault("SOILC_AUTO_APPROVE", "*")
    from inventory.harmonise import store
    from inventory.intake.submission import receive_submission
    from inventory.lake.zones import Lake
    from inventory.validation import validate
    from inventory.validation.gx_suites import _context

    figures: dict = {"load_average_before": os.getloadavg()}

    def measured(name: str, step):  # noqa: ANN001, ANN202 - a benchmark helper
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        started, cpu = time.perf_counter(), time.process_time()
        value = step()
        figures[name] = {"wall_s": round(time.perf_counter() - started, 1),
                         "cpu_s": round(time.process_time() - cpu, 1),
                         "peak_rss_mb": _vm_hwm_mb()}  # fmt: skip
        return value

    measured("gx_context", _context)
    lake = Lake.at(args.lake)
    receipt = measured("store_raw", lambda: receive_submission(args.package.resolve(), lake))
    result = measured("validate", lambda: validate.validate_stored(receipt))
    outcome = measured("file_outcome", lambda: store.file_outcome(
        lake, receipt.country, receipt.submission_id, result))  # fmt: skip
    result.discard()
    figures.update(accepted=outcome["accepted"], failures=int(len(result.failures)),
                   batched=result.batched, flags=outcome.get("flags"),
                   load_average_after=os.getloadavg())  # fmt: skip
    print(json.dumps(figures))


def _vm_hwm_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    return -1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--keep", type=Path, help="build the package here and keep it")
    parser.add_argument("--stream", action="store_true", help="validate in batches")
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-profiles.csv"),
                        help="profiles file of --stream (written when absent)")  # fmt: skip
    parser.add_argument("--batch-rows", type=int, default=None, help="rows per batch")
    parser.add_argument("--delete", action="store_true", help="delete --data afterwards")
    parser.add_argument("--generate-only", action="store_true", help="write --data and stop")
    parser.add_argument("--package", type=Path, help="write a package folder here and stop "
                        "(with --phases: the package to submit)")  # fmt: skip
    parser.add_argument("--phases", action="store_true",
                        help="submit --package to --lake in-process, time each phase")  # fmt: skip
    parser.add_argument("--lake", type=Path, default=Path("/tmp/bench-lake"))
    parser.add_argument("--bad-fraction", type=float, default=BAD_FRACTION,
                        help="share of rows with an out-of-range SOC")  # fmt: skip
    parser.add_argument("--scatter", action="store_true",
                        help="profile names not in file order (--package)")  # fmt: skip
    args = parser.parse_args()
    if args.generate_only:
        write_profiles_csv(args.data, args.rows, bad_fraction=args.bad_fraction)
        return
    if args.phases:
        phases(args)
        return
    if args.package:
        shutil.copytree(MINIMAL, args.package)
        (args.package / "profiles.csv").unlink()
        write_profiles_csv(args.package / "profiles.csv", args.rows,
                           bad_fraction=args.bad_fraction, scatter=args.scatter)  # fmt: skip
        size = (args.package / "profiles.csv").stat().st_size
        print(f"wrote {args.package} (profiles.csv {size / 1e6:.0f} MB)")
        return
    if args.stream:
        from inventory.validation.streaming import DEFAULT_BATCH_ROWS

        args.batch_rows = args.batch_rows or DEFAULT_BATCH_ROWS
        streamed(args)
        return
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
