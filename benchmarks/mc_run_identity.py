"""Bit-for-bit check of every table ``compute_country`` returns, before / after an engine change.

Runs :func:`inventory.engine.run.compute_country` for the three demo countries (IRL, KEN, URY)
on a lake where their examples were submitted and approved, with ``RunParameters(mc_draws=N)``
(area and organic-soil draws included), and saves every table of the result (in its row order)
as a pickle. ``--compare`` checks two saved folders for exact equality: same columns, dtypes,
index and rows in the same order, every float equal to the bit (NaN where NaN; -0.0 is not 0.0).

    PYTHONPATH=/tmp/base python benchmarks/mc_run_identity.py --lake L --save /tmp/run-before
    python benchmarks/mc_run_identity.py --lake L --save /tmp/run-after
    python benchmarks/mc_run_identity.py --compare /tmp/run-before /tmp/run-after
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

COUNTRIES = ("IRL", "KEN", "URY")


def save(lake_path: Path, folder: Path, draws: int, countries: tuple[str, ...] = COUNTRIES) -> None:
    import inventory
    from inventory.engine.run import RunParameters, compute_country
    from inventory.lake.zones import Lake

    print("inventory from", inventory.__file__, flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    lake = Lake(lake_path)
    for country in countries:
        result = compute_country(lake, country, RunParameters(mc_draws=draws))
        for name, frame in sorted(result.tables.items()):
            frame.to_pickle(folder / f"{country}-{name}.pkl")
        print(f"saved {country}: {len(result.tables)} tables", flush=True)


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype="float64").view("int64")


def compare(a: Path, b: Path) -> int:
    names = sorted(p.name for p in a.glob("*.pkl"))
    problems = 0
    if names != sorted(p.name for p in b.glob("*.pkl")):
        print("file sets differ:", set(names) ^ {p.name for p in b.glob("*.pkl")})
        problems += 1
    cells = 0
    for name in names:
        if not (b / name).exists():
            continue
        x, y = pd.read_pickle(a / name), pd.read_pickle(b / name)
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            print(f"{name}: columns or rows differ {x.shape} {y.shape}")
            problems += 1
            continue
        if list(x.dtypes.astype(str)) != list(y.dtypes.astype(str)):
            print(f"{name}: dtypes differ {dict(x.dtypes)} {dict(y.dtypes)}")
            problems += 1
        if not x.index.equals(y.index):
            print(f"{name}: index differs")
            problems += 1
        for column in x.columns:
            u, v = x[column], y[column]
            cells += len(u)
            if pd.api.types.is_float_dtype(u) and pd.api.types.is_float_dtype(v):
                differ = _bits(u.to_numpy(dtype="float64", na_value=np.nan)) != _bits(
                    v.to_numpy(dtype="float64", na_value=np.nan)
                )
            else:
                differ = ~((u.astype(object) == v.astype(object)) | (u.isna() & v.isna()))
                differ = differ.to_numpy(dtype=bool)
            if differ.any():
                first = int(np.flatnonzero(differ)[0])
                print(f"{name} {column}: {int(differ.sum())} values differ, first at row "
                      f"{first}: {u.iloc[first]!r} vs {v.iloc[first]!r}")  # fmt: skip
                problems += 1
    print(f"{len(names)} tables, {cells} cells compared bit for bit: {problems} problems")
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path, nargs=2)
    parser.add_argument("--countries", nargs="+", default=list(COUNTRIES))
    args = parser.parse_args()
    if args.save:
        save(args.lake, args.save, args.draws, tuple(args.countries))
    if args.compare:
        sys.exit(compare(*args.compare))


if __name__ == "__main__":
    main()
