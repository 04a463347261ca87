"""Portal sessions, CSRF tokens, sign-in rate limits and security headers.

Sessions live in server memory (one process serves the portal; a restart signs everyone out):
the cookie holds only a random 256-bit session id, ``HttpOnly``, ``SameSite=Strict``,
``Path=/portal`` and ``Secure`` whenever the request came over TLS (``https``; behind a TLS
proxy run uvicorn with ``--proxy-headers``). Sessions end after :data:`IDLE_TIMEOUT_S`
without a request, after :data:`MAX_AGE_S` in any case, on sign-out, and as soon as their
token is revoked.

CSRF: every form carries the session's token (synchronizer pattern), compared in constant time;
the sign-in form, shown before there is a session, carries an HMAC of a random pre-session
cookie (double submit). Multipart upload forms carry a one-time form id in their ``action`` URL,
checked before a byte of the body is read.

Headers on every portal response: a Content-Security-Policy without inline scripts (no scripts
at all: ``default-src 'none'``), ``frame-ancestors 'none'``, ``nosniff``, ``same-origin``
referrer policy, and ``no-store`` caching of authenticated pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "soc_portal_session"
PRESESSION_COOKIE = "soc_portal_presession"
COOKIE_PATH = "/portal"
IDLE_TIMEOUT_S = 2 * 3600
MAX_AGE_S = 12 * 3600
MAX_SESSIONS = 10_000
MAX_FORM_IDS = 20  # open upload forms per session
# Failed sign-ins per client address and window; then every sign-in from it waits (429).
SIGNIN_LIMIT, SIGNIN_WINDOW_S = 10, 300
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Session:
    """A signed-in user: the token's public id, role and country (None for compilers)."""

    session_id: str
    token_id: str
    role: str
    country: str | None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    created: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    form_ids: deque = field(default_factory=lambda: deque(maxlen=MAX_FORM_IDS))
    draft: dict[str, Any] | None = None  # manifest form of a multi-file upload

    def expired(self, now: float) -> bool:
        return now - self.seen > IDLE_TIMEOUT_S or now - self.created > MAX_AGE_S

    def new_form_id(self) -> str:
        form_id = secrets.token_urlsafe(24)
        self.form_ids.append(form_id)
        return form_id

    def use_form_id(self, form_id: str) -> bool:
        """Consume a one-time form id (True when it was issued to this session and unused)."""
        for issued in list(self.form_ids):
            if hmac.compare_digest(issued, form_id):
                self.form_ids.remove(issued)
                return True
        return False


class SessionStore:
    """Sessions by id, in memory, thread-safe; expired ones are dropped when met."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.secret = secrets.token_bytes(32)  # keys the pre-session CSRF HMAC

    def create(self, token_id: str, role: str, country: str | None) -> Session:
        session = Session(secrets.token_urlsafe(32), token_id, role, country)
        with self._lock:
            self._prune(time.monotonic())
            if len(self._sessions) >= MAX_SESSIONS:  # evict the least recently seen
                del self._sessions[min(self._sessions.values(), key=lambda s: s.seen).session_id]
            self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.expired(now):
                self._sessions.pop(session_id, None)
                return None
            session.seen = now
            return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def drop_token(self, token_id: str) -> None:
        """End every session signed in with ``token_id`` (the token was revoked)."""
        with self._lock:
            for sid in [s.session_id for s in self._sessions.values() if s.token_id == token_id]:
                del self._sessions[sid]

    def _prune(self, now: float) -> None:
        for sid in [s.session_id for s in self._sessions.values() if s.expired(now)]:
            del self._sessions[sid]

    # ------------------------------------------------------------------ pre-session CSRF
    def presession_token(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()

    def check_presession(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.presession_token(nonce), token)


def check_csrf(session: Session, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, str(token))


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per key (sliding window)."""

    def __init__(self, limit: int = SIGNIN_LIMIT, window_s: float = SIGNIN_WINDOW_S):
        self.limit, self.window_s = limit, window_s
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > self.window_s:
            events.popleft()
        return events

    def retry_after(self, key: str) -> float:
        """0 while ``key`` is under its limit, else the seconds until it is again."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(key, now)
            return self.window_s - (now - events[0]) if len(events) >= self.limit else 0.0

    def record(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._events) > MAX_SESSIONS:  # forget addresses with no recent event
                for idle in [k for k, v in self._events.items() if not self._recent(k, now)]:
                    del self._events[idle]


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
