"""Benchmark: the Approach 2/3 engine on a synthetic national dataset (not a timed test).

Three ways over the same zstd Parquet of land units x years (benchmarks/generate_national.py):

1. bare DuckDB scan: every column read once (min/max per column), nothing computed;
2. the engine (``inventory.engine.land.approach2.compute_land_unit_inventory``) with IPCC 2019
   defaults and a Monte Carlo of ``--draws`` iterations (soc_stocks, stock_changes, totals,
   sub-categories);
3. the partitioned engine (``inventory.engine.land.partitioned``) in this process, ``--partitions``
   unit-id ranges one after the other (same outputs; bounded memory);
4. plain pandas, the same equations (IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per unit, remaining vs
   converted), deterministic only (no factor resolution, no Monte Carlo: less work than the
   engine), on the first ``--pandas-units`` units and extrapolated linearly to all units. The
   engine is run on the same subsample and both results are compared (they must agree);
5. Polars (``benchmarks/polars_reference.py``), the same equations as pandas, same subsample
   (``--polars-units``; all units if it fits), compared with the engine in the same way;
6. DuckDB written the obvious way: the same equations as pandas in one SQL query of window
   functions over the unit-year rows (lag by D years, spells by running sums), deterministic
   only, on all units, compared with the engine's deterministic stock changes.

Land units encoded once (``inventory/harmonise/land_unit_states.py``): the harmonisation step
(``encode``: the file written again with an integer ``state_id`` per row, and the stratum
dimension table) is timed on its own, then the engine runs on the encoded file (the runs of
every later day); the engine on the text file (encoded on the fly) is phase ``engine_text``.
The encoded files are written next to the data file (``*_encoded.parquet``,
``*_strata.parquet``).

DuckDB runs with ``$SOILC_ENGINE_MEMORY`` / ``$SOILC_ENGINE_TEMP_DIR`` when set (the machine is
shared: keep memory bounded).

Each phase runs in its own process, so peak RSS and CPU seconds are per phase. CPU seconds are
reported because the machine may be shared: wall time on a loaded host says little, CPU time
divided by the cores used is the time on an idle one.

    python benchmarks/bench_engine.py --units 1000000 --years 30
    python benchmarks/bench_engine.py --units 10000000 --years 30 --pandas-units 250000
    python benchmarks/bench_engine.py --units 2000000 --phases scan,engine  # engine vs scan only
    SOILC_ENGINE_MEMORY=6GB SOILC_ENGINE_TEMP_DIR=/data/spill \
        python benchmarks/bench_engine.py --data /data/lu_10m.parquet --units 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

STRATUM = ["country", "climate_zone", "soil_class", "land_use", "management", "input"]
D = 20


def _usage() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": own.ru_utime + own.ru_stime, "peak_rss_gb": own.ru_maxrss / 1024**2}


def _timed(function, *args, **kwargs) -> dict:
    before = _usage()
    started = time.perf_counter()
    result = function(*args, **kwargs)
    after = _usage()
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": after["cpu_s"] - before["cpu_s"],
        "peak_rss_gb": after["peak_rss_gb"],
        "result": result,
    }


def phase_scan(path: str) -> dict:
    """Bare DuckDB scan: read every column once."""
    from inventory.engine.land.partitioned import partition_connection

    def scan():
        con = partition_connection()
        return con.execute(
            "SELECT count(*), min(country), max(unit_id), min(year), max(year), "
            "max(climate_zone), max(soil_class), max(land_use), max(management), max(input), "
            "sum(area_ha) FROM read_parquet($p)",
            {"p": path},
        ).fetchall()[0][0]

    return _timed(scan)


def phase_encode(path: str, encoded: str, strata: str) -> dict:
    """Harmonisation's encoding of the land units (once per submission)."""
    from inventory.engine.land.partitioned import partition_connection
    from inventory.harmonise import land_unit_states

    return _timed(
        lambda: land_unit_states.encode_parquet(partition_connection(), path, encoded, strata)
    )


