"""Interrupted work: kill -9 in the harmonised switch, reprocessing, invariants in production."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
from attacks import package, submit
from consistency import problems

from inventory.engine import invariants
from inventory.harmonise import store
from inventory.intake.submission import receive_submission
from inventory.interfaces import cli
from inventory.lake.zones import Lake
from inventory.validation import validate


def test_kill_9_between_writing_a_version_and_switching_keeps_the_old_one_whole(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path))
    before = store.harmonised_manifest(lake, "IRL")["submission_id"]
    later = receive_submission(package(tmp_path, "again"), lake)
    script = textwrap.dedent(f"""
        import time
        from inventory.harmonise import store
        from inventory.intake.submission import load_receipt
        from inventory.lake.zones import Lake
        from inventory.validation import validate
        lake = Lake.at({str(lake.root)!r})
        receipt = load_receipt(lake, {later.submission_id!r})
        result = validate.validate_stored(receipt)
        def stalled(*args):
            print("WRITTEN", flush=True)
            time.sleep(60)
        store.switch_symlink = stalled
        store.file_outcome(lake, "IRL", receipt.submission_id, result)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "WRITTEN"  # every dataset written, not switched
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert problems(lake.root) == []
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == before
    sid = later.submission_id  # still "received": redo the filing, as `reprocess` does
    outcome = store.file_outcome(lake, "IRL", sid, validate.validate_stored(later))
    assert outcome["accepted"] and store.harmonised_manifest(lake, "IRL")["submission_id"] == sid
    assert problems(lake.root) == []


def test_reprocess_refuses_a_filed_submission(tmp_path, capsys):
    lake = Lake.at(tmp_path / "lake")
    _, sid, _ = submit(lake, package(tmp_path))
    assert cli.main(["--lake", str(lake.root), "reprocess", sid]) == cli.EXIT_USAGE
    assert "already filed as accepted" in capsys.readouterr().err


def test_an_older_submission_filed_late_does_not_replace_a_newer_one(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    older = receive_submission(package(tmp_path), lake)
    _, newer, _ = submit(lake, package(tmp_path, "newer"))
    store.file_outcome(lake, "IRL", older.submission_id, validate.validate_stored(older))
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == newer


def test_every_check_runs_or_names_its_missing_tables_and_failures_name_rows():
    peat = pd.DataFrame({
        "country": ["KEN"], "year": [2000], "organic_emissions_co2e": [5.0],
        "mineral_sequestration_co2e": [1.0], "net_co2e": [99.0], "offset_ratio": [0.2],
        "required_additional_sequestration_co2e": [4.0],
    })  # fmt: skip
    results = {r.name: r for r in invariants.run_invariants({"peatland_offsets": peat})}
    failed = results.pop("peatland_offsets_balance")  # the only check with its inputs present
    assert failed.status == "fail" and failed.rows == 1 and "net_co2e=99.0" in failed.offending[0]
    assert "peatland_offsets_balance failed for KEN: 1 row(s)" in failed.message("KEN")
    # every other check is reported as unable to run, never dropped
    assert {r.status for r in results.values()} == {"missing_input"}
    assert not any(r.passed for r in results.values())
    assert results["unfccc_notation_keys"].missing == ("unfccc_tables",)
    assert results["inventory_stock_identity"].message("KEN") == (
        "invariant check inventory_stock_identity could not run for KEN: the run has no table "
        "inventory_stocks, stock_change_totals (renamed, or no longer produced?)"
    )
