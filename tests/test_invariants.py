"""Every invariant check runs in every run: each example package, as the demo computes it.

A run's manifest (``checks``) must hold every check of ``inventory/engine/sql/checks/`` with
status ``pass`` or ``fail``, never leave one out: a table a run has no reason to produce is an
empty stand-in whose reason is recorded (and asserted here), any other missing table is status
``missing_input``, which fails :func:`assert_every_check_ran` and stops the publish. The last
tests show that a check reading a table no run produces, or a run whose table is renamed, fails
this file.

The example runs go through the domain path without Prefect (read, validate, harmonise,
``compute_country``), with the demo's 200 Monte Carlo draws so that
``mc_mean_near_deterministic`` judges the draws; the demo flow itself is checked the same way
in ``test_flows.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sql_packages import sql_package

from inventory.core import bundled
from inventory.engine import invariants, sql_headers
from inventory.engine.run import CountryResult, RunParameters, compute_country
from inventory.harmonise import store
from inventory.intake.submission import read_submission
from inventory.lake.zones import Lake
from inventory.validation.validate import validate_submission

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHECK_DIR = ROOT / "inventory" / "engine" / "sql" / "checks"
CHECKS = sorted(p.stem for p in CHECK_DIR.glob("*.sql"))
# every example package and the land representation it submits
EXAMPLES = {"IRL": "land_areas", "KEN": "land_areas", "URY": "land_areas", "CRI": "land_areas",
            "NZL": "land_use_changes"}  # fmt: skip
UNIT_HISTORIES = ("approach2_episodes", "approach2_unit_summary")


def assert_every_check_ran(checks: list[dict]) -> None:
    """Every check of the package is in a run's ``checks``, each with status pass or fail."""
    by_name = {c["name"]: c for c in checks}
    assert sorted(by_name) == CHECKS, "a check of sql/checks/ is missing from the run"
    not_run = {n: c["missing"] for n, c in by_name.items() if c["status"] not in {"pass", "fail"}}
    assert not not_run, f"checks that could not run (missing tables): {not_run}"


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory) -> dict[str, CountryResult]:
    lake = Lake.at(tmp_path_factory.mktemp("lake"))
    runs = {}
    for country in EXAMPLES:
        validation = validate_submission(read_submission(ROOT / "examples" / country))
        assert validation.ok, validation.to_text()
        assert store.file_outcome(lake, country, f"sub-{country}", validation)["accepted"]
        runs[country] = compute_country(lake, country, RunParameters(mc_draws=200))
    return runs


def test_the_demo_computes_example_packages():
    assert set(bundled.EXAMPLE_COUNTRIES) <= set(EXAMPLES)


@pytest.mark.parametrize("country", list(EXAMPLES))
def test_every_check_runs_and_passes_on_every_example(example_runs, country):
    checks = example_runs[country].checks
    assert_every_check_ran(checks)
    assert {c["name"]: c["status"] for c in checks} == dict.fromkeys(CHECKS, "pass")
    assert all(c["passed"] and c["rows"] == 0 and not c["missing"] for c in checks)
    # only the land-unit histories stand in (empty), and the manifest says why
    reason = f"no land units in this run (land representation: {EXAMPLES[country]})"
    stood_in = {c["name"]: c["stand_ins"] for c in checks if c["stand_ins"]}
    assert stood_in == {"land_unit_histories": dict.fromkeys(UNIT_HISTORIES, reason)}


def test_the_checks_read_the_engine_tables_of_every_land_representation(example_runs):
    """missing_factors reads land_areas: the submitted areas (Approach 1) or the areas the
    matrices imply (NZL, from the engine's connection); it passes on both."""
    for country, dataset in EXAMPLES.items():
        checks = {c["name"]: c for c in example_runs[country].checks}
        assert checks["missing_factors"]["status"] == "pass", (country, dataset)
        assert checks["missing_factors"]["stand_ins"] == {}


def test_a_check_on_a_renamed_table_fails_the_run(example_runs, tmp_path, monkeypatch):
    """A check whose SQL reads a table no run produces (here unfccc_notation_keys reading
    ``unfccc_rows``, as after a rename on one side only) reports ``missing_input`` and fails
    :func:`assert_every_check_ran`, so this file fails, and the publish is refused."""
    write = sql_package(tmp_path, monkeypatch)
    for check in CHECKS:
        text = (CHECK_DIR / f"{check}.sql").read_text()
        if check == "unfccc_notation_keys":
            text = text.replace("unfccc_tables", "unfccc_rows")
        package = write(check, text)
    assert sql_headers.check_headers(package=package)["unfccc_notation_keys"].input_tables == (
        "unfccc_rows",
    )  # fmt: skip
    tables = example_runs["KEN"].tables
    results = {r.name: r for r in invariants.run_invariants(tables, package=package)}
    renamed = results["unfccc_notation_keys"]
    assert (renamed.status, renamed.passed, renamed.missing) == ("missing_input", False,
                                                                 ("unfccc_rows",))  # fmt: skip
    assert results["unfccc_land_area_identity"].status == "pass"  # the unrenamed one still runs
    with pytest.raises(AssertionError, match=r"unfccc_notation_keys.*unfccc_rows"):
        assert_every_check_ran([r.to_json() for r in results.values()])


def test_a_run_without_a_table_a_check_reads_fails(example_runs):
    """The run side renamed: ``unfccc_tables`` given as ``unfccc_rows`` leaves both checks
    that read it unable to run."""
    tables: dict[str, pd.DataFrame | None] = dict(example_runs["KEN"].tables)
    tables["unfccc_rows"] = tables.pop("unfccc_tables")
    results = invariants.run_invariants(tables)
    missing = {r.name: r.missing for r in results if r.status == "missing_input"}
    assert missing["unfccc_notation_keys"] == ("unfccc_tables",)
    assert missing["unfccc_land_area_identity"] == ("unfccc_tables",)
    with pytest.raises(AssertionError, match="could not run"):
        assert_every_check_ran([r.to_json() for r in results])


def test_a_stand_in_has_the_columns_of_its_model():
    """The empty stand-in of approach2_unit_summary: its header's columns, typed by unit."""
    sql = invariants.stand_in_sql("approach2_unit_summary")
    assert sql == (
        'CREATE TABLE "approach2_unit_summary" ("country" VARCHAR, "unit_id" VARCHAR, '
        '"first_year" INTEGER, "last_year" INTEGER, "n_years" BIGINT, "n_states" BIGINT, '
        '"recurring" VARCHAR, "rescan" VARCHAR)'
    )
    with pytest.raises(ValueError, match="no SQL model makes 'organic_ef'"):
        invariants.stand_in_sql("organic_ef")


def test_a_stand_in_never_replaces_a_table_the_run_has():
    peat = pd.DataFrame({
        "country": ["KEN"], "year": [2000], "organic_emissions_co2e": [5.0],
        "mineral_sequestration_co2e": [1.0], "net_co2e": [4.0], "offset_ratio": [0.2],
        "required_additional_sequestration_co2e": [4.0],
    })  # fmt: skip
    results = invariants.run_invariants(
        {"peatland_offsets": peat}, stand_ins={"peatland_offsets": "not used: the run has it"}
    )
    (balance,) = [r for r in results if r.name == "peatland_offsets_balance"]
    assert balance.status == "pass" and balance.stand_ins == ()
