"""The base of a scenario: one country of a published release, read back into engine form.

Read from the release (never from the harmonised store, so a scenario starts from exactly what
was published): the mineral areas of ``soc_stocks`` (and of the history years before them, by
the run's own rule, :func:`history_areas`), the resolved factors and their Monte Carlo
description of ``stratum_factors``, the organic-soil areas of ``organic_soil_emissions``, and the
run parameters (D, draws, seed, edition, GWP set) from the manifest of the run that published the
country. Published column names are mapped back to the model names
(:func:`inventory.engine.reporting_tables.published_schema.renamed_columns`). Candidate factors
for strata the inventory never had are the run's IPCC defaults plus the country's submitted
factors (Tier 2 runs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from inventory.engine import run as engine_run
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, nitrogen
from inventory.engine.options import DEFAULT_MC_DRAWS, DEFAULT_SEED, DEFAULT_TRANSITION_YEARS
from inventory.engine.organic_soils.organic import DEFAULT_GWP_SET
from inventory.engine.reporting_tables.published_schema import renamed_columns
from inventory.harmonise.store import (
    NotAcceptedError,
    PinnedVersion,
    harmonised_manifest,
    read_harmonised,
)
from inventory.lake import releases
from inventory.lake.zones import Lake, sha256_file
from inventory.scenarios.compute import BaseInventory
from inventory.scenarios.model import ScenarioError

LAND_COLUMNS = ["country", "year", "climate_zone", "soil_class", "land_use", "management", "input",
                "area_ha"]  # fmt: skip
ORGANIC_AREA_COLUMNS = ["country", "year", "climate_zone", "land_use", "drainage",
                        "nutrient_status", "drainage_depth", "area_ha"]  # fmt: skip


def release_path(lake: Lake, release: str) -> Path:
    """The release directory of ``release`` (an id, or ``current``)."""
    if release == "current":
        path = releases.current_release(lake)
        if path is None:
            raise ScenarioError(
                "no release is published yet: a scenario starts from one",
                "run `soc-inventory demo` or `soc-inventory run` first",
            )
        return path
    path = lake.release(release)
    if not (path / releases.RELEASES_FILE).exists():
        raise ScenarioError(
            f"base release {release!r} does not exist in {lake.root}",
            "name a release listed by `soc-inventory status`, or `current`",
        )
    return path


def _table(release: Path, table: str, country: str) -> pd.DataFrame | None:
    path = release / table / f"country={country}" / releases.PARTITION_FILE
    if not path.exists():
        return None
    frame = pd.read_parquet(path)
    back = {new: old for old, new in renamed_columns(table).items()}
    return frame.rename(columns=back).assign(country=country)


def run_manifest(lake: Lake, release: Path, country: str) -> dict:
    """Manifest of the run that published ``country`` in ``release`` (empty when absent)."""
    history = pd.read_parquet(release / releases.RELEASES_FILE)
    runs = history[history["countries"].str.split(",").apply(lambda c: country in c)]
    if runs.empty:
        return {}
    manifest = lake.run(str(runs["run_id"].iloc[-1])) / releases.MANIFEST
    if not manifest.exists():
        return {}
    return dict(json.loads(manifest.read_text(encoding="utf-8")))


def history_areas(manifest: dict, country: str, before: int) -> pd.DataFrame | None:
    """Mineral-soil areas of the years before the first reported one, as the run used them.

    Recomputed by the run's own rule (`inventory.engine.run.computed_land_areas`: the years
    before the first record filled by the run's ``history``, the organic-soil area taken out of
    each group pro rata) from the harmonised version the run read, only when the sha256 of every
    file read still matches the run manifest (the exact input of the inventory); None otherwise
    (the history is then the first reported year's state, as for a country without earlier
    data). A run recorded before the mineral-area rule (no ``methods.mineral_area`` in its
    manifest) used the submitted whole land and held its first state: read as it was.
    """
    inputs = (manifest.get("inputs") or {}).get(country) or {}
    record = inputs.get("land_areas") or {}
    path = Path(str(record.get("path", "")))
    if not record or not path.is_file() or sha256_file(path) != record.get("sha256"):
        return None
    frame = pd.read_parquet(path).assign(country=country)
    if "mineral_area" in (manifest.get("methods") or {}):
        root = path.parents[1]  # <version>/land_areas/part-0.parquet
        version_record = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        version = PinnedVersion(root, country, version_record)
        params = engine_run.RunParameters.model_validate(manifest.get("parameters") or {})
        con = sql_models.connect()
        frame = engine_run.computed_land_areas(version, params, frame, before, con)
        if any((inputs.get(d) or {}).get("sha256") != digest
               for d, digest in version.read_sha256.items()):  # fmt: skip
            return None
    frame = frame[frame["year"] < before]
    return frame[LAND_COLUMNS] if len(frame) else None


# Before its first row a land unit is in its first known state (Approach 2/3,
# inventory.engine.land.approach2): padded back to the earliest year of any unit, then summed
# by stratum (Eq. 2.25 is linear in the areas, so Approach 1 on these sums gives the units'
# national totals).
UNIT_HISTORY_SQL = """
WITH firsts AS (
    SELECT unit_id, min(year) AS first_year FROM units GROUP BY unit_id
),
padded AS (
    SELECT u.* EXCLUDE (year), y.year
    FROM units AS u
    JOIN firsts AS f ON u.unit_id = f.unit_id AND u.year = f.first_year
    CROSS JOIN (SELECT unnest(range((SELECT min(year) FROM units), $before)) AS year) AS y
    WHERE y.year < f.first_year
    UNION ALL BY NAME SELECT * FROM units
)
SELECT $country AS country, year, climate_zone, soil_class, land_use, management, input,
    sum(area_ha) AS area_ha