def phase_rewrite(path: str, out: str) -> dict:
    """The same file written again unencoded (zstd, same row groups): what harmonisation
    writes anyway, so ``encode`` minus this is the encoding's own cost."""
    from inventory.engine.land.partitioned import partition_connection

    def rewrite():
        partition_connection().execute(
            "COPY (FROM read_parquet($p)) TO $out "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)",
            {"p": path, "out": out},
        )

    return _timed(rewrite)


def phase_engine(path: str, draws: int, strata: str | None = None) -> dict:
    """The engine on the Parquet file, IPCC 2019 defaults, ``draws`` Monte Carlo draws (on the
    encoded units when ``strata`` is given)."""
    from inventory.engine.land import approach2
    from inventory.engine.land.partitioned import partition_connection
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    table = factors.factor_table("2019")

    def run():
        out = approach2.compute_land_unit_inventory(
            path, table, EngineOptions(mc_draws=draws), con=partition_connection(), strata=strata
        )
        national = out.stock_change_totals.query("scope == 'national'")
        return {
            "stock_changes": out.stock_changes,
            "soc_stocks_rows": len(out.soc_stocks),
            "stock_changes_rows": len(out.stock_changes),
            "national_dc_last_year": float(national.dC_tc_per_yr.iloc[-1]),
            "tables": _compared_tables(out),
        }

    return _timed(run)


def phase_partitioned(path: str, draws: int, partitions: int, strata: str | None = None) -> dict:
    """The partitioned engine in this process: ``partitions`` unit-id ranges in turn."""
    from inventory.engine.land import partitioned, unit_layout
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    table = factors.factor_table("2019")

    def run():
        source = unit_layout.LandUnitSource((path,), strata=strata)
        out = partitioned.compute_partitioned_inventory(
            source, table, partitions=partitions, options=EngineOptions(mc_draws=draws)
        )
        national = out.inventory.stock_change_totals.query("scope == 'national'")
        return {
            "kinds": sorted({p.kind for p in out.partitions}),
            "partition_pass_s": out.seconds,
            "national_dc_last_year": float(national.dC_tc_per_yr.iloc[-1]),
            "tables": _compared_tables(out.inventory),
        }

    return _timed(run)


COMPARED = {  # table -> its numeric outputs; compared between the one-pass and partitioned runs
    "soc_stocks": ["area_ha", "stock_tc"],
    "stock_changes": ["area_ha", "dC_tc_per_yr", "ci_low", "ci_high"],
    "stock_change_totals": ["area_ha", "dC_tc_per_yr", "ci_low", "ci_high", "dco2_ci_low"],
    "stock_change_subcategories": ["area_ha", "dC_tc_per_yr", "ci_low", "ci_high"],
}


def _compared_tables(inventory) -> dict[str, pd.DataFrame]:
    return {name: getattr(inventory, name) for name in COMPARED}


def max_relative_difference(a: dict, b: dict) -> float:
    """Largest |a - b| / max(|a|, 1) over the compared tables (same rows, same order)."""
    worst = 0.0
    for name, columns in COMPARED.items():
        x, y = a[name][columns].to_numpy(float), b[name][columns].to_numpy(float)
        if x.shape != y.shape:
            return float("inf")
        gap = np.abs(x - y) / np.maximum(np.abs(x), 1.0)
        worst = max(worst, float(np.nanmax(gap)))
    return worst


def _density(land_units: pd.DataFrame) -> pd.DataFrame:
    """SOC_REF x F_LU x F_MG x F_I per stratum [t C/ha], resolved by the engine (not timed)."""
    from inventory.engine import sql_models
    from inventory.engine.mineral_soils import factors, mineral

    con = sql_models.connect()
    strata = land_units[STRATUM].drop_duplicates()
    sql_models.register(con, {"land_areas": strata, "factor_table": factors.factor_table("2019")})
    resolved = mineral.resolve_factors(con)
    return (
        resolved.groupby(STRATUM, as_index=False)["value"]
        .prod()
        .rename(columns={"value": "stock_per_ha"})
    )


