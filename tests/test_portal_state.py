"""Portal state that survives (issue 25): sessions, CSRF, throttles and jobs in
``<lake>/portal/state.sqlite``, shared by two server processes on one lake and kept over a
restart of both (real uvicorn processes on 127.0.0.1, ``portal_server.py``)."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_api import package_files, zip_bytes

from inventory.interfaces.portal import jobs, security
from inventory.interfaces.portal.store import StateStore, state_path
from inventory.lake import tokens

HERE = Path(__file__).resolve().parent
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_RE = re.compile(r'upload\?form=([A-Za-z0-9_-]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(lake: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(HERE / "portal_server.py"), str(lake),
                                str(port)], cwd=HERE, env={**os.environ})  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "the portal server process ended"
        assert time.monotonic() < deadline, "the portal server did not start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


@pytest.fixture()
def lake(tmp_path):
    lake = tmp_path / "lake"
    keys = {c: tokens.create_token(tokens.store_path(lake), c) for c in ("KEN",)}
    return lake, keys


def test_two_processes_share_sessions_csrf_jobs_and_throttles_and_a_restart_keeps_them(lake):
    root, keys = lake
    a, b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{a}", f"http://127.0.0.1:{b}"
    servers = [start_server(root, a), start_server(root, b)]
    try:
        browser = httpx.Client(timeout=30)
        # the sign-in form of A (its pre-session CSRF) is accepted by B
        csrf = CSRF_RE.search(browser.get(f"{url_a}/portal/signin").text).group(1)
        answer = browser.post(f"{url_b}/portal/signin", data={"token": keys["KEN"],
                              "csrf_token": csrf})  # fmt: skip
        assert answer.status_code == 303 and answer.headers["location"] == "/portal/c/KEN"
        # the session made by B is valid on A and on B
        assert browser.get(f"{url_a}/portal/c/KEN").status_code == 200
        assert browser.get(f"{url_b}/portal/c/KEN").status_code == 200
        # an upload form of B is taken by A; the job A starts is followed on B to its outcome
        form = FORM_RE.search(browser.get(f"{url_b}/portal/c/KEN/upload").text).group(1)
        files = {"package": ("package.zip", zip_bytes(package_files("KEN")), "application/zip")}
        started = browser.post(f"{url_a}/portal/c/KEN/upload?form={form}", files=files)
        assert started.status_code == 303
        job_path = started.headers["location"]
        assert re.fullmatch(r"/portal/c/KEN/uploads/upload-[\w-]+", job_path)
        for _ in range(200):
            page = browser.get(f"{url_b}{job_path}")
            if page.status_code == 303:
                break
            assert page.status_code == 200 and "Checking the package" in page.text
            time.sleep(0.05)
        submission = page.headers["location"]
        assert submission.startswith("/portal/c/KEN/submissions/")
        # failed sign-ins on A count on B: 10 free per address, the 11th waits
        attacker = httpx.Client(timeout=30)
        for n in range(security.ADDRESS_FREE_FAILURES):
            csrf = CSRF_RE.search(attacker.get(f"{url_a}/portal/signin").text).group(1)
            bogus = f"soc_{n:08x}_{'x' * 43}"
            failed = attacker.post(f"{url_a}/portal/signin", data={"token": bogus,
                                  "csrf_token": csrf})  # fmt: skip
            assert failed.status_code == 401
        other = httpx.Client(timeout=30)
        csrf = CSRF_RE.search(other.get(f"{url_b}/portal/signin").text).group(1)
        limited = other.post(f"{url_b}/portal/signin", data={"token": keys["KEN"],
                             "csrf_token": csrf})  # fmt: skip
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        # a restart of both: the session and the upload's outcome are still there
        stop(*servers)
        servers = [start_server(root, a)]
        assert browser.get(f"{url_a}/portal/c/KEN").status_code == 200
        again = browser.get(f"{url_a}{job_path}")
        assert again.status_code == 303 and again.headers["location"] == submission
    finally:
        stop(*servers)
    with sqlite3.connect(state_path(root)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "1",)  # fmt: skip


def test_a_run_outcome_survives_a_restart_and_an_interrupted_job_says_so(tmp_path):
    path = state_path(tmp_path)
    registry = jobs.JobRegistry(StateStore(path))
    done = registry.new("run", parameters={"countries": ["KEN"]})
    done.set_state(jobs.RUNNING)
    done.finish(jobs.COMPLETED, run_id="run-1", release_id="rel-1")
    cut = registry.new("run", parameters={"countries": ["IRL"]})
    cut.set_state(jobs.RUNNING)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    cut.owner = f"{socket.gethostname()}:{int(ended.stdout)}"  # a process that has ended
    cut.save()
    restarted = jobs.JobRegistry(StateStore(path))  # a new process's view of the same file
    kept = restarted.get(done.job_id, "run")
    assert kept is not None and kept.state == jobs.COMPLETED
    assert kept.result == {"run_id": "run-1", "release_id": "rel-1"}
    assert kept.parameters == {"countries": ["KEN"]}
    interrupted = restarted.get(cut.job_id, "run")
    assert interrupted is not None and interrupted.state == jobs.FAILED
    assert interrupted.message == jobs.INTERRUPTED["run"][0]
    assert interrupted.result["action"] == "Start the run again."
    assert [j.job_id for j in restarted.of_kind("run")] == [cut.job_id, done.job_id]
    assert restarted.get(done.job_id, "upload") is None  # a run is not an upload


def test_jobs_beyond_the_limit_are_forgotten_oldest_first(tmp_path, monkeypatch):
    from inventory.interfaces.portal import store

    monkeypatch.setattr(store, "MAX_JOBS", 3)
    registry = jobs.JobRegistry(StateStore(state_path(tmp_path)))
    made = [registry.new("upload", "KEN").job_id for _ in range(5)]
    assert [j.job_id for j in registry.of_kind("upload")] == made[:1:-1]  # the 3 newest
    assert registry.get(made[0], "upload") is None


def test_expired_sessions_end_everywhere(tmp_path, monkeypatch):
    path = state_path(tmp_path)
    one, two = security.SessionStore(StateStore(path)), security.SessionStore(StateStore(path))
    session = one.create("tok1", tokens.CONTACT, "KEN")
    assert two.get(session.session_id).country == "KEN"
    assert one.presession_token("n") == two.presession_token("n")  # one secret for all
    form_id = session.new_form_id()
    assert two.get(session.session_id).use_form_id(form_id) is True
    assert session.use_form_id(form_id) is False  # used once, in any process
    later = time.time() + security.IDLE_TIMEOUT_S + 1
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert two.get(session.session_id) is None and one.get(session.session_id) is None
