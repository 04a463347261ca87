"""Run a scenario for its countries and publish its answers beside the inventory.

Published under ``<lake>/scenarios/<name>/<sha256>/<release_id>/`` (never into the release):
``scenario.yaml`` (the file as received), ``manifest.json`` (name, sha256, base release, countries,
years, draws, timings, maps), one Parquet file per table (``scenario_pathways``,
``scenario_measures``, ``scenario_adoption``; every row keyed by ``scenario``,
``scenario_sha256`` and ``release_id``) and ``maps/<ISO3>.nc`` / ``.png`` when the country
submitted a gridded stock map. The folder is built in a hidden staging folder and renamed into
place, so a reader sees the whole answer or none; the same file on the same release is the same
folder (re-running replaces it with identical numbers: the draws are seeded).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from inventory.lake.zones import (
    Lake,
    commit_dir,
    staging_dir,
    utc_now,
    write_json_atomic,
    write_parquet_atomic,
)
from inventory.scenarios import base as base_module
from inventory.scenarios import maps
from inventory.scenarios.compute import CountryAnswers, answer_country
from inventory.scenarios.model import Scenario, parse_scenario

TABLES = ("scenario_pathways", "scenario_measures", "scenario_adoption")
ZONE = "scenarios"
MANIFEST = "manifest.json"


def scenario_root(lake: Lake) -> Path:
    """``<lake>/scenarios``: every published scenario answer."""
    return lake.root / ZONE


def _keyed(frame: pd.DataFrame, scenario: Scenario, sha: str, release_id: str,
           country: str) -> pd.DataFrame:  # fmt: skip
    if frame.empty:
        return frame
    keys = pd.DataFrame(
        {"scenario": scenario.name, "scenario_sha256": sha, "release_id": release_id,
         "country": country}, index=frame.index,
    )  # fmt: skip
    return pd.concat([keys, frame], axis=1)


def run_scenario(lake: Lake, text: str | bytes, *, source: str = "scenario.yaml") -> dict:
    """Check, compute and publish a scenario; returns its manifest (with ``path``).

    Parameters
    ----------
    lake : Lake
        The lake holding the base release.
    text : str or bytes
        The scenario file's content.
    source : str
        Its name, for messages.

    Returns
    -------
    dict
        The manifest written: ``scenario``, ``scenario_sha256``, ``release_id``, ``countries``,
        ``summary`` (per country, the horizon's rate with its interval, BAU beside it),
        ``maps``, ``timings_s`` and ``path`` (the published folder).
    """
    started = time.perf_counter()
    scenario, sha = parse_scenario(text, source=source)
    release = base_module.release_path(lake, scenario.base.release)
    tables: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    timings: dict[str, float] = {}
    summary, map_files, answers = [], {}, {}
    final = scenario_root(lake) / scenario.name / sha / release.name
    staging = staging_dir(final)
    for country in scenario.base.countries:
        begun = time.perf_counter()
        base = base_module.load_base(lake, release.name, country)
        answer = answer_country(scenario, base)
        answers[country] = answer
        for table, frame in zip(TABLES, (answer.pathways, answer.measures, answer.adoption),
                                strict=True):  # fmt: skip
            tables[table].append(_keyed(frame, scenario, sha, release.name, country))
        summary.append(_summary(country, answer, scenario.horizon))
        if base.grid is not None:
            from inventory.intake.grid_format import open_grid

            with open_grid(base.grid) as ds:
                map_files[country] = maps.write_maps(
                    ds, answer.effects, year=scenario.horizon,
                    transition_years=base.transition_years, folder=staging / "maps",
                    country=country,
                )  # fmt: skip
        timings[country] = round(time.perf_counter() - begun, 3)
    for table, frames in tables.items():
        frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(
            not f.empty for f in frames) else pd.DataFrame()  # fmt: skip
        write_parquet_atomic(frame, staging / f"{table}.parquet")
    (staging / "scenario.yaml").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    manifest = {
        "scenario": scenario.name, "scenario_sha256": sha, "release_id": release.name,
        "countries": scenario.base.countries, "horizon": scenario.horizon,
        "target_permille": scenario.target_permille, "created_at": utc_now().isoformat(),
        "summary": summary, "maps": map_files,
        "timings_s": {**timings, "total": round(time.perf_counter() - started, 3)},
    }  # fmt: skip
    write_json_atomic(staging / MANIFEST, manifest)
    final.parent.mkdir(parents=True, exist_ok=True)
    commit_dir(staging, final)
    return {**manifest, "path": str(final)}


def _summary(country: str, answer: CountryAnswers, horizon: int) -> dict:
    """The horizon's mineral rate of the scenario and BAU with their 95 % intervals."""
    p = answer.pathways
    rows = p[(p["year"] == horizon) & (p["scope"] == "mineral")].set_index("pathway")
    out: dict[str, object] = {"country": country, "year": horizon}
    columns = ["rate_permille_per_yr", "rate_ci_low_permille_per_yr",
               "rate_ci_high_permille_per_yr", "dC_tc_per_yr"]  # fmt: skip
    for label in ("scenario", "bau", "difference"):
        out[label] = {c: float(rows.loc[label, c]) for c in columns}  # type: ignore[arg-type]
    if not answer.adoption.empty:
        first = answer.adoption.iloc[0]
        out["adoption"] = {k: first[k] for k in ("measure", "share_needed", "area_needed_ha",
                                                 "statement") if k in first}  # fmt: skip
    return json.loads(json.dumps(out, default=float).replace("NaN", "null"))


def published_scenarios(lake: Lake) -> list[dict]:
    """Manifests of every published scenario answer (oldest first), each with its ``path``."""
    root = scenario_root(lake)
    found = []
    for manifest in sorted(root.glob(f"*/*/*/{MANIFEST}")) if root.exists() else []:
        if any(part.startswith(".") for part in manifest.relative_to(root).parts):
            continue
        record = json.loads(manifest.read_text(encoding="utf-8"))
        found.append({**record, "path": str(manifest.parent)})
    return sorted(found, key=lambda r: str(r.get("created_at")))


def read_answer(path: str | Path, table: str) -> pd.DataFrame:
    """One answer table of a published scenario folder."""
    if table not in TABLES:
        raise ValueError(f"unknown scenario table {table!r}")
    return pd.read_parquet(Path(path) / f"{table}.parquet")