FROM padded
WHERE year < $before
GROUP BY ALL
ORDER BY ALL
"""


def _version_record(manifest: dict, country: str) -> dict:
    """The harmonised version record the run read for ``country`` (empty when gone)."""
    inputs = (manifest.get("inputs") or {}).get(country) or {}
    for record in inputs.values():
        path = Path(str(record.get("path", "")))
        version = path.parents[1] / "manifest.json" if len(path.parents) > 1 else None
        if version is not None and version.is_file():
            return dict(json.loads(version.read_text(encoding="utf-8")))
    return {}


def run_approach(manifest: dict, country: str) -> int:
    """The IPCC approach (1, 2 or 3) of the land representation the run computed ``country``
    with: the run's ``approach`` parameter, else the submission's (as ``engine.run``)."""
    params = manifest.get("parameters") or {}
    submitted = (_version_record(manifest, country).get("manifest") or {}).get("approach")
    return int(params.get("approach") or submitted or 1)


def unit_history_areas(manifest: dict, country: str, before: int) -> pd.DataFrame | None:
    """Stratum areas of the years before the first reported one from the land units the run read.

    Approach 2/3: a unit converted within D years before the first reported year (or in it)
    still changes the stock after the last one; only the units' history knows it, the
    published stratum areas start at the first reported year. Each unit is held in its first
    known state back to the earliest unit year (the Approach 2/3 rule of
    ``inventory.engine.land.approach2``) and the units are summed by stratum
    (``UNIT_HISTORY_SQL``); IPCC 2006 Vol.4 Ch.2 Eq. 2.25 is linear in the areas, so the
    scenario's engine on these sums gives the units' national stock changes.

    Raises
    ------
    ScenarioError
        When the land units the run read are gone or changed (sha256): the projection would
        silently lose the changes still working through their D years.
    """
    record = ((manifest.get("inputs") or {}).get(country) or {}).get("land_units") or {}
    path = Path(str(record.get("path", "")))
    if not record or not path.is_file() or sha256_file(path) != record.get("sha256"):
        raise ScenarioError(
            f"{country} was computed with Approach 2/3 from land units, and the land units "
            f"that run read ({path if record else 'not recorded'}) are no longer in the lake "
            "as read: a scenario needs the units' history before the first reported year "
            "(changes within D years of it still work through the projection)",
            f"run the inventory of {country} again (`soc-inventory run --country {country}`) "
            "and base the scenario on that release, or leave it out of the base countries",
        )  # fmt: skip
    units = pd.read_parquet(path)
    con = sql_models.connect()
    con.register("units", units[["unit_id", "year", *LAND_COLUMNS[2:]]])
    frame = con.execute(UNIT_HISTORY_SQL, {"before": before, "country": country}).df()
    return frame[LAND_COLUMNS].astype({"year": "int64"}) if len(frame) else None


def submitted_grid_path(lake: Lake, country: str) -> Path | None:
    """The gridded stock map of the country's accepted submission (``files: grids:``), if any."""
    try:
        record = harmonised_manifest(lake, country)
    except NotAcceptedError:  # no accepted submission: no grid
        return None
    submission = record.get("submission_id")
    package = lake.raw(country, str(submission)) / "package" if submission else None
    if package is None or not (package / "submission.yaml").exists():
        return None
    manifest = yaml.safe_load((package / "submission.yaml").read_text(encoding="utf-8")) or {}
    name = (manifest.get("files") or {}).get("grids")
    path = package / str(name) if name else None
    return path if path is not None and path.is_file() else None


