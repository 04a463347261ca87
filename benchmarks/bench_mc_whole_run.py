"""Benchmark: what 10 000 Monte Carlo draws add to a whole run (not a timed test).

The whole ``soc-inventory run`` of the three example countries (IRL, KEN, URY; area and
organic-soil draws included; the countries in Prefect's thread pool, its ephemeral API) with
``--mc-draws 20`` and with ``--mc-draws 10000``, run in turn (20, 10 000, 20, 10 000, ...) so
that a drift of the shared machine's speed reaches both alike. Each run is a fresh process
timed by ``/usr/bin/time -v`` (user + system CPU seconds, wall seconds, peak RSS); Prefect's
task cache is refreshed (``PREFECT_TASKS_REFRESH_CACHE``) so that every run computes. The
figure is the difference of each pair (10 000 minus 20 draws) and the medians. The examples are
submitted and approved into the lake first when it holds none.

    python benchmarks/bench_mc_whole_run.py --lake /tmp/mc-lake --pairs 3 \
        --out benchmarks/results/2026-12-06/mc-whole-run-pairs.json

A whole process carries Prefect's start-up and its variance (seconds from run to run);
``--in-process`` times only the countries' computation
(:func:`inventory.engine.run.compute_country` of the three, one after the other, in this
process: CPU seconds by ``time.process_time``), the same pairs in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ("IRL", "KEN", "URY")
FIGURES = {
    "user_s": r"User time \(seconds\): ([\d.]+)",
    "sys_s": r"System time \(seconds\): ([\d.]+)",
    "wall": r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
    "peak_rss_kb": r"Maximum resident set size \(kbytes\): (\d+)",
}


def _cli() -> list[str]:
    return [str(Path(sys.executable).with_name("soc-inventory"))]


def _seconds(clock: str) -> float:
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def _run(lake: Path, draws: int, env: dict[str, str]) -> dict[str, float]:
    """One whole run under ``/usr/bin/time -v``: its figures and the load around it."""
    load = os.getloadavg()[0]
    done = subprocess.run(
        ["/usr/bin/time", "-v", *_cli(), "--lake", str(lake), "run", "--mc-draws", str(draws)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the run with {draws} draws failed:\n{done.stderr[-3000:]}")
    found = {k: re.search(p, done.stderr) for k, p in FIGURES.items()}
    if not all(found.values()):
        raise SystemExit("no /usr/bin/time -v figures in the run's output")
    figures = {k: m.group(1) for k, m in found.items() if m}
    return {
        "draws": draws,
        "cpu_s": float(figures["user_s"]) + float(figures["sys_s"]),
        "user_s": float(figures["user_s"]),
        "sys_s": float(figures["sys_s"]),
        "wall_s": _seconds(figures["wall"]),
        "peak_rss_gb": int(figures["peak_rss_kb"]) / 1e6,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _in_process(lake_path: Path, pairs: int, draws: int, base_draws: int) -> dict:
    """CPU seconds of ``compute_country`` of the three countries, ``base_draws`` and ``draws``
    in turn, after one warm-up of each country."""
    import gc

    from inventory.engine.run import RunParameters, compute_country
    from inventory.lake.zones import Lake

    lake = Lake(lake_path)
    for country in COUNTRIES:
        compute_country(lake, country, RunParameters(mc_draws=base_draws))
    runs: dict[int, list[float]] = {base_draws: [], draws: []}
    for _ in range(pairs):
        for n in (base_draws, draws):
            started = time.process_time()
            for country in COUNTRIES:
                compute_country(lake, country, RunParameters(mc_draws=n))
                gc.collect()
            runs[n].append(round(time.process_time() - started, 3))
    differences = [round(a - b, 3) for a, b in zip(runs[draws], runs[base_draws], strict=True)]
    return {"cpu_s": {str(k): v for k, v in runs.items()}, "cpu_s_differences": differences,
            "median_difference_cpu_s": round(statistics.median(differences), 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--base-draws", type=int, default=20)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PREFECT_TASKS_REFRESH_CACHE": "true", "SOILC_AUTO_APPROVE": "*"}
    if not (args.lake / "harmonised").exists():
        for country in COUNTRIES:
            subprocess.run([*_cli(), "--lake", str(args.lake), "submit",
                            str(ROOT / "examples" / country)], env=env, check=True,
                           capture_output=True)  # fmt: skip
    if args.in_process:
        report = _in_process(args.lake, args.pairs, args.draws, args.base_draws)
        report["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(json.dumps(report))
        if args.out:
            args.out.write_text(json.dumps(report, indent=1))
        return
    _run(args.lake, args.base_draws, env)  # warm-up (imports, files in the page cache)
    pairs = []
    for _ in range(args.pairs):
        base = _run(args.lake, args.base_draws, env)
        many = _run(args.lake, args.draws, env)
        pairs.append({"base": base, "draws": many,
                      "cpu_s": many["cpu_s"] - base["cpu_s"],
                      "wall_s": many["wall_s"] - base["wall_s"],
                      "peak_rss_gb": many["peak_rss_gb"] - base["peak_rss_gb"]})  # fmt: skip
        print(json.dumps(pairs[-1]), flush=True)
    summary = {
        key: round(statistics.median(p[key] for p in pairs), 2)
        for key in ("cpu_s", "wall_s", "peak_rss_gb")
    }
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "draws": args.draws, "base_draws": args.base_draws, "pairs": pairs,
              "median_difference": summary}  # fmt: skip
    print("median difference", summary)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