def pandas_stock_changes(land_units: pd.DataFrame, density: pd.DataFrame) -> pd.DataFrame:
    """Eq. 2.25 per unit in plain pandas: dC = (SOC(y) - SOC(max(y - D, first))) / D.

    Converted = within D years of the start of the current land-use spell, after another land
    use; grouped by (year, land_use_category) like the engine's ``stock_changes``.
    """
    frame = land_units.merge(density, on=STRATUM, how="left")
    frame = frame.sort_values(["country", "unit_id", "year"], ignore_index=True)
    stock = frame["area_ha"] * frame["stock_per_ha"]
    units = frame.groupby(["country", "unit_id"], sort=False)
    past = stock.groupby([frame["country"], frame["unit_id"]], sort=False).shift(D)
    first = stock.groupby([frame["country"], frame["unit_id"]], sort=False).transform("first")
    frame["dC_tc_per_yr"] = (stock - past.fillna(first)) / D
    before = units["land_use"].shift()
    changed = frame["land_use"].ne(before)  # True on each unit's first row
    spell = changed.cumsum()
    spell_start = frame["year"].groupby(spell).transform("min")
    previous = before.where(changed).groupby(spell).transform("first")
    converted = previous.notna() & (frame["year"] - spell_start < D)
    frame["land_use_category"] = np.where(
        converted,
        "land_converted_to_" + frame["land_use"],
        frame["land_use"] + "_remaining_" + frame["land_use"],
    )
    keys = ["country", "year", "land_use", "land_use_category"]
    return frame.groupby(keys, as_index=False)[["area_ha", "dC_tc_per_yr"]].sum()


def phase_pandas(path: str, n_units: int) -> dict:
    """pandas on the first ``n_units`` units; checked against the engine on the same units."""
    from inventory.engine.land import approach2
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    read = _timed(pd.read_parquet, path, filters=[("unit_id", "<", n_units)])
    land_units = read["result"]
    density = _density(land_units)
    computed = _timed(pandas_stock_changes, land_units, density)
    engine_run = _timed(
        approach2.compute_land_unit_inventory, land_units, factors.factor_table("2019"),
        EngineOptions(mc_draws=0),
    )  # fmt: skip
    keys = ["country", "year", "land_use", "land_use_category"]
    ours = engine_run["result"].stock_changes.set_index(keys)[["area_ha", "dC_tc_per_yr"]]
    theirs = computed["result"].set_index(keys).reindex(ours.index)
    gap = float((ours - theirs).abs().to_numpy().max())
    scale = float(max(ours["dC_tc_per_yr"].abs().max(), 1.0))
    return {
        "rows": len(land_units),
        "read_wall_s": read["wall_s"],
        "wall_s": computed["wall_s"],
        "cpu_s": computed["cpu_s"],
        "peak_rss_gb": computed["peak_rss_gb"],
        "engine_same_units_wall_s": engine_run["wall_s"],
        "max_abs_difference": gap,
        "relative_difference": gap / scale,
    }


def phase_polars(path: str, n_units: int) -> dict:
    """Polars on the first ``n_units`` units (lazy scan); checked against the engine."""
    import polars as pl
    from polars_reference import polars_stock_changes

    from inventory.engine.land import approach2
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    land_units = pd.read_parquet(path, filters=[("unit_id", "<", n_units)])  # not timed
    density = pl.from_pandas(_density(land_units))
    lazy = pl.scan_parquet(path).filter(pl.col("unit_id") < n_units)
    computed = _timed(polars_stock_changes, lazy, density)
    engine = approach2.compute_land_unit_inventory(
        land_units, factors.factor_table("2019"), EngineOptions(mc_draws=0)
    ).stock_changes
    keys = ["country", "year", "land_use", "land_use_category"]
    ours = engine.set_index(keys)[["area_ha", "dC_tc_per_yr"]]
    theirs = computed["result"].to_pandas().set_index(keys).reindex(ours.index)
    gap = float((ours - theirs).abs().to_numpy().max())
    scale = float(max(ours["dC_tc_per_yr"].abs().max(), 1.0))
    return {
        "rows": len(land_units), "wall_s": computed["wall_s"], "cpu_s": computed["cpu_s"],
        "peak_rss_gb": computed["peak_rss_gb"], "max_abs_difference": gap,
        "relative_difference": gap / scale,
    }  # fmt: skip


