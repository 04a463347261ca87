"""The portal's state on disk: sessions, CSRF form ids, sign-in failures and background jobs.

One SQLite file in the lake, ``<lake>/portal/state.sqlite`` (:func:`state_path`), in WAL mode,
shared by every server process reading that lake: a restart signs no one out and loses no job's
outcome, and several uvicorn workers (or several servers behind one proxy) see the same sessions,
CSRF form ids, sign-in throttles and jobs. Times are wall-clock seconds (``time.time()``), the
only clock two processes share.

Schema (version :data:`SCHEMA_VERSION`, in ``meta``):

* ``meta(key, value)``: the schema version and the pre-session CSRF secret (random, 32 bytes);
* ``sessions``: one row per signed-in session (id, token id, role, country, CSRF token,
  created and last-seen times, open upload form ids, the upload form's draft); a row is deleted
  on sign-out, revocation, expiry (idle or maximum age) or eviction;
* ``failures(key, at)``: failed sign-ins per throttle key (``addr:...`` or ``token:...``),
  forgotten after the longest throttle window;
* ``jobs``: uploads and runs the portal follows, their state and outcome as JSON; the newest
  :data:`MAX_JOBS` are kept.

Every statement runs under a per-process lock on one connection (``check_same_thread=False``);
across processes SQLite's own locking serialises writers (``BEGIN IMMEDIATE``, busy timeout
:data:`BUSY_TIMEOUT_S`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # a writer waits this long for another process's transaction
MAX_JOBS = 500  # jobs kept, oldest deleted first
MEMORY = ":memory:"  # a store for one process only (tests, a registry without a lake)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, token_id TEXT NOT NULL, role TEXT NOT NULL, country TEXT,
    csrf TEXT NOT NULL, created REAL NOT NULL, seen REAL NOT NULL,
    form_ids TEXT NOT NULL DEFAULT '[]', draft TEXT);
CREATE INDEX IF NOT EXISTS sessions_by_token ON sessions (token_id, created);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures (key, at);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, country TEXT, created REAL NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (kind, created);
"""


def state_path(lake_root: str | Path) -> Path:
    """``<lake>/portal/state.sqlite``: the portal state of the lake at ``lake_root``."""
    return Path(lake_root) / "portal" / "state.sqlite"


class StateStore:
    """The portal's SQLite state file (or :data:`MEMORY`), opened once per process."""

    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = str(path)
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)  # fmt: skip
        self._db.row_factory = sqlite3.Row
        if self.path != MEMORY:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)  # idempotent (IF NOT EXISTS); commits on its own
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                       (str(SCHEMA_VERSION),))  # fmt: skip
            db.execute("INSERT OR IGNORE INTO meta VALUES ('presession_secret', ?)",
                       (secrets.token_hex(32),))  # fmt: skip

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): other processes' writers wait."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def meta(self, key: str) -> str:
        return str(self.query("SELECT value FROM meta WHERE key = ?", (key,))[0]["value"])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------------ jobs
    def save_job(self, job_id: str, kind: str, country: str | None, body: dict) -> None:
        """Insert or replace a job's record; the oldest beyond :data:`MAX_JOBS` are deleted."""
        with self.transaction() as db:
            created = db.execute("SELECT created FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
                       (job_id, kind, country, created[0] if created else time.time(),
                        json.dumps(body, default=str)))  # fmt: skip
            if not created:
                db.execute("DELETE FROM jobs WHERE job_id NOT IN (SELECT job_id FROM jobs "
                           "ORDER BY created DESC LIMIT ?)", (MAX_JOBS,))  # fmt: skip

    def load_job(self, job_id: str) -> dict | None:
        rows = self.query("SELECT body FROM jobs WHERE job_id = ?", (job_id,))
        return json.loads(rows[0]["body"]) if rows else None

    def jobs_of_kind(self, kind: str, limit: int) -> list[dict]:
        """The newest ``limit`` jobs of ``kind``, newest first."""
        rows = self.query("SELECT body FROM jobs WHERE kind = ? ORDER BY created DESC, rowid DESC "
                          "LIMIT ?", (kind, limit))  # fmt: skip
        return [json.loads(r["body"]) for r in rows]
