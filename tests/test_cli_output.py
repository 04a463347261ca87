"""What the CLI prints: help on every argument, whole ids at 80 columns, elisions stated."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from inventory.interfaces import cli
from inventory.lake import releases
from inventory.lake.zones import Lake


def _actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from ((f"{name} {a}", h) for a, h in _actions(child))
        elif not isinstance(action, argparse._HelpAction):
            yield "/".join(action.option_strings) or action.dest, action.help


def test_every_argument_has_help():
    missing = [name for name, text in _actions(cli.build_parser()) if not text]
    assert missing == []


def _tables(value: float, n_years: int = 3) -> dict[str, pd.DataFrame]:
    years = list(range(2000, 2000 + n_years))
    return {
        "soc_stocks": pd.DataFrame({"country": "KEN", "year": years, "area_ha": 10.0,
                                    "stock_tc": value}),
        "stock_changes": pd.DataFrame({
            "country": "KEN", "year": years, "land_use": "cropland",
            "land_use_category": "cropland_remaining_cropland",
            "dC_tc_per_yr": [value / 10 + y for y in range(n_years)],
            "dCO2_t_per_yr": -value / 10 * 44 / 12}),
    }  # fmt: skip


@pytest.fixture
def two_releases(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    out = []
    for run_id, value in (("run-a", 10.0), ("run-b", 20.0)):
        releases.write_run(lake, run_id, _tables(value), {"countries": ["KEN"]})
        out.append(releases.publish_run(lake, run_id).release_id)
    return lake, out


def test_status_keeps_release_ids_whole_at_80_columns(two_releases, capsys, monkeypatch):
    lake, ids = two_releases
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["--lake", str(lake.root), "status"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    for release_id in ids:
        assert any(release_id in line for line in out.splitlines()), release_id
    # longer lines only for a whole path, alone on its line
    assert all(len(line) <= 80 or " " not in line.strip() for line in out.splitlines())
    assert str(lake.root / "published" / "releases.parquet") in out.splitlines()
    assert "2 of 2 releases" in out and f"current release: {ids[-1]}" in out


def test_diff_says_what_it_elides_and_writes_every_row(two_releases, capsys, monkeypatch):
    lake, (first, second) = two_releases
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.main(["--lake", str(lake.root), "diff", first, second, "--limit", "2"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    full = lake.root / "recalculations" / f"{first}__{second}.csv"
    # dC 1, 2, 3 -> 2, 3, 4 t C/yr in 2000-2002: three changed stock_changes rows
    assert len(pd.read_csv(full)) == 3
    every = lake.root / "recalculations" / f"{first}__{second}_all_tables.csv"
    # every table: stock_tc 10 -> 20 (3 years), dC (3) and dCO2 -10/10*44/12 -> -20/10*44/12 (3)
    assert len(pd.read_csv(every)) == 9
    assert "2 of 9 changed values in every published table (--limit 2" in out
    assert str(full) in out.splitlines() and str(every) in out.splitlines()  # whole, own line


def test_diff_warns_when_the_newer_release_is_given_first(two_releases, capsys):
    lake, (first, second) = two_releases
    assert cli.main(["--lake", str(lake.root), "diff", second, first]) == cli.EXIT_OK
    err = capsys.readouterr().err
    assert f"was published after {first}" in err
    assert f"soc-inventory diff {first} {second}" in err


def test_diff_at_80_columns_breaks_no_word_and_says_what_it_leaves_out(
    two_releases, capsys, monkeypatch
):
    lake, (first, second) = two_releases
    monkeypatch.setenv("COLUMNS", "80")
    assert cli.main(["--lake", str(lake.root), "diff", first, second]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert all(len(line) <= 80 or " " not in line.strip() for line in out.splitlines())
    # no id, number or column name is cut: each appears whole
    for word in ("stock_changes", "dC_tc_per_yr", "dCO2_t_per_yr", "-3.667"):
        assert word in out, word
    assert "not shown at 80 columns: " in out
    every = lake.root / "recalculations" / f"{first}__{second}_all_tables.csv"
    assert str(every) in out


def test_report_states_what_the_summary_leaves_out(two_releases, capsys, monkeypatch):
    lake, _ = two_releases
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.main(["--lake", str(lake.root), "report"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "last reported year per country only" in out
    assert "SOC stock Mt C" in out  # display units, not raw column names
    assert (lake.root / "dashboard" / "index.html").exists()