def load_base(lake: Lake, release: str, country: str) -> BaseInventory:
    """One country of a release as a :class:`~inventory.scenarios.compute.BaseInventory`."""
    path = release_path(lake, release)
    stocks = _table(path, "soc_stocks", country)
    factor_rows = _table(path, "stratum_factors", country)
    if stocks is None or factor_rows is None or stocks.empty:
        raise ScenarioError(
            f"{country} is not in release {path.name}",
            f"run the inventory of {country} first (`soc-inventory run --country {country}`), "
            "or remove it from the scenario's base countries",
        )  # fmt: skip
    manifest = run_manifest(lake, path, country)
    params = dict(manifest.get("parameters") or {})
    edition = str(params.get("edition") or factors.DEFAULT_EDITION)
    submitted = read_harmonised(lake, "factors", country) if params.get("tier", 2) == 2 else None
    organic = _table(path, "organic_soil_emissions", country)
    organic_areas = (
        organic[ORGANIC_AREA_COLUMNS].drop_duplicates().reset_index(drop=True)
        if organic is not None else pd.DataFrame(columns=ORGANIC_AREA_COLUMNS)
    )  # fmt: skip
    land = stocks[LAND_COLUMNS]
    first_year = int(land["year"].min())
    approach = run_approach(manifest, country)
    units = "land_units" in ((manifest.get("inputs") or {}).get(country) or {})
    if approach == 1:
        history = history_areas(manifest, country, first_year)
    elif units:  # Approach 2/3 from land units (engine.reporting_tables.land_dataset)
        history = unit_history_areas(manifest, country, first_year)
    else:  # Approach 2 from change matrices: the published areas (checked, compute.py)
        history = None
    totals = _table(path, "stock_change_totals", country)
    reported = (
        totals[totals["scope"] == "national"].set_index("year")["dC_tc_per_yr"]
        if totals is not None and "scope" in totals else None
    )  # fmt: skip
    if history is not None:
        land = pd.concat([history, land], ignore_index=True)
    return BaseInventory(
        country=country, release_id=path.name, land_areas=land.reset_index(drop=True),
        first_year=first_year,
        stratum_factors=factor_rows, defaults=factors.factor_table(edition, submitted=submitted),
        organic_soils=organic_areas.astype({"year": "int64", "area_ha": "float64"}),
        transition_years=int(params.get("transition_years") or DEFAULT_TRANSITION_YEARS),
        mc_draws=int(params.get("mc_draws", DEFAULT_MC_DRAWS)),
        seed=int(params.get("seed", DEFAULT_SEED)),
        edition=edition, gwp_set=str(params.get("gwp_set") or DEFAULT_GWP_SET),
        grid=submitted_grid_path(lake, country),
        tier=int(params.get("tier", 2)),
        ef1_option=str(params.get("ef1_option") or nitrogen.DEFAULT_EF1_OPTION),
        approach=approach, reported_dC=reported,
    )  # fmt: skip
