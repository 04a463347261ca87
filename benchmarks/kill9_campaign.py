"""kill -9 campaign: kill a process at a random moment of submit, harmonise or publish, then
check every zone of the lake and that the next attempt succeeds.

    .venv/bin/python benchmarks/kill9_campaign.py [--kills 20] [--out benchmarks/out/kill9.json]

Phases (each child process imports everything first, prints READY, then works; the parent
kills it with SIGKILL after a random delay drawn uniformly over the measured duration of the
work, so kills land anywhere in it):

* submit    -- store examples/KEN in raw/, validate, harmonise (the whole ``submit``)
* harmonise -- file an already stored and validated submission (validated/ + harmonised switch)
* publish   -- publish a prepared inventory run (lock, verify, stage, switch)

After every kill: ``tests/security/consistency.py`` checks raw/ (receipts match the bytes),
quarantine/ and validated/ (no half-written folder), harmonised/ (the current version is whole
and from one submission) and published/ (checksums, unbroken history); then the interrupted work
is redone (reprocess / publish again) and must succeed. Slow (about 10 s per kill): not part of
the test suite; the numbers are in the README, "What the system guarantees".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "security"))

CHILD = {
    "submit": """
from inventory.intake.submission import receive_submission
from inventory.validation import validate
from inventory.harmonise import store
from inventory.lake.zones import Lake
validate.gx_suites._context()
lake = Lake.at(LAKE)
print("READY", flush=True)
r = receive_submission(EXAMPLE, lake)
store.file_outcome(lake, r.country, r.submission_id, validate.validate_stored(r))
print("DONE", flush=True)
""",
    "harmonise": """
from inventory.intake.submission import load_receipt
from inventory.validation import validate
from inventory.harmonise import store
from inventory.lake.zones import Lake
lake = Lake.at(LAKE)
r = load_receipt(lake, ARG)
result = validate.validate_stored(r)
print("READY", flush=True)
store.file_outcome(lake, r.country, r.submission_id, result)
print("DONE", flush=True)
""",
    "publish": """
from inventory.lake import releases
from inventory.lake.zones import Lake
lake = Lake.at(LAKE)
print("READY", flush=True)
releases.publish_run(lake, ARG)
print("DONE", flush=True)
""",
}


def child(phase: str, lake: Path, arg: str = "") -> subprocess.Popen:
    code = CHILD[phase].replace("LAKE", repr(str(lake))).replace("ARG", repr(arg))
    code = code.replace("EXAMPLE", repr(str(ROOT / "examples" / "KEN")))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)  # fmt: skip


def timed(phase: str, lake: Path, arg: str = "") -> float:
    proc = child(phase, lake, arg)
    assert proc.stdout.readline().strip() == "READY"
    started = time.perf_counter()
    assert proc.stdout.readline().strip() == "DONE", f"{phase} failed without a kill"
    proc.wait()
    return time.perf_counter() - started


def kill_during(phase: str, lake: Path, duration: float, arg: str = "") -> float:
    proc = child(phase, lake, arg)
    assert proc.stdout.readline().strip() == "READY"
    delay = random.uniform(0, duration)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return delay


def prepared_lake(workdir: Path):
    """A lake with KEN accepted and one computed run (for the harmonise and publish phases)."""
    from attacks import submit

    from inventory.engine import run
    from inventory.lake import releases
    from inventory.lake.zones import Lake, new_id

    lake = Lake.at(workdir / "lake")
    submit(lake, ROOT / "examples" / "KEN")
    params = run.RunParameters(countries=["KEN"], mc_draws=200)
    result = run.compute_country(lake, "KEN", params)
    first = new_id("run")
    releases.write_run(
        lake, first, run.combine([result.tables]), run.run_manifest(params, [result])
    )
    releases.publish_run(lake, first)
    return lake, params, result


def new_run(lake, params, result) -> str:
    from inventory.engine import run
    from inventory.lake import releases
    from inventory.lake.zones import new_id

    run_id = new_id("run")
    releases.write_run(
        lake, run_id, run.combine([result.tables]), run.run_manifest(params, [result])
    )
    return run_id


def campaign(kills: int) -> dict:
    from consistency import problems

    from inventory.intake.submission import receive_submission
    from inventory.lake import releases

    workdir = Path(tempfile.mkdtemp(prefix="kill9-"))
    lake, params, result = prepared_lake(workdir)
    report: dict = {}
    for phase in ("submit", "harmonise", "publish"):
        stats = {"kills": 0, "intact": 0, "recovered": 0, "delays_s": []}
        arg = lambda: ""  # noqa: E731
        if phase == "harmonise":
            arg = lambda: receive_submission(ROOT / "examples" / "KEN", lake).submission_id  # noqa: E731
        if phase == "publish":
            arg = lambda: new_run(lake, params, result)  # noqa: E731
        duration = timed(phase, lake.root, arg())
        for _ in range(kills):
            target = arg()
            stats["delays_s"].append(round(kill_during(phase, lake.root, duration, target), 3))
            stats["kills"] += 1
            found = problems(lake.root)
            stats["intact"] += not found
            if found:
                print(phase, "INCONSISTENT:", found[:5], flush=True)
            if phase == "publish":
                releases.publish_run(lake, target)  # idempotent: completes or returns the release
            elif phase == "harmonise":
                timed("harmonise", lake.root, target)  # reprocess the interrupted submission
            stats["recovered"] += not problems(lake.root)
        stats["duration_s"] = round(duration, 3)
        report[phase] = stats
        print(phase, {k: v for k, v in stats.items() if k != "delays_s"}, flush=True)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "kill9.json")
    args = parser.parse_args()
    outcome = campaign(args.kills)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(outcome, indent=2))