OBVIOUS_SQL = """
WITH unit_years AS (
    SELECT u.country, u.unit_id, u.year, u.land_use, u.area_ha,
        u.area_ha * d.stock_per_ha AS stock,
        lag(u.land_use) OVER w AS land_use_before,
        coalesce(lag(u.area_ha * d.stock_per_ha, $d) OVER w,
                 first_value(u.area_ha * d.stock_per_ha) OVER w) AS past_stock
    FROM read_parquet($path) AS u
    JOIN density AS d USING (country, climate_zone, soil_class, land_use, management, input)
    WHERE u.unit_id < $n_units
    WINDOW w AS (PARTITION BY u.country, u.unit_id ORDER BY u.year)
),

spells AS (
    SELECT *, sum((land_use_before IS DISTINCT FROM land_use)::INT) OVER (
        PARTITION BY country, unit_id ORDER BY year ROWS UNBOUNDED PRECEDING) AS spell
    FROM unit_years
),

spell_starts AS (
    SELECT *, min(year) OVER s AS spell_start,
        first_value(land_use_before) OVER (s ORDER BY year) AS previous_land_use
    FROM spells
    WINDOW s AS (PARTITION BY country, unit_id, spell)
)

SELECT country, year, land_use,
    CASE WHEN previous_land_use IS NOT NULL AND year - spell_start < $d
        THEN 'land_converted_to_' || land_use
        ELSE land_use || '_remaining_' || land_use END AS land_use_category,
    sum(area_ha) AS area_ha, sum((stock - past_stock) / $d) AS dC_tc_per_yr
FROM spell_starts
GROUP BY ALL
"""


def phase_duckdb_obvious(path: str, n_units: int) -> dict:
    """The pandas equations as one DuckDB query of window functions over the unit-year rows
    (deterministic only; the stratum densities resolved beforehand, not timed)."""
    from inventory.engine.land.partitioned import partition_connection

    con = partition_connection()
    strata = con.execute(
        f"SELECT DISTINCT {', '.join(STRATUM)} FROM read_parquet($p)", {"p": path}
    ).df()
    con.register("density", _density(strata))
    params = {"path": path, "d": D, "n_units": n_units}
    return _timed(lambda: con.execute(OBVIOUS_SQL, params).df())


def _stock_change_gap(engine: pd.DataFrame, other: pd.DataFrame) -> tuple[float, float]:
    """Max |engine - other| [t C/yr] of area and dC by category, and relative to max |dC|."""
    keys = ["country", "year", "land_use", "land_use_category"]
    ours = engine.set_index(keys)[["area_ha", "dC_tc_per_yr"]]
    theirs = other.set_index(keys)[["area_ha", "dC_tc_per_yr"]].reindex(ours.index)
    gap = float((ours - theirs).abs().to_numpy().max())
    return gap, gap / float(max(ours["dC_tc_per_yr"].abs().max(), 1.0))


def _in_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


