"""Recalculation report: what changed between two releases, by how much, and why.

UNFCCC reporting requires recalculations to be explained. For each country, year and land-use
category this compares ``stock_changes`` of two releases and names the causes found by comparing
the run manifests that produced each country's numbers: changed input datasets (sha256), changed
factor tables, changed parameters, changed methods (the manifest's ``methods``; a manifest
written before methods were recorded has the values of :data:`METHODS_BEFORE_RECORDED`).
"""

from __future__ import annotations

import json

import pandas as pd

from inventory.core.errors import NotFoundError
from inventory.lake.releases import MANIFEST, RELEASES_FILE, read_history, verified_files
from inventory.lake.zones import Lake

KEYS = ["country", "year", "land_use", "land_use_category"]
VALUE = "dC_tc_per_yr"
TOLERANCE_TC = 1e-6  # t C/yr below which a difference is rounding noise, not a recalculation
# The methods of runs whose manifest has no ``methods`` (before issue 21 recorded them).
METHODS_BEFORE_RECORDED = {
    "history": "the first recorded state held for the years before it (unflagged)",
    "soc_loss_n2o": "Eq. 11.8 on the net loss of each reporting category",
    "mineral_area": "Eq. 2.25 on the whole land area of each land_areas stratum, organic soils "
    "included",
}


def _release_dir(lake: Lake, release_id: str):
    path = lake.release(release_id)
    if not (path / RELEASES_FILE).exists():
        raise NotFoundError(
            f"no release {release_id!r} under {lake.root / 'releases'}",
            "take a release id from `soc-inventory status`",
        )
    return path


def country_runs(lake: Lake, release_id: str) -> dict[str, str]:
    """Country -> run id that produced its numbers in this release (carried-over included)."""
    history = read_history(_release_dir(lake, release_id))
    runs: dict[str, str] = {}
    for row in history.itertuples():
        for country in filter(None, str(row.countries).split(",")):
            runs[country] = str(row.run_id)
    return runs


def run_manifest(lake: Lake, run_id: str) -> dict:
    """The manifest of a run (``runs/<run_id>/manifest.json``)."""
    return json.loads((lake.run(run_id) / MANIFEST).read_text(encoding="utf-8"))


def _causes(old: dict, new: dict, country: str) -> str:
    causes = []
    old_inputs = old.get("inputs", {}).get(country, {})
    new_inputs = new.get("inputs", {}).get(country, {})
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(name, {}).get("sha256") != new_inputs.get(name, {}).get("sha256"):
            causes.append(f"input {name} changed")
    old_f, new_f = old.get("factor_tables_sha256", {}), new.get("factor_tables_sha256", {})
    causes += [f"factor table {t} changed" for t in sorted(set(old_f) | set(new_f))
               if old_f.get(t) != new_f.get(t)]  # fmt: skip
    old_p, new_p = old.get("parameters", {}), new.get("parameters", {})
    causes += [f"parameter {p}: {old_p.get(p)!r} -> {new_p.get(p)!r}"
               for p in sorted(set(old_p) | set(new_p))
               if p != "countries" and old_p.get(p) != new_p.get(p)]  # fmt: skip
    old_m = old.get("methods", METHODS_BEFORE_RECORDED)
    new_m = new.get("methods", METHODS_BEFORE_RECORDED)
    causes += [f"method {m} changed: {old_m.get(m, 'not recorded')!r} -> "
               f"{new_m.get(m, 'not recorded')!r}"
               for m in sorted(set(old_m) | set(new_m))
               if old_m.get(m) != new_m.get(m)]  # fmt: skip
    return "; ".join(causes) or "no input, factor or parameter change recorded"


def compare_releases(lake: Lake, old_id: str, new_id: str) -> pd.DataFrame:
    """Rows whose dC differs (or appears/disappears) between two releases, with causes."""
    frames = []
    for rid in (old_id, new_id):
        release = _release_dir(lake, rid)
        files = verified_files(
            release, sorted((release / "stock_changes").glob("country=*/*.parquet"))
        )
        parts = [pd.read_parquet(p).assign(country=p.parent.name.removeprefix("country="))
                 for p in files]  # fmt: skip
        frames.append(pd.concat(parts, ignore_index=True)[[*KEYS, VALUE]] if parts else
                      pd.DataFrame(columns=[*KEYS, VALUE]))  # fmt: skip
    both = frames[0].merge(frames[1], on=KEYS, how="outer", suffixes=("_old", "_new"))
    both["difference_tc"] = both[f"{VALUE}_new"].fillna(0) - both[f"{VALUE}_old"].fillna(0)
    changed = both[both["difference_tc"].abs() > TOLERANCE_TC].copy()
    old_runs, new_runs = country_runs(lake, old_id), country_runs(lake, new_id)
    causes = {}
    for country in changed["country"].unique():
        old_run, new_run = old_runs.get(country), new_runs.get(country)
        if old_run is None or new_run is None:
            causes[country] = "country added" if old_run is None else "country removed"
        else:
            old, new = run_manifest(lake, old_run), run_manifest(lake, new_run)
            causes[country] = _causes(old, new, country)
    changed["difference_pct"] = 100 * changed["difference_tc"] / changed[f"{VALUE}_old"].abs()
    changed["cause"] = changed["country"].map(causes)
    return changed.sort_values(KEYS).reset_index(drop=True)


def write_recalculation_report(lake: Lake, release_id: str) -> pd.DataFrame | None:
    """Compare a release with the one it replaced; write ``recalculations/<release_id>.parquet``
    and ``.csv`` beside it. None for the first release."""
    from inventory.lake.zones import write_csv_atomic, write_parquet_atomic

    history = read_history(_release_dir(lake, release_id))
    previous = history.loc[history["release_id"] == release_id, "previous_release_id"].iloc[0]
    if previous is None or pd.isna(previous):
        return None
    changes = compare_releases(lake, str(previous), release_id)
    out = lake.root / "recalculations"
    write_parquet_atomic(changes, out / f"{release_id}.parquet")
    write_csv_atomic(changes, out / f"{release_id}.csv")
    return changes
