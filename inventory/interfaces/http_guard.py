"""HTTP hygiene of the API and the portal: headers, redirects, framing, slow clients, the server.

* :class:`GuardMiddleware` (outermost ASGI middleware of the app) puts the security headers of
  :data:`~inventory.interfaces.portal.security.SECURITY_HEADERS` on EVERY response (pages, JSON,
  static files, errors, redirects; the interactive API docs keep their scripts: no CSP there),
  turns every redirect into a path on this site (a ``Location`` never follows the request's
  ``Host`` header elsewhere), and refuses a request carrying both ``Content-Length`` and
  ``Transfer-Encoding`` with 400 and ``Connection: close`` before reading its body (ambiguous
  framing, the request-smuggling shape: RFC 9112 section 6.3 says close the connection).
* :class:`GuardedH11Protocol` (uvicorn's h11 protocol) closes a connection whose request headers
  do not arrive within :data:`HEADER_TIMEOUT_S` of its start (or of the first byte of the next
  request on a kept-alive connection), or whose body stalls for :data:`BODY_IDLE_TIMEOUT_S`
  while the server is waiting for it: a slowloris client holds a connection for a bounded time.
* :func:`server_config` is the one place the project configures uvicorn (``soc-inventory api``):
  that protocol, keep-alive :data:`KEEP_ALIVE_S`, header size :data:`MAX_HEADER_BYTES`, and
  forwarded headers believed only from ``SOILC_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from inventory.interfaces.portal.security import SECURITY_HEADERS

log = logging.getLogger("inventory.interfaces.http")

HEADER_TIMEOUT_S = 10.0  # request line and headers must arrive within this [s]
BODY_IDLE_TIMEOUT_S = 30.0  # longest pause inside a request body being read [s]
KEEP_ALIVE_S = 5.0  # an idle kept-alive connection is closed after this [s] (uvicorn's default)
MAX_HEADER_BYTES = 16 * 1024  # request line + headers (h11_max_incomplete_event_size) [bytes]
GRACEFUL_SHUTDOWN_S = 30.0  # requests in flight finish within this on SIGTERM [s]
NO_CSP_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})  # FastAPI's script pages
_LEADING_SLASHES = re.compile(r"^[/\\]+")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_location(location: str) -> str:
    """A redirect target on this site: the path, query and fragment of ``location``, whatever
    its scheme and host, never ``//host`` or ``/\\host`` (which browsers read as another site)."""
    cleaned = _CONTROL.sub("", location)
    parts = urlsplit(cleaned)
    if not parts.scheme and not parts.netloc and not cleaned.startswith(("/", "\\")):
        return cleaned  # a relative path below the current one
    path = _LEADING_SLASHES.sub("/", parts.path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query, fragment = f"?{parts.query}" if parts.query else "", f"#{parts.fragment}"
    return path + query + (fragment if parts.fragment else "")


def _safe(location: bytes) -> bytes:
    return safe_location(location.decode("latin-1")).encode("latin-1")


def _refuse_framing(scope: dict) -> bool:
    names = {name.lower() for name, _value in scope.get("headers", [])}
    return b"content-length" in names and b"transfer-encoding" in names


class GuardMiddleware:
    """Security headers on every response, same-site redirects, ambiguous framing refused."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                 if not (path in NO_CSP_PATHS and k == "Content-Security-Policy")]  # fmt: skip

        async def guarded_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                if 300 <= message["status"] < 400:
                    headers = [(k, _safe(v) if k.lower() == b"location" else v)
                               for k, v in headers]  # fmt: skip
                message = {**message, "headers": headers}
            await send(message)

        if _refuse_framing(scope):
            log.warning("refused a request with both Content-Length and Transfer-Encoding")
            body = (b'{"error": "bad_request", "message": "a request may carry Content-Length '
                    b'or Transfer-Encoding, not both"}')  # fmt: skip
            await guarded_send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/json"), (b"connection", b"close"),
                (b"content-length", str(len(body)).encode())]})  # fmt: skip
            await guarded_send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, guarded_send)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers and for a stalled body."""

    header_timeout_s = HEADER_TIMEOUT_S
    body_idle_timeout_s = BODY_IDLE_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._guard: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm(self.header_timeout_s, "request headers")

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._too_slow, seconds, what)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _too_slow(self, seconds: float, what: str) -> None:
        self._guard = None
        if self.flow.read_paused:  # the application is the slow one: wait for it
            self._arm(seconds, what)
            return
        log.info("closed a connection from %s: %s not received within %s s", self.client,
                 what, seconds)  # fmt: skip
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is h11.SEND_BODY:
            self._arm(self.body_idle_timeout_s, "the request body")  # restarted by every chunk
        elif self.conn.their_state is h11.IDLE:
            if self._guard is None:  # the next request's first bytes: its headers are due
                self._arm(self.header_timeout_s, "request headers")
        else:
            self._disarm()  # the whole request is in: the application has it

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def server_config(app: Any, host: str, port: int, *, trusted_proxies: list[str] | None = None,
                  protocol: type[asyncio.Protocol] = GuardedH11Protocol, workers: int | None = None,
                  log_level: str | None = None, **options: Any) -> Any:  # fmt: skip
    """The uvicorn ``Config`` the project serves ``app`` with (an app object, or an import
    string such as ``inventory.interfaces.api:app_from_env`` with ``factory=True`` for several
    worker processes). ``trusted_proxies``: addresses/networks whose forwarded headers are
    believed (default: ``SOILC_TRUSTED_PROXIES``)."""
    import uvicorn

    from inventory.core.settings import get_settings

    if trusted_proxies is None:
        trusted_proxies = [str(n) for n in get_settings().trusted_proxy_networks]
    return uvicorn.Config(
        app, host=host, port=port, http=protocol, workers=workers, log_level=log_level,
        timeout_keep_alive=int(KEEP_ALIVE_S), h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_S), server_header=False,
        proxy_headers=bool(trusted_proxies), forwarded_allow_ips=trusted_proxies or None,
        **options,
    )  # fmt: skip
