"""Portal sessions, CSRF tokens, sign-in throttles and security headers.

Sessions live in the portal's state store (:mod:`.store`, ``<lake>/portal/state.sqlite``):
every server process of the lake sees them and a restart keeps them. The cookie holds only a
random 256-bit session id, ``HttpOnly``, ``SameSite=Strict``, ``Path=/portal`` and ``Secure``
whenever the request came over TLS (``https``; behind a TLS proxy listed in
``SOILC_TRUSTED_PROXIES``). Sessions end after :data:`IDLE_TIMEOUT_S` without a request, after
:data:`MAX_AGE_S` in any case, on sign-out, as soon as their token is revoked, and when their
token signs in a :data:`MAX_SESSIONS_PER_TOKEN` + 1-th time (its oldest session ends).

Failed sign-ins are throttled per client address and per token id (:class:`Throttle`, counted
in the state store): a real token id's secret is not hashed again while it is throttled.

CSRF: every form carries the session's token (synchronizer pattern), compared in constant time;
the sign-in form, shown before there is a session, carries an HMAC of a random pre-session
cookie (double submit). Multipart upload forms carry a one-time form id in their ``action`` URL,
checked before a byte of the body is read.

Headers on every response (set by :class:`~inventory.interfaces.http_guard.GuardMiddleware`):
a Content-Security-Policy without inline scripts (no scripts at all: ``default-src 'none'``),
``frame-ancestors 'none'``, ``nosniff``, ``same-origin`` referrer policy; ``no-store`` caching of
authenticated pages.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from inventory.core.settings import IPNetwork
from inventory.interfaces.portal.store import StateStore

SESSION_COOKIE = "soc_portal_session"
PRESESSION_COOKIE = "soc_portal_presession"
COOKIE_PATH = "/portal"
IDLE_TIMEOUT_S = 2 * 3600
MAX_AGE_S = 12 * 3600
MAX_SESSIONS = 10_000
MAX_SESSIONS_PER_TOKEN = 5  # a new sign-in ends the token's oldest session beyond these
MAX_FORM_IDS = 20  # open upload forms per session
# Sign-in throttles (:class:`Throttle`): failures that cost nothing per client address and per
# token id, within their windows [s]; then a backoff doubling from BACKOFF_BASE_S up to
# BACKOFF_MAX_S after each failure (answered 429 with Retry-After).
ADDRESS_FREE_FAILURES, SIGNIN_WINDOW_S = 10, 300
TOKEN_FREE_FAILURES, TOKEN_WINDOW_S = 5, 900
BACKOFF_BASE_S, BACKOFF_MAX_S = 1.0, 300.0
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Session:
    """A signed-in user: the token's public id, role and country (None for compilers).

    A row of the state store's ``sessions`` table; the upload form ids and the draft are
    written through to it, so every server process sees them.
    """

    def __init__(self, store: StateStore, row: Mapping[str, Any]) -> None:
        self._store = store
        self.session_id: str = row["session_id"]
        self.token_id: str = row["token_id"]
        self.role: str = row["role"]
        self.country: str | None = row["country"]
        self.csrf: str = row["csrf"]
        self.created: float = row["created"]  # wall clock [s since the epoch]
        self.seen: float = row["seen"]
        self._draft: dict[str, Any] | None = json.loads(row["draft"]) if row["draft"] else None

    def expired(self, now: float) -> bool:
        return now - self.seen > IDLE_TIMEOUT_S or now - self.created > MAX_AGE_S

    @property
    def draft(self) -> dict[str, Any] | None:
        """The manifest form of a multi-file upload, kept with the session."""
        return self._draft

    @draft.setter
    def draft(self, value: dict[str, Any] | None) -> None:
        self._draft = value
        stored = json.dumps(value) if value is not None else None
        with self._store.transaction() as db:
            db.execute("UPDATE sessions SET draft = ? WHERE session_id = ?",
                       (stored, self.session_id))  # fmt: skip

    def new_form_id(self) -> str:
        """A one-time upload form id; the session keeps its newest :data:`MAX_FORM_IDS`."""
        form_id = secrets.token_urlsafe(24)
        with self._store.transaction() as db:
            row = db.execute("SELECT form_ids FROM sessions WHERE session_id = ?",
                             (self.session_id,)).fetchone()  # fmt: skip
            issued = [*json.loads(row[0]), form_id][-MAX_FORM_IDS:] if row else [form_id]
            db.execute("UPDATE sessions SET form_ids = ? WHERE session_id = ?",
                       (json.dumps(issued), self.session_id))  # fmt: skip
        return form_id

    def use_form_id(self, form_id: str) -> bool:
        """Consume a one-time form id (True when it was issued to this session and unused)."""
        with self._store.transaction() as db:
            row = db.execute("SELECT form_ids FROM sessions WHERE session_id = ?",
                             (self.session_id,)).fetchone()  # fmt: skip
            issued = json.loads(row[0]) if row else []
            match = next((f for f in issued if hmac.compare_digest(f, str(form_id))), None)
            if match is None:
                return False
            issued.remove(match)
            db.execute("UPDATE sessions SET form_ids = ? WHERE session_id = ?",
                       (json.dumps(issued), self.session_id))  # fmt: skip
        return True


class SessionStore:
    """Sessions in the state store, shared by every process of the lake; expired ones are
    dropped when met. A token has at most :data:`MAX_SESSIONS_PER_TOKEN` sessions (a new one
    ends that token's oldest, never another token's)."""

    def __init__(self, store: StateStore | None = None) -> None:
        self.store = store or StateStore()
        self.secret = bytes.fromhex(self.store.meta("presession_secret"))  # pre-session HMAC key

    def create(self, token_id: str, role: str, country: str | None) -> Session:
        now = time.time()
        row = {"session_id": secrets.token_urlsafe(32), "token_id": token_id, "role": role,
               "country": country, "csrf": secrets.token_urlsafe(32), "created": now,
               "seen": now, "draft": None}  # fmt: skip
        with self.store.transaction() as db:
            self._prune(db, now)
            db.execute("DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM sessions "
                       "WHERE token_id = ? ORDER BY created DESC LIMIT -1 OFFSET ?)",
                       (token_id, MAX_SESSIONS_PER_TOKEN - 1))  # fmt: skip
            if db.execute("SELECT count(*) FROM sessions").fetchone()[0] >= MAX_SESSIONS:
                # the least recently seen session of all ends (reached only with many tokens)
                db.execute("DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM "
                           "sessions ORDER BY seen LIMIT 1)")  # fmt: skip
            db.execute("INSERT INTO sessions (session_id, token_id, role, country, csrf, created, "
                       "seen) VALUES (:session_id, :token_id, :role, :country, :csrf, :created, "
                       ":seen)", row)  # fmt: skip
        return Session(self.store, row)

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.time()
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM sessions WHERE session_id = ?",
                             (session_id,)).fetchone()  # fmt: skip
            if row is None:
                return None
            session = Session(self.store, row)
            if session.expired(now):
                db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
                return None
            db.execute("UPDATE sessions SET seen = ? WHERE session_id = ?", (now, session_id))
        session.seen = now
        return session

    def drop(self, session_id: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))

    def drop_token(self, token_id: str) -> None:
        """End every session signed in with ``token_id`` (the token was revoked)."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_id = ?", (token_id,))

    def of_token(self, token_id: str) -> list[str]:
        """The ids of ``token_id``'s sessions, oldest first."""
        rows = self.store.query("SELECT session_id FROM sessions WHERE token_id = ? "
                                "ORDER BY created", (token_id,))  # fmt: skip
        return [r["session_id"] for r in rows]

    @staticmethod
    def _prune(db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM sessions WHERE ? - seen > ? OR ? - created > ?",
                   (now, IDLE_TIMEOUT_S, now, MAX_AGE_S))  # fmt: skip

    # ------------------------------------------------------------------ pre-session CSRF
    def presession_token(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()

    def check_presession(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.presession_token(nonce), token)


def check_csrf(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, str(token))


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins of one kind of key (an address, a token id), with a bounded backoff.

    The first ``free`` failures within ``window_s`` cost nothing; from then on each attempt
    waits ``min(base_s * 2**k, max_backoff_s)`` seconds after the latest failure, ``k`` being
    the failures beyond ``free`` (0 for the first). Failures older than ``window_s`` are
    forgotten, so no key waits longer than ``max_backoff_s`` after its last failure.
    """

    prefix: str
    free: int
    window_s: float
    base_s: float = BACKOFF_BASE_S
    max_backoff_s: float = BACKOFF_MAX_S

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after the latest of ``failures`` failures [s]."""
        if failures < self.free:
            return 0.0
        return min(self.base_s * 2.0 ** min(failures - self.free, 60), self.max_backoff_s)


ADDRESS_THROTTLE = Throttle("addr", free=ADDRESS_FREE_FAILURES, window_s=SIGNIN_WINDOW_S)
TOKEN_THROTTLE = Throttle("token", free=TOKEN_FREE_FAILURES, window_s=TOKEN_WINDOW_S)


class RateLimiter:
    """Failed sign-ins per key in the state store (every process counts them together)."""

    def __init__(self, store: StateStore | None = None) -> None:
        self.store = store or StateStore()

    def retry_after(self, throttle: Throttle, key: str) -> float:
        """0 while ``key`` may try again, else the seconds until it may [s]."""
        now = time.time()
        since = now - throttle.window_s
        row = self.store.query("SELECT count(*), max(at) FROM failures WHERE key = ? AND at > ?",
                               (f"{throttle.prefix}:{key}", since))[0]  # fmt: skip
        if not row[0]:
            return 0.0
        return max(0.0, row[1] + throttle.wait_after(row[0]) - now)

    def record(self, throttle: Throttle, key: str) -> None:
        now = time.time()
        longest = max(ADDRESS_THROTTLE.window_s, TOKEN_THROTTLE.window_s, throttle.window_s)
        with self.store.transaction() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (now - longest,))
            db.execute("INSERT INTO failures VALUES (?, ?)", (f"{throttle.prefix}:{key}", now))

    def clear(self, throttle: Throttle, key: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM failures WHERE key = ?", (f"{throttle.prefix}:{key}",))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: Request, trusted: Sequence[IPNetwork]) -> str:
    """The client's address for throttling: the peer's, unless the peer is a trusted proxy
    (``SOILC_TRUSTED_PROXIES``); then the right-most ``X-Forwarded-For`` hop that is not a
    trusted proxy (what the nearest trusted proxy saw). An IPv6 client counts as its /64."""
    peer = request.client.host if request.client else "unknown"

    def is_trusted(host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in net for net in trusted)

    client = peer
    if is_trusted(peer):
        hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
        hops = [h for h in hops if h]
        client = next((h for h in reversed(hops) if not is_trusted(h)), hops[0] if hops else peer)
    address = _address(client)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else (
        str(address) if address is not None else client[:100])  # fmt: skip


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=MAX_AGE_S, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=is_tls(request))  # fmt: skip


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=is_tls(request))  # fmt: skip


def add_security_headers(response: Response, *, private: bool) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if private:
        response.headers["Cache-Control"] = "no-store"
