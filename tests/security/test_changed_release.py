"""Issue 22 item 7: a published file changed after publishing is never served.

A valid Parquet file with every value x10 written over a published ``stock_changes`` file was
served by ``diff``, ``report`` and the portal; an edited ``releases.parquet`` went unnoticed.
Every file read from a release is now checked against the release's ``checksums.json`` (once
per process and version of the file), and every history row chains the previous history.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest

from inventory.interfaces import api, cli
from inventory.lake import releases, tokens
from inventory.lake.zones import Lake
from inventory.reporting import recalculations

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _tables(value: float) -> dict[str, pd.DataFrame]:
    stocks = pd.DataFrame({"country": ["IRL"] * 2, "year": [2000, 2001],
                           "stock_tc": [value, value + 1]})  # fmt: skip
    changes = pd.DataFrame({"country": ["IRL"], "year": [2001], "land_use": ["cropland"],
                            "land_use_category": ["cropland_remaining_cropland"],
                            "dC_tc_per_yr": [value / 10]})  # fmt: skip
    return {"soc_stocks": stocks, "stock_changes": changes}


@pytest.fixture
def published(tmp_path):
    """Two releases of IRL: dC 10 then 20 t C/yr (stock 100 then 200, /10)."""
    lake = Lake.at(tmp_path / "lake")
    out = []
    for run_id, value in (("run-1", 100.0), ("run-2", 200.0)):
        releases.write_run(lake, run_id, _tables(value), {"countries": ["IRL"]})
        out.append(releases.publish_run(lake, run_id))
    return lake, out[0], out[1]


def _times_ten(path) -> None:
    """Write a valid Parquet file with every number x10 over ``path`` (in place: the inode the
    release shares with its run stays, as an editor that truncates and rewrites does)."""
    table = pq.read_table(path)
    frame = table.to_pandas()
    for column in frame.select_dtypes("number").columns.drop("year", errors="ignore"):
        frame[column] = frame[column] * 10
    tmp = path.with_name("edited.parquet")
    pq.write_table(pq.read_table(path).from_pandas(frame, preserve_index=False), tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    path.chmod(0o644)
    path.write_bytes(data)


def test_diff_refuses_a_changed_file_naming_it(published, capsys):
    lake, first, second = published
    # before the edit: dC 10 -> 20 t C/yr, a difference of 20 - 10 = 10
    changes = recalculations.compare_releases(lake, first.release_id, second.release_id)
    assert changes["difference_tc"].tolist() == [10.0]
    edited = second.path / "stock_changes" / "country=IRL" / releases.PARTITION_FILE
    _times_ten(edited)
    code = cli.main(["--lake", str(lake.root), "diff", first.release_id, second.release_id])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert str(edited) in err and "changed after release" in err
    assert "action: restore the release folder from a backup" in err and "republish" in err
    assert "Traceback" not in err


def test_report_refuses_a_changed_file(published, capsys):
    lake, _, second = published
    edited = second.path / "soc_stocks" / "country=IRL" / releases.PARTITION_FILE
    assert releases.read_published(lake, "soc_stocks")["stock_tc"].tolist() == [200.0, 201.0]
    _times_ten(edited)  # 200 -> 2000: would be served as the stock
    with pytest.raises(releases.ChangedReleaseFileError, match="soc_stocks"):
        releases.read_published(lake, "soc_stocks")
    assert cli.main(["--lake", str(lake.root), "report"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert str(edited) in err and "Traceback" not in err


def test_a_file_is_hashed_once_per_process_until_it_changes(published, monkeypatch):
    lake, _, second = published
    releases._VERIFIED.clear()
    calls: list[str] = []
    original = releases.sha256_file
    monkeypatch.setattr(releases, "sha256_file", lambda p: calls.append(str(p)) or original(p))
    for _ in range(3):
        releases.read_published(lake, "soc_stocks")
    assert len(calls) == 1  # one file, three reads, one hash
    _times_ten(second.path / "soc_stocks" / "country=IRL" / releases.PARTITION_FILE)
    with pytest.raises(releases.ChangedReleaseFileError):
        releases.read_published(lake, "soc_stocks")
    assert len(calls) == 2  # the edit changed size/times: hashed again


def test_an_edited_current_history_is_refused(published, capsys):
    lake, first, second = published
    history = second.path / releases.RELEASES_FILE
    frame = pd.read_parquet(history)
    frame.loc[0, "countries"] = "IRL,KEN"  # a forged row
    history.chmod(0o644)
    frame.to_parquet(history)
    assert cli.main(["--lake", str(lake.root), "status"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert str(history) in err and "changed after release" in err


def test_an_edited_older_history_breaks_the_chain(published):
    lake, first, second = published
    older = first.path / releases.RELEASES_FILE
    frame = pd.read_parquet(older)
    frame.loc[0, "run_id"] = "run-forged"
    older.chmod(0o644)
    older.unlink()  # its own release's checksums would catch it too: the chain is checked here
    frame.to_parquet(older)
    with pytest.raises(releases.ChangedReleaseFileError, match="was changed after it was"):
        releases.read_history(second.path)


def test_the_portal_refuses_to_download_a_changed_file(published):
    lake, _, second = published
    key = tokens.create_token(tokens.store_path(lake.root), "IRL")
    client = TestClient(api.create_app(lake.root))
    csrf = CSRF_RE.search(client.get("/portal/signin").text).group(1)
    answer = client.post("/portal/signin", data={"token": key, "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    url = "/portal/c/IRL/results/stock_changes.csv"
    assert "20.0" in client.get(url).text  # dC 200 / 10 = 20 t C/yr
    _times_ten(second.path / "stock_changes" / "country=IRL" / releases.PARTITION_FILE)
    page = client.get(url)
    assert page.status_code == 409 and "200.0" not in page.text
    assert "stock_changes" in page.text and "restore the release folder" in page.text
