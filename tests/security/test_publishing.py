"""Attacks on runs and releases: lost releases, dropped countries, corrupted files, retries."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest
from publishing import concurrent_publishes, release_countries, tables, write

from inventory.engine.plan import RunYearsError, plan_run
from inventory.engine.run import RunParameters
from inventory.lake import releases
from inventory.lake.zones import Lake
from tasks.retries import is_transient


@pytest.fixture
def lake(tmp_path):
    return Lake.at(tmp_path / "lake")


def test_reversed_or_foreign_years_are_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="first year is after the last"):
        RunParameters(first_year=2024, last_year=1990)
    from attacks import package, submit

    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path))  # IRL reports 2018-2020
    with pytest.raises(RunYearsError, match="IRL reports 2018-2020") as refused:
        plan_run(lake, RunParameters(countries=["IRL"], first_year=2050, last_year=2060))
    assert refused.value.action and "within" in refused.value.action
    planned = plan_run(lake, RunParameters(countries=["IRL"], first_year=2019, last_year=2020))
    assert [(p.country, p.first_year, p.last_year) for p in planned.plans] == [("IRL", 2019, 2020)]


def test_a_release_dropping_a_country_or_year_is_refused_unless_withdrawn(lake):
    write(lake, "run-a", {k: pd.concat([tables("KEN", 1.0)[k], tables("URY", 5.0)[k]])
                          for k in ("soc_stocks", "stock_changes")})  # fmt: skip
    first = releases.publish_run(lake, "run-a")
    write(lake, "run-empty", tables("KEN", 1.0, years=(2000,)))  # KEN loses 2001
    with pytest.raises(
        releases.PublishError, match=r"(?s)drop 1 country-year-stratum row.*year=2001"
    ):
        releases.publish_run(lake, "run-empty")
    assert releases.current_release(lake) == first.path  # untouched
    write(lake, "run-w", tables("KEN", 1.0, years=(2000,)), parameters={"withdraw": ["KEN"]})
    releases.publish_run(lake, "run-w")
    write(lake, "run-gone", tables("URY", 5.0), parameters={"withdraw": ["KEN"]})
    releases.publish_run(lake, "run-gone")  # KEN withdrawn: no longer published
    assert release_countries(lake) == {"URY"}


def test_concurrent_publishes_lose_no_release_and_no_country(lake):
    write(lake, "run-base", tables("IRL", 1.0))
    releases.publish_run(lake, "run-base")
    countries = ["KEN", "URY", "BRA", "FRA"]
    assert concurrent_publishes(lake, countries) == [0, 0, 0, 0]
    history = releases.read_published(lake, "releases")
    assert len(history) == 5 and set(history.run_id) == {
        "run-base",
        *(f"run-{c}" for c in countries),
    }
    assert history.previous_release_id.iloc[1:].tolist() == history.release_id.iloc[:-1].tolist()
    assert release_countries(lake) == {"IRL", *countries}


def test_publish_is_idempotent_by_run_id(lake):
    write(lake, "run-a", tables("KEN", 1.0))
    first = releases.publish_run(lake, "run-a")
    again = releases.publish_run(lake, "run-a")  # e.g. a retry after the switch
    assert again.release_id == first.release_id
    assert len(releases.read_published(lake, "releases")) == 1


def test_release_files_are_read_only_and_a_changed_file_is_never_published(lake, tmp_path):
    write(lake, "run-a", tables("KEN", 1.0))
    first = releases.publish_run(lake, "run-a")
    part = first.path / "soc_stocks" / "country=KEN" / "part-0.parquet"
    assert not part.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    os.chmod(part, 0o644)  # an attacker (or a careless script) edits a published file in place
    part.write_bytes(part.read_bytes()[:-8] + b"garbage!")
    write(lake, "run-b", tables("URY", 2.0))
    with pytest.raises(releases.PublishError, match="changed after it was written"):
        releases.publish_run(lake, "run-b")
    assert releases.current_release(lake) == first.path
    assert not list((lake.root / "releases").glob(".tmp-*"))  # own staging cleaned
    write(lake, "run-c", tables("KEN", 3.0))  # recomputing the damaged country: still refused
    with pytest.raises(releases.PublishError, match="cannot be read"):
        releases.publish_run(lake, "run-c")
    write(lake, "run-c2", tables("KEN", 3.0), parameters={"withdraw": ["KEN"]})
    releases.publish_run(lake, "run-c2")  # ... unless the damaged data is withdrawn
    assert releases.read_published(lake, "soc_stocks").stock_tc.tolist() == [3.0, 4.0]
    other = Lake.at(tmp_path / "other")  # a run file changed between writing and publishing
    write(other, "run-d", tables("URY", 2.0))
    run_file = other.run("run-d") / "soc_stocks" / "country=URY" / "part-0.parquet"
    os.chmod(run_file, 0o644)
    run_file.write_bytes(b"PAR1 not really")
    with pytest.raises(releases.PublishError, match="country=URY"):
        releases.publish_run(other, "run-d")
    assert releases.current_release(other) is None


def test_a_run_with_a_failed_invariant_is_not_published(lake):
    checks = {
        "KEN": [
            {
                "name": "missing_factors",
                "rows": 2,
                "passed": False,
                "offending": ["country=KEN, factor=F_I", "country=KEN, factor=F_MG"],
            }
        ]
    }
    write(lake, "run-bad", tables("KEN", 1.0), checks=checks)
    with pytest.raises(releases.PublishError, match=r"missing_factors failed for KEN: 2 row"):
        releases.publish_run(lake, "run-bad")
    assert releases.current_release(lake) is None


def test_only_transient_errors_are_retried():
    import errno

    from filelock import Timeout

    assert is_transient(OSError(errno.EBUSY, "busy")) and is_transient(Timeout("lock"))
    assert not is_transient(FileNotFoundError(errno.ENOENT, "no package at /nonexistent"))
    assert not is_transient(releases.PublishError("would drop KEN"))
    assert not is_transient(ValueError("bad years"))


def test_a_run_whose_invariant_could_not_run_is_not_published(lake):
    """A check whose input table the run lacks (renamed, no longer produced) blocks the run."""
    checks = {"KEN": [{"name": "unfccc_notation_keys", "status": "missing_input", "rows": 0,
                       "passed": False, "offending": [], "missing": ["unfccc_tables"],
                       "stand_ins": {}}]}  # fmt: skip
    write(lake, "run-blind", tables("KEN", 1.0), checks=checks)
    with pytest.raises(releases.PublishError, match=(
        r"unfccc_notation_keys could not run for KEN: the run has no table unfccc_tables"
    )):  # fmt: skip
        releases.publish_run(lake, "run-blind")
    assert releases.current_release(lake) is None
