"""Benchmark: the partitioned land-unit engine out of core and on 1, 2, 4 Dask workers.

Data: a folder of Parquet tiles of consecutive unit ids (``generate_national.py --files``), so
unit-id range partitions read only their own tiles.

* ``out-of-core``: all the units, partitions of ``--partition-units`` one after the other in
  one process (``InProcess``), DuckDB bounded by ``--memory`` and spilling to ``--temp-dir``;
  wall, CPU, peak RSS of the process and each partition's unit pass.
* ``scaling``: the first ``--scaling-files`` tiles on a ``LocalCluster`` of 1, 2, 4 worker
  processes (1 thread each; DuckDB threads = cores / workers, at least 1), same partitions;
  wall, CPU (workers + client) and peak RSS of every worker, efficiency = T(1) / (n x T(n)),
  and the national totals of every run compared with the 1-worker run (to agree to 1e-9).
* ``one-pass``: all the units in one DuckDB pass (``compute_land_unit_inventory``) bounded by
  ``--memory`` (DuckDB spills the rest to ``--temp-dir``), its national totals compared with
  an ``out-of-core`` result (``--compare out-of-core.json``).

    python benchmarks/bench_partitioned.py out-of-core --data /data/lu_100m --memory 3GB \\
        --temp-dir /data/spill --json oc.json
    python benchmarks/bench_partitioned.py scaling --data /data/lu_100m --scaling-files 4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import pandas as pd

D = 20
COMPARED = ["dC_tc_per_yr", "area_ha", "ci_low", "ci_high"]


def _rusage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": own.ru_utime + own.ru_stime, "peak_rss_gb": own.ru_maxrss / 1024**2}


def _run(files: list[str], draws: int, units_per_partition: int, executor=None) -> dict:
    from inventory.engine.land import partitioned, unit_layout
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    source = unit_layout.LandUnitSource(tuple(files))
    plan = partitioned.plan_partitions(source, units_per_partition=units_per_partition)
    started = time.perf_counter()
    out = partitioned.compute_partitioned_inventory(
        source,
        factors.factor_table("2019"),
        partitions=len(plan),
        executor=executor,
        options=EngineOptions(mc_draws=draws),
    )
    return {
        "wall_s": time.perf_counter() - started,
        "partitions": len(out.partitions),
        "rows_read": sum(p.rows_read or 0 for p in out.partitions),
        "partition_pass_s": out.seconds,
        "totals": out.inventory.stock_change_totals,
    }


def out_of_core(args: argparse.Namespace) -> dict:
    os.environ["SOILC_ENGINE_MEMORY"] = args.memory
    os.environ["SOILC_ENGINE_TEMP_DIR"] = str(args.temp_dir)
    before = _rusage()
    result = _run(_files(args.data), args.draws, args.partition_units)
    after = _rusage()
    result.update(cpu_s=after["cpu_s"] - before["cpu_s"], peak_rss_gb=after["peak_rss_gb"])
    return result


def one_pass(args: argparse.Namespace) -> dict:
    from inventory.engine.land import approach2, partitioned
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    os.environ["SOILC_ENGINE_MEMORY"] = args.memory
    os.environ["SOILC_ENGINE_TEMP_DIR"] = str(args.temp_dir)
    before, started = _rusage(), time.perf_counter()
    out = approach2.compute_land_unit_inventory(
        f"{args.data}/*.parquet",
        factors.factor_table("2019"),
        EngineOptions(mc_draws=args.draws),
        con=partitioned.partition_connection(),
    )
    after = _rusage()
    result = {
        "wall_s": time.perf_counter() - started, "cpu_s": after["cpu_s"] - before["cpu_s"],
        "peak_rss_gb": after["peak_rss_gb"], "totals": out.stock_change_totals,
    }  # fmt: skip
    if args.compare:
        other = pd.DataFrame(json.loads(args.compare.read_text())["run"]["totals"])
        mine = out.stock_change_totals.query("scope == 'national'").set_index("year")
        result["max_relative_difference"] = _difference(
            other.set_index("year")[COMPARED], mine.loc[other["year"], COMPARED]
        )
    return result


def _worker_usage() -> dict[str, float]:
    return _rusage()


def scaling(args: argparse.Namespace) -> dict:
    from distributed import Client, LocalCluster

    from inventory.engine.land import partitioned

    files = _files(args.data)[: args.scaling_files]
    runs = {}
    for workers in args.workers:
        os.environ["SOILC_ENGINE_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
        os.environ["SOILC_ENGINE_MEMORY"] = args.memory
        os.environ["SOILC_ENGINE_TEMP_DIR"] = str(args.temp_dir)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, memory_limit=None)  # fmt: skip
        with cluster, Client(cluster) as client:
            before, client_before = client.run(_worker_usage), _rusage()["cpu_s"]
            result = _run(files, args.draws, args.partition_units,
                          partitioned.DaskExecutor(client))  # fmt: skip
            after, client_cpu = client.run(_worker_usage), _rusage()["cpu_s"] - client_before
        result["workers"] = workers
        result["client_cpu_s"] = client_cpu
        result["cpu_s"] = client_cpu + sum(after[w]["cpu_s"] - before[w]["cpu_s"] for w in after)
        result["worker_peak_rss_gb"] = [after[w]["peak_rss_gb"] for w in sorted(after)]
        runs[workers] = result
        print(f"{workers} worker(s): {result['wall_s']:.1f} s", flush=True)
    base = runs[args.workers[0]]
    for result in runs.values():
        result["efficiency"] = base["wall_s"] / (result["workers"] * result["wall_s"])
        result["max_relative_difference"] = _difference(base["totals"], result["totals"])
    return runs


def _difference(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest |a - b| / max(|a|, 1) over the compared columns of two totals tables."""
    gap = (a[COMPARED] - b[COMPARED]).abs()
    return float((gap / a[COMPARED].abs().clip(lower=1.0)).max().max())


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in Path(folder).glob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("out-of-core", "scaling", "one-pass"))
    parser.add_argument("--data", type=Path, required=True, help="folder of Parquet tiles")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--partition-units", type=int, default=10_000_000)
    parser.add_argument("--memory", default="3GB", help="DuckDB memory_limit per partition")
    parser.add_argument("--temp-dir", type=Path, default=Path("/tmp/soilc-spill"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--scaling-files", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None, help="out-of-core JSON (one-pass)")
    args = parser.parse_args()
    args.temp_dir.mkdir(parents=True, exist_ok=True)
    figures = {"mode": args.mode, "load_average_start": os.getloadavg()}
    if args.mode == "out-of-core":
        figures["run"] = out_of_core(args)
    elif args.mode == "one-pass":
        figures["run"] = one_pass(args)
    else:
        figures["runs"] = scaling(args)
    figures["load_average_end"] = os.getloadavg()
    text = json.dumps(figures, indent=2, default=_jsonable)
    print(text)
    if args.json:
        args.json.write_text(text)


def _jsonable(value):
    if isinstance(value, pd.DataFrame):
        national = value.query("scope == 'national'")
        return national[["year", *COMPARED]].tail(3).to_dict("records")
    return str(value)


if __name__ == "__main__":
    main()
