"""Scenarios on an Approach 2/3 base (land units): projected from the units' own history.

The land-units case of ``test_run_approach2.py`` (history from 1995, reported years 2015-2024;
2019 defaults, cool temperate moist, HAC: SOC_REF 81, cropland F_LU 0.70, no-till F_MG 1.09):
  u1 100 ha grassland -> cropland (full tillage) in 2010: -121.5 t C/yr in 2010-2029
  u2  50 ha cropland full tillage -> no-till in 2015:    +12.7575 t C/yr in 2015-2034
  u3 200 ha grassland throughout
Published, then read back as a scenario base. Business as usual must continue the inventory:
dC = -121.5 + 12.7575 = -108.7425 t C/yr in 2025-2029, 12.7575 in 2030-2034, 0 in 2035 (both
changes happened before the first reported year or in it, so only the units' history knows).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from test_run_approach2 import MINIMAL, U1_DC, U2_DC, _unit_rows

from inventory.engine.reporting_tables import published_schema
from inventory.engine.run import RunParameters, combine, compute_country, run_manifest
from inventory.harmonise import store
from inventory.intake import submission
from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.scenarios.base import load_base
from inventory.scenarios.compute import answer_country, run_pathway
from inventory.scenarios.model import ScenarioError, parse_scenario
from inventory.validation import validate

COUNTRY = "IRL"


def _publish(lake: Lake, params: RunParameters) -> None:
    """The domain path of ``inventory-run`` without Prefect: compute, write the run, publish."""
    result = compute_country(lake, COUNTRY, params)
    run_id, release_id = "run-units", "release-units"
    tables = published_schema.published_tables(
        combine([result.tables]), release_id=release_id, run_id=run_id,
        provenance={COUNTRY: result.provenance},
    )  # fmt: skip
    manifest = {**run_manifest(params, [result]), "release_id": release_id,
                "grain": published_schema.table_grains(tables)}  # fmt: skip
    releases.write_run(lake, run_id, tables, manifest)
    releases.publish_run(lake, run_id)


def _units_lake(tmp_path_factory) -> Lake:
    package = tmp_path_factory.mktemp("pkg") / COUNTRY
    shutil.copytree(MINIMAL, package)
    (package / "land_areas.csv").unlink()
    (package / "organic_soils.csv").unlink()
    _unit_rows().to_csv(package / "land_units.csv", index=False)
    manifest = (package / "submission.yaml").read_text(encoding="utf-8")
    manifest = manifest.replace("years: [2018, 2020]", "years: [2015, 2024]")
    manifest = manifest.replace("approach: 1", "approach: 2")
    manifest = manifest.replace("land_areas: land_areas.csv", "land_units: land_units.csv")
    manifest = manifest.replace("  organic_soils: organic_soils.csv\n", "")
    (package / "submission.yaml").write_text(manifest, encoding="utf-8")
    result = validate.validate_submission(submission.read_submission(package))
    assert result.ok, result.to_text()
    lake = Lake.at(tmp_path_factory.mktemp("lake"))
    assert store.file_outcome(lake, COUNTRY, "sub-units", result)["accepted"]
    _publish(lake, RunParameters(tier=1, mc_draws=0))
    return lake


@pytest.fixture(scope="module")
def units_release(tmp_path_factory):
    return _units_lake(tmp_path_factory)


def test_bau_of_a_land_units_country_continues_its_inventory(units_release):
    base = load_base(units_release, "current", COUNTRY)
    assert (base.first_year, base.last_year) == (2015, 2024)
    bau = run_pathway(base, [], horizon=2035, n_draws=0)
    dC = pd.Series(bau.dC[0], index=bau.years)
    # the reported years as published (Approach 2 on the units)
    totals = pd.read_parquet(units_release.published / "stock_change_totals"
                             / f"country={COUNTRY}" / "part-0.parquet")  # fmt: skip
    totals = totals[totals["scope"] == "national"].set_index("year")["dC_tc_per_yr"]
    assert dC.loc[totals.index].to_numpy() == pytest.approx(totals.to_numpy(), rel=1e-12)
    assert totals[2024] == pytest.approx(U1_DC + U2_DC)  # -108.7425 t C/yr
    # and continued: u1 works through 2029, u2 through 2034
    assert dC.loc[2025:2029].to_numpy() == pytest.approx([U1_DC + U2_DC] * 5, rel=1e-12)
    assert dC.loc[2030:2034].to_numpy() == pytest.approx([U2_DC] * 5, rel=1e-12)
    assert dC[2035] == pytest.approx(0.0, abs=1e-9)


def test_practice_measure_on_a_land_units_country_adds_its_hand_effect(units_release):
    # 50 % of the 100 ha full-tillage cropland (u1) to no-till at once in 2025:
    # 50 x 81 x 0.70 x (1.09 - 1.00) / 20 = 12.7575 t C/yr more in 2026-2045
    text = f"""
name: units-no-till
base: {{release: current, countries: [{COUNTRY}]}}
horizon: 2035
mc_draws: 0
measures:
  - name: no_till
    select: {{land_use: cropland, management: full_tillage}}
    target: {{management: no_tillage}}
    share: 0.5
    start: 2025
    end: 2025
"""
    scenario, _ = parse_scenario(text)
    answer = answer_country(scenario, load_base(units_release, "current", COUNTRY))
    p = answer.pathways.query("scope == 'mineral' and projected").set_index(["pathway", "year"])
    assert p.loc[("difference", 2026), "dC_tc_per_yr"] == pytest.approx(U2_DC, rel=1e-12)
    assert p.loc[("scenario", 2026), "dC_tc_per_yr"] == pytest.approx(U1_DC + 2 * U2_DC)


def test_land_units_the_run_read_are_gone_refused(tmp_path_factory):
    """Without the units the run read (sha256 no longer matching), the history before the
    first reported year is unknown: refused, not silently projected from the first state."""
    lake = _units_lake(tmp_path_factory)
    assert load_base(lake, "current", COUNTRY).first_year == 2015
    (path,) = (lake.root / "harmonised" / ".versions").rglob("land_units/part-0.parquet")
    path.chmod(0o644)
    path.write_bytes(b"not the units the run read")
    with pytest.raises(ScenarioError) as err:
        load_base(lake, "current", COUNTRY)
    assert f"{COUNTRY} was computed with Approach 2/3 from land units" in str(err.value)
    assert "no longer in the lake as read" in str(err.value)
    assert err.value.action is not None
    assert f"soc-inventory run --country {COUNTRY}" in err.value.action


def test_a_base_that_does_not_reproduce_its_inventory_is_refused(units_release):
    """The guard behind it: an Approach 2/3 base whose business as usual misses the published
    dC (here: the units' history dropped, as a projection from the published areas alone
    would) is refused, naming the year and both numbers."""
    base = load_base(units_release, "current", COUNTRY)
    base.land_areas = base.land_areas[base.land_areas["year"] >= 2015]
    scenario, _ = parse_scenario(f"""
name: units-bau
base: {{release: current, countries: [{COUNTRY}]}}
horizon: 2030
mc_draws: 0
""")
    with pytest.raises(ScenarioError) as err:
        answer_country(scenario, base)
    # 2015 from the first reported state alone: 0 instead of -121.5 + 12.7575 t C/yr
    assert (f"{COUNTRY} was computed with Approach 2; projected on its stratum areas, business "
            "as usual gives dC 0.000 t C/yr in 2015, the published inventory -108.742"
            in str(err.value))  # fmt: skip
