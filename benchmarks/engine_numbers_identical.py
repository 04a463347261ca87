"""Numbers do not move: every table of the land-unit engine, dumped before and after a change.

``dump`` runs the Approach 2/3 engine on a land-unit Parquet file (benchmark data from
``generate_national.py``; encoded at harmonisation with ``--strata``, else text keys encoded on
the fly; one pass or ``--partitions`` partitions) and writes every table it returns or leaves
on its connection as Parquet under ``OUT``: ``soc_stocks``, ``stock_changes``,
``stock_change_totals``, ``stock_change_subcategories``, ``inventory_stocks``,
``stratum_factors``, ``approach2_transitions``, ``land_areas`` and CRT Table 4.1
(``land_transition_matrix``).

``dump-run`` goes the whole domain path: the first ``--units`` units of the file as a
land-units package (``tests/data/minimal``, IRL, Approach 2, part of the units with
``area_uncertainty_pct`` so that area draws are made) validated, harmonised (land units stored
with their ``state_id``) and computed by ``inventory.engine.run.compute_country``; every table
it publishes is written under ``OUT``.

``compare A B`` compares every Parquet table under two folders: same files, rows (sorted by
every non-float column) and text columns; every float column to ``max |a - b| / max |a|``
<= 1e-12 (per column: sums of many terms that cancel to ~0 carry the rounding of their terms,
so a per-value ratio says nothing for them); ``release_id``, ``run_id``, ``published_at``
excluded. Exit status 1 when a table differs.

    python benchmarks/engine_numbers_identical.py dump /tmp/before/one-pass \\
        --data /tmp/lu.parquet --strata /tmp/lu_strata.parquet --draws 1000
    python benchmarks/engine_numbers_identical.py compare /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
IGNORED = ("release_id", "run_id", "published_at")
TOLERANCE = 1e-12


def _write(out: Path, tables: dict[str, pd.DataFrame | None]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if frame is not None:
            frame.reset_index(drop=True).to_parquet(out / f"{name}.parquet", index=False)
    print(f"{out}: {len(tables)} tables")


def dump(out: Path, data: str, strata: str | None, draws: int, partitions: int) -> None:
    from inventory.engine.land import approach2, land_use_changes, partitioned, unit_layout
    from inventory.engine.mineral_soils import factors
    from inventory.engine.options import EngineOptions

    table = factors.factor_table("2019")
    options = EngineOptions(mc_draws=draws)
    con = partitioned.partition_connection()
    if partitions > 1:
        source = unit_layout.LandUnitSource((data,), strata=strata)
        inventory = partitioned.compute_partitioned_inventory(
            source, table, partitions=partitions, options=options, con=con
        ).inventory
    else:
        inventory = approach2.compute_land_unit_inventory(
            data, table, options, con=con, strata=strata
        )
    tables = {
        name: getattr(inventory, name)
        for name in ("stratum_factors", "soc_stocks", "stock_changes", "stock_change_totals",
                     "stock_change_subcategories", "inventory_stocks")
    }  # fmt: skip
    tables["approach2_transitions"] = con.table("approach2_transitions").df()
    tables["land_areas"] = con.table("land_areas").df()
    tables["land_transition_matrix"] = land_use_changes.land_transition_matrix(con, "units")
    _write(out, tables)


def _package(root: Path, data: str, units: int) -> Path:
    """A land-units package of the first ``units`` units of ``data`` (minimal IRL package)."""
    package = root / "IRL"
    shutil.copytree(ROOT / "tests" / "data" / "minimal", package)
    for name in ("land_areas.csv", "organic_soils.csv"):
        (package / name).unlink()
    rows = pd.read_parquet(data, filters=[("unit_id", "<", units)])
    rows = rows.drop(columns="country").rename(columns={"area_ha": "area"})
    rows["area_unit"] = "ha"
    # cropland units with an even id: +/- 25 % (one area multiplier per stratum and draw)
    uncertain = rows["land_use"].eq("cropland") & rows["unit_id"].mod(2).eq(0)
    rows["area_uncertainty_pct"] = np.where(uncertain, 25.0, np.nan)
    rows.sort_values(["unit_id", "year"]).to_csv(package / "land_units.csv", index=False)
    first, last = int(rows["year"].min()), int(rows["year"].max())
    manifest = (package / "submission.yaml").read_text(encoding="utf-8")
    manifest = manifest.replace("years: [2018, 2020]", f"years: [{first}, {last}]")
    manifest = manifest.replace("approach: 1", "approach: 2")
    manifest = manifest.replace("land_areas: land_areas.csv", "land_units: land_units.csv")
    manifest = manifest.replace("  organic_soils: organic_soils.csv\n", "")  # mineral only
    (package / "submission.yaml").write_text(manifest, encoding="utf-8")
    return package


def dump_run(out: Path, data: str, units: int, draws: int, partitions: int) -> None:
    from inventory.engine.run import RunParameters, compute_country
    from inventory.harmonise import store
    from inventory.intake import submission
    from inventory.lake.zones import Lake
    from inventory.validation import validate

    os.environ.setdefault("SOILC_AUTO_APPROVE", "*")  # the package becomes current at once
    with tempfile.TemporaryDirectory() as tmp:
        package = _package(Path(tmp), data, units)
        result = validate.validate_submission(submission.read_submission(package))
        if not result.ok:
            raise SystemExit(result.to_text())
        lake = Lake.at(Path(tmp) / "lake")
        if not store.file_outcome(lake, "IRL", "sub-identity", result)["accepted"]:
            raise SystemExit("package not accepted")
        params = RunParameters(tier=1, mc_draws=draws, partitions=partitions)
        run = compute_country(lake, "IRL", params)
    failed = [c["name"] for c in run.checks if c["status"] != "pass"]
    print(f"checks not passed: {failed or 'none'}")
    _write(out, run.tables)


def compare(a: Path, b: Path) -> int:
    """Print the differences of the tables under ``a`` and ``b``; the number of problems."""
    files = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
    other = sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
    bad = 0
    if files != other:
        print("file sets differ:", sorted(map(str, set(files) ^ set(other))))
        bad += 1
    worst = 0.0
    for rel in files:
        if not (b / rel).exists():
            continue
        x = pd.read_parquet(a / rel).drop(columns=list(IGNORED), errors="ignore")
        y = pd.read_parquet(b / rel).drop(columns=list(IGNORED), errors="ignore")
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            print("shape/columns differ", rel, x.shape, y.shape, list(x.columns), list(y.columns))
            bad += 1
            continue
        numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])
                   and not pd.api.types.is_bool_dtype(x[c])]  # fmt: skip
        text = [c for c in x.columns if c not in numeric]
        keys = text + [c for c in numeric if not pd.api.types.is_float_dtype(x[c])]
        if keys:
            x = x.astype({k: str for k in text}).fillna({k: "<NA>" for k in text})
            y = y.astype({k: str for k in text}).fillna({k: "<NA>" for k in text})
            x = x.sort_values(keys, kind="stable", ignore_index=True)
            y = y.sort_values(keys, kind="stable", ignore_index=True)
        for c in text:  # missing values compare equal to each other
            if not (x[c].fillna("<NA>").to_numpy() == y[c].fillna("<NA>").to_numpy()).all():
                print("text column differs", rel, c)
                bad += 1
        for c in numeric:
            u, v = x[c].to_numpy(float), y[c].to_numpy(float)
            if not (np.isnan(u) == np.isnan(v)).all():
                print("NaN pattern differs", rel, c)
                bad += 1
                continue
            m = ~np.isnan(u)
            scale = float(np.abs(u[m]).max()) if m.any() else 0.0
            gap = float(np.abs(u[m] - v[m]).max() / scale) if m.any() and scale > 0 else 0.0
            worst = max(worst, gap)
            if gap > TOLERANCE:
                print(f"{rel} {c}: max relative difference {gap:.3e}")
                bad += 1
    print(f"{len(files)} tables compared, worst relative difference {worst:.3e}, problems {bad}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("dump", "dump-run"):
        p = sub.add_parser(name)
        p.add_argument("out", type=Path)
        p.add_argument("--data", required=True, help="land-unit Parquet (generate_national.py)")
        p.add_argument("--draws", type=int, default=1000)
        p.add_argument("--partitions", type=int, default=1)
    sub.choices["dump"].add_argument("--strata", default=None, help="its stratum table")
    sub.choices["dump-run"].add_argument("--units", type=int, default=20_000)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.data, args.strata, args.draws, args.partitions)
    elif args.command == "dump-run":
        dump_run(args.out, args.data, args.units, args.draws, args.partitions)
    else:
        sys.exit(1 if compare(args.a, args.b) else 0)


if __name__ == "__main__":
    main()
