"""Runs, releases and the atomic switch of published/ (including a kill -9 mid-publish)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from inventory.lake import releases
from inventory.lake.zones import Lake


def _tables(country: str, value: float) -> dict[str, pd.DataFrame]:
    stocks = pd.DataFrame({"country": [country] * 2, "year": [2000, 2001],
                           "stock_tc": [value, value + 1]})  # fmt: skip
    changes = pd.DataFrame({"country": [country], "year": [2001], "land_use": ["cropland"],
                            "land_use_category": ["cropland_remaining_cropland"],
                            "dC_tc_per_yr": [value / 10]})  # fmt: skip
    return {"soc_stocks": stocks, "stock_changes": changes}


def _publish(lake: Lake, run_id: str, tables: dict[str, pd.DataFrame]) -> releases.Release:
    countries = sorted(tables["soc_stocks"]["country"].unique())
    releases.write_run(lake, run_id, tables, {"countries": countries})
    return releases.publish_run(lake, run_id)


@pytest.fixture
def lake(tmp_path):
    return Lake.at(tmp_path / "lake")


def test_first_release_is_readable(lake):
    release = _publish(lake, "run-a", _tables("KEN", 100.0))
    assert releases.current_release(lake) == release.path
    stocks = releases.read_published(lake, "soc_stocks")
    assert sorted(stocks.stock_tc) == [100.0, 101.0]
    assert set(stocks.country) == {"KEN"}
    assert list(releases.read_published(lake, "releases").run_id) == ["run-a"]


def test_new_release_keeps_other_countries_and_lists_history(lake):
    first = _publish(lake, "run-a", {k: pd.concat([_tables("KEN", 1.0)[k], _tables("IRL", 5.0)[k]])
                                     for k in ("soc_stocks", "stock_changes")})  # fmt: skip
    second = _publish(lake, "run-b", _tables("KEN", 2.0))
    stocks = releases.read_published(lake, "soc_stocks")
    assert stocks[stocks.country == "IRL"].stock_tc.tolist() == [5.0, 6.0]  # carried over
    assert stocks[stocks.country == "KEN"].stock_tc.tolist() == [2.0, 3.0]  # replaced
    history = releases.read_published(lake, "releases")
    assert history.run_id.tolist() == ["run-a", "run-b"]
    assert history.previous_release_id.tolist()[1] == first.release_id
    # the old release is still complete on disk (time travel by directory)
    old = pd.read_parquet(first.path / "soc_stocks" / "country=KEN" / "part-0.parquet")
    assert old.stock_tc.tolist() == [1.0, 2.0]
    assert second.release_id != first.release_id


def test_a_run_never_overwrites_another(lake):
    releases.write_run(lake, "run-a", _tables("KEN", 1.0), {"countries": ["KEN"]})
    with pytest.raises(releases.PublishError, match="exists already"):
        releases.write_run(lake, "run-a", _tables("KEN", 2.0), {"countries": ["KEN"]})


def test_incomplete_run_is_not_published(lake):
    (lake.run("run-x") / "soc_stocks").mkdir(parents=True)
    with pytest.raises(releases.PublishError, match="no manifest"):
        releases.publish_run(lake, "run-x")


def test_kill_9_during_publish_leaves_previous_release_intact(lake):
    _publish(lake, "run-a", _tables("KEN", 1.0))
    before = releases.current_release(lake)
    releases.write_run(lake, "run-b", _tables("KEN", 9.0), {"countries": ["KEN"]})
    # A child process publishes run-b but stalls after staging its first table; we kill -9 it.
    script = textwrap.dedent(f"""
        import sys, time
        from inventory.lake import releases
        from inventory.lake.zones import Lake
        original = releases._link_tree
        def slow(*args):
            original(*args)
            print("STAGED", flush=True)
            time.sleep(60)
        releases._link_tree = slow
        releases.publish_run(Lake.at({str(lake.root)!r}), "run-b")
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "STAGED"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert releases.current_release(lake) == before
    stocks = releases.read_published(lake, "soc_stocks")
    assert stocks.stock_tc.tolist() == [1.0, 2.0]
    assert releases.read_published(lake, "stock_changes").dC_tc_per_yr.tolist() == [0.1]
    assert list((lake.root / "releases").glob(".tmp-*"))  # the half-built release is left over
    releases.publish_run(lake, "run-b")  # the next publish cleans it up and succeeds
    assert not list((lake.root / "releases").glob(".tmp-*"))
    assert releases.read_published(lake, "soc_stocks").stock_tc.tolist() == [9.0, 10.0]