PHASES = ("scan", "rewrite", "encode", "engine", "engine_text", "partitioned",
          "duckdb_obvious", "pandas", "polars")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--pandas-units", type=int, default=250_000)
    parser.add_argument("--polars-units", type=int, default=250_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--obvious-units", type=int, default=0, help="0 = all units")
    parser.add_argument(
        "--data", type=Path, default=None, help="Parquet path (generated if absent)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--phases", default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (default all); the encoded file is "
        "made (phase encode) when a phase needs it and it is absent",
    )  # fmt: skip
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(unknown)}")
    path = args.data or Path(f"/tmp/land_units_{args.units}x{args.years}.parquet")
    figures: dict = {
        "units": args.units, "years": args.years, "rows": args.units * args.years,
        "draws": args.draws, "phases": phases,
    }  # fmt: skip
    if not path.exists():
        from generate_national import generate_land_units

        figures["generate_wall_s"] = generate_land_units(
            path, n_units=args.units, n_years=args.years
        )
    figures["parquet_mb"] = path.stat().st_size / 1e6
    figures["load_average_start"] = os.getloadavg()
    encoded = path.with_name(path.stem + "_encoded.parquet")
    strata = path.with_name(path.stem + "_strata.parquet")
    if "scan" in phases:
        figures["scan"] = _in_process(phase_scan, str(path))
    if "rewrite" in phases:
        rewritten = path.with_name(path.stem + "_rewritten.parquet")
        figures["rewrite"] = _in_process(phase_rewrite, str(path), str(rewritten))
        rewritten.unlink()
    needs_encoded = {"engine", "partitioned"} & set(phases)
    if "encode" in phases or (needs_encoded and not (encoded.exists() and strata.exists())):
        figures["encode"] = _in_process(phase_encode, str(path), str(encoded), str(strata))
    if encoded.exists():
        figures["encoded_parquet_mb"] = encoded.stat().st_size / 1e6
    if "scan" in phases and "encode" in phases:
        figures["scan_encoded"] = _in_process(phase_scan, str(encoded))
    if "engine" in phases:
        figures["engine"] = _in_process(phase_engine, str(encoded), args.draws, str(strata))
    if "engine_text" in phases:
        figures["engine_text"] = _in_process(phase_engine, str(path), args.draws)
    if "partitioned" in phases:
        figures["partitioned"] = _in_process(
            phase_partitioned, str(encoded), args.draws, args.partitions, str(strata)
        )
    engine_changes = None
    if "engine" in phases:
        engine_changes = figures["engine"]["result"].pop("stock_changes")
        for name in ("engine_text", "partitioned"):
            if name in figures:
                figures[name]["result"].pop("stock_changes", None)
                figures[name]["max_relative_difference"] = max_relative_difference(
                    figures["engine"]["result"]["tables"], figures[name]["result"].pop("tables")
                )
        figures["engine"]["result"].pop("tables")
    for name in ("engine_text", "partitioned"):  # not compared without the engine phase
        if name in figures:
            figures[name]["result"].pop("stock_changes", None)
            figures[name]["result"].pop("tables", None)
    obvious_units = min(args.obvious_units or args.units, args.units)
    if "duckdb_obvious" in phases:
        figures["duckdb_obvious"] = _in_process(phase_duckdb_obvious, str(path), obvious_units)
        obvious = figures["duckdb_obvious"].pop("result")
        if obvious_units == args.units and engine_changes is not None:
            deterministic = engine_changes.drop(columns="draw", errors="ignore")
            gap, relative = _stock_change_gap(deterministic, obvious)
            figures["duckdb_obvious"].update(max_abs_difference=gap, relative_difference=relative)
    pandas_units = min(args.pandas_units, args.units)
    if "pandas" in phases:
        figures["pandas"] = _in_process(phase_pandas, str(path), pandas_units)
    polars_units = min(args.polars_units, args.units)
    if "polars" in phases:
        figures["polars"] = _in_process(phase_polars, str(path), polars_units)
    for name, n in (("duckdb_obvious", obvious_units), ("pandas", pandas_units),
                    ("polars", polars_units)):  # fmt: skip
        if name not in figures:
            continue
        figures[name]["units"] = n
        figures[name]["extrapolated_wall_s"] = figures[name]["wall_s"] * args.units / n
        figures[name]["extrapolated_cpu_s"] = figures[name]["cpu_s"] * args.units / n
    figures["load_average_end"] = os.getloadavg()
    print(_table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


def _table(f: dict) -> str:
    """The figures as a Markdown table (the phases that ran) and the comparisons."""
    nan = float("nan")
    s = f.get("scan", {"wall_s": nan, "cpu_s": nan})
    named = [
        ("scan", "bare DuckDB scan (all columns)"),
        ("rewrite", "the file written again, unencoded (what harmonisation writes anyway)"),
        ("encode", "harmonisation: encode the units once (write file + strata)"),
        ("scan_encoded", "bare DuckDB scan of the encoded file"),
        ("engine", f"engine, encoded units: Approach 2/3 + Monte Carlo ({f['draws']} draws)"),
        ("engine_text", "engine, text keys encoded on the fly (versions before the encoding)"),
        ("partitioned", "partitioned engine, "
         f"{len(f.get('partitioned', {}).get('result', {}).get('partition_pass_s', []))} "
         "partitions in turn"),
    ]  # fmt: skip
    rows = [(label, f[k]["wall_s"], f[k]["cpu_s"], f[k]["peak_rss_gb"])
            for k, label in named if k in f]  # fmt: skip
    for name in ("duckdb_obvious", "pandas", "polars"):
        if name not in f:
            continue
        p = f[name]
        rows.append((f"{name}, {p['units']:,} units (measured)", p["wall_s"], p["cpu_s"],
                     p["peak_rss_gb"]))  # fmt: skip
        rows.append((f"{name}, extrapolated to all units", p["extrapolated_wall_s"],
                     p["extrapolated_cpu_s"], nan))  # fmt: skip
    lines = [
        f"{f['units']:,} units x {f['years']} years = {f['rows']:,} rows, "
        f"Parquet {f['parquet_mb']:.0f} MB; load average {f['load_average_start'][0]:.1f} -> "
        f"{f['load_average_end'][0]:.1f} on {os.cpu_count()} cores; phases {','.join(f['phases'])}",
        "| phase | wall s | CPU s | peak RSS GB | wall / scan | CPU / scan |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {w:.1f} | {c:.1f} | {r:.2f} | {w / s['wall_s']:.2f} | {c / s['cpu_s']:.2f} |"
        for name, w, c, r in rows
    ]
    compared = [f"{label}: {f[k]['max_relative_difference']:.1e}"
                for k, label in (("partitioned", "partitioned vs one pass"),
                                 ("engine_text", "text keys vs encoded"))
                if "max_relative_difference" in f.get(k, {})]  # fmt: skip
    if compared:
        lines.append(
            "max relative difference over stocks, categories, totals, sub-categories and their "
            "95 % intervals: " + "; ".join(compared)
        )
    if {"encode", "rewrite", "engine"} <= set(f):
        c, w, e = f["encode"], f["rewrite"], f["engine"]
        lines.append(
            f"submit + first run: {(c['wall_s'] + e['wall_s']) / s['wall_s']:.2f}x the scan "
            f"(wall), {(c['cpu_s'] + e['cpu_s']) / s['cpu_s']:.2f}x (CPU); the encoding's own "
            f"cost (encode minus the unencoded write) + first run: "
            f"{(c['wall_s'] - w['wall_s'] + e['wall_s']) / s['wall_s']:.2f}x (wall), "
            f"{(c['cpu_s'] - w['cpu_s'] + e['cpu_s']) / s['cpu_s']:.2f}x (CPU)"
        )
    for name in ("duckdb_obvious", "pandas", "polars"):
        p = f.get(name, {})
        if "max_abs_difference" not in p or "engine" not in f:
            continue
        e = f["engine"]
        lines.append(
            f"{name}: max |engine - {name}| = {p['max_abs_difference']:.3g} t C/yr (relative "
            f"{p['relative_difference']:.1e}); engine faster by "
            f"{p['extrapolated_wall_s'] / e['wall_s']:.1f}x wall, "
            f"{p['extrapolated_cpu_s'] / e['cpu_s']:.1f}x CPU"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