def test_recalculation_report_names_the_changed_input(lake):
    from inventory.reporting.recalculations import compare_releases

    base = {"countries": ["KEN"], "parameters": {"edition": "2019"},
            "inputs": {"KEN": {"land_areas": {"sha256": "aaa"}}}}  # fmt: skip
    releases.write_run(lake, "run-a", _tables("KEN", 10.0), base)
    first = releases.publish_run(lake, "run-a")
    changed = {**base, "inputs": {"KEN": {"land_areas": {"sha256": "bbb"}}}}
    releases.write_run(lake, "run-b", _tables("KEN", 12.0), changed)
    second = releases.publish_run(lake, "run-b")
    report = compare_releases(lake, first.release_id, second.release_id)
    row = report.iloc[0]
    # dC 10 / 10 = 1.0 -> 12 / 10 = 1.2 t C/yr: +0.2 t C/yr, +20 %
    assert row.difference_tc == pytest.approx(0.2)
    assert row.difference_pct == pytest.approx(20.0)
    assert row.cause == "input land_areas changed"
    assert len(report) == 1
    # The report written after publishing: none for the first release, this one for the second.
    from inventory.reporting.recalculations import write_recalculation_report

    assert write_recalculation_report(lake, first.release_id) is None
    written = write_recalculation_report(lake, second.release_id)
    stored = pd.read_parquet(lake.root / "recalculations" / f"{second.release_id}.parquet")
    assert stored["difference_tc"].tolist() == pytest.approx(written["difference_tc"].tolist())
    assert (lake.root / "recalculations" / f"{second.release_id}.csv").exists()


# ---------------------------------------------------------------------------- schema v1 -> v2
STRATUM = {"climate_zone": "tropical_moist", "soil_class": "hac", "land_use": "cropland",
           "management": "full_tillage", "input": "medium"}  # fmt: skip


def _model_stocks(country: str, years: tuple[int, ...]) -> pd.DataFrame:
    """soc_stocks as the SQL model computes it (model names; every header column filled)."""
    from inventory.engine.reporting_tables import published_schema as ps

    columns = [c for c in ps.columns_of("soc_stocks") if c.name != "release_id"]
    rows = []
    for year in years:
        row = {c.model_column or c.name: (1.0 if c.unit else "x") for c in columns}
        rows.append({**row, "country": country, "year": year, **STRATUM, "stock_tc": 50.0})
    return pd.DataFrame(rows)


def _write_v1_run(lake: Lake, run_id: str, frame: pd.DataFrame) -> None:
    """A run as schema version 1 wrote it: model names, the country only in the folder name."""
    from inventory.lake.zones import sha256_file, write_json_atomic

    files = {}
    for country, part in frame.groupby("country"):
        relative = f"soc_stocks/country={country}/part-0.parquet"
        path = lake.run(run_id) / relative
        path.parent.mkdir(parents=True)
        part.drop(columns="country").to_parquet(path, index=False)
        files[relative] = sha256_file(path)
    countries = sorted(frame["country"].unique())
    manifest = {"run_id": run_id, "countries": countries, "files": files}
    write_json_atomic(lake.run(run_id) / "manifest.json", manifest)


def _write_v2_run(lake: Lake, run_id: str, frame: pd.DataFrame) -> str:
    """A run through the published-schema step, as tasks.inventory.write_run does."""
    from inventory.engine.reporting_tables import published_schema as ps
    from inventory.lake.zones import new_id

    release_id = new_id("release")
    tables = ps.published_tables({"soc_stocks": frame}, release_id=release_id, run_id=run_id)
    manifest = {"countries": sorted(frame["country"].unique()), "release_id": release_id}
    releases.write_run(lake, run_id, tables, manifest)
    return release_id


def test_a_schema_v2_run_publishes_over_a_v1_release_and_is_verified_as_written(lake):
    """The coverage guard compares country, year and stratum keys (the same names in both
    schema versions; schema 1 files have the country only in the folder name), and the sha256
    checked at publishing is that of the file the schema step wrote (with its metadata)."""
    import json

    import pyarrow.parquet as pq

    from inventory.lake.zones import sha256_file

    _write_v1_run(lake, "run-v1", _model_stocks("KEN", (2000, 2001)))
    releases.publish_run(lake, "run-v1")
    dropping = _write_v2_run(lake, "run-v2-short", _model_stocks("KEN", (2000,)))
    with pytest.raises(releases.PublishError, match=r"(?s)drop 1 country-year-stratum.*2001"):
        releases.publish_run(lake, "run-v2-short")
    assert not lake.release(dropping).exists()
    planned = _write_v2_run(lake, "run-v2", _model_stocks("KEN", (2000, 2001)))
    release = releases.publish_run(lake, "run-v2")
    assert release.release_id == planned  # the id written inside the files
    part = release.path / "soc_stocks" / "country=KEN" / "part-0.parquet"
    manifest = json.loads((lake.run("run-v2") / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["soc_stocks/country=KEN/part-0.parquet"] == sha256_file(part)
    table = pq.read_table(part)
    assert table.schema.metadata[b"soilc.release_id"] == planned.encode()
    assert table["country"].to_pylist() == ["KEN", "KEN"]
    assert "soc_ref_tc_per_ha" in table.column_names and "soc_ref" not in table.column_names


def test_a_schema_v2_run_file_changed_after_writing_is_refused(lake):
    _write_v2_run(lake, "run-v2", _model_stocks("URY", (2000, 2001)))
    path = lake.run("run-v2") / "soc_stocks" / "country=URY" / "part-0.parquet"
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b"URY", b"KEN"))  # same size, other country
    with pytest.raises(releases.PublishError, match="changed after it was written"):
        releases.publish_run(lake, "run-v2")
    assert releases.current_release(lake) is None
