"""Sign-in throttles, forwarded addresses, session caps and HTTP hygiene (issue 22 items 12, 13).

Each attack is reproduced first: a guess of a real token's secret per request (one scrypt each),
``X-Forwarded-For`` from any client resetting the address limit, one contact point's sign-ins
evicting everyone else, a static file without ``nosniff``, a redirect to the ``Host`` header's
site, a request with both ``Content-Length`` and ``Transfer-Encoding`` answered on a kept
connection, a slowloris client never disconnected. The HTTP tests run the project's uvicorn
configuration (:func:`inventory.interfaces.http_guard.server_config`) on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time

import pydantic
import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from test_api import start_in_thread

from inventory.core.settings import Settings
from inventory.interfaces import api, http_guard
from inventory.interfaces.portal import security
from inventory.lake import tokens

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture()
def site(tmp_path):
    lake = tmp_path / "lake"
    store = tokens.store_path(lake)
    keys = {c: tokens.create_token(store, c) for c in ("KEN", "URY")}
    app = api.create_app(lake, upload_dir=tmp_path)

    @app.get("/v1/boom")
    def boom() -> None:
        raise KeyError("a bug")

    return {"app": app, "lake": lake, "keys": keys, "store": store}


def browser(app, address: str = "203.0.113.5") -> TestClient:
    return TestClient(app, client=(address, 50000), raise_server_exceptions=False,
                      follow_redirects=False)  # fmt: skip


def try_sign_in(client: TestClient, token: str, **headers: str):
    csrf = CSRF_RE.search(client.get("/portal/signin").text).group(1)
    return client.post("/portal/signin", data={"token": token, "csrf_token": csrf},
                       headers=headers)  # fmt: skip


def wrong_secret(token: str) -> str:
    """The same token id with another (well-formed) secret."""
    prefix, token_id, _secret = token.split("_", 2)
    return f"{prefix}_{token_id}_{'x' * 43}"


# ---------------------------------------------------------------------------- item 12
def test_the_backoff_doubles_and_is_bounded():
    throttle = security.Throttle("t", free=5, window_s=900, base_s=1.0, max_backoff_s=300.0)
    # 4 failures: free; the 5th onwards waits 1 * 2**(n - 5) s, at most 300 s
    assert [throttle.wait_after(n) for n in (0, 4, 5, 6, 7, 13)] == [0, 0, 1, 2, 4, 256]
    assert throttle.wait_after(14) == 300  # 2**9 = 512 > 300
    assert throttle.wait_after(10_000) == 300
    assert security.TOKEN_THROTTLE.free == 5 and security.ADDRESS_THROTTLE.free == 10
    assert security.BACKOFF_MAX_S == 300


def test_wrong_secrets_for_a_real_token_id_are_throttled_before_scrypt(site, monkeypatch):
    calls = []
    identify = tokens.identify
    monkeypatch.setattr(tokens, "identify", lambda *a: calls.append(1) or identify(*a))
    key = site["keys"]["KEN"]
    # each guess from another address: the per-address limit alone would never stop them
    for n in range(5):
        answer = try_sign_in(browser(site["app"], f"198.51.100.{n}"), wrong_secret(key))
        assert answer.status_code == 401
    assert len(calls) == 5
    # the 6th guess, from a 6th address: 429 after 1 s (1 * 2**0), and no scrypt for it
    answer = try_sign_in(browser(site["app"], "198.51.100.77"), wrong_secret(key))
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    assert "with this token" in answer.text and len(calls) == 5
    # even the right secret waits out the backoff (it cannot be told apart without scrypt)
    assert try_sign_in(browser(site["app"]), key).status_code == 429
    time.sleep(1.1)
    assert try_sign_in(browser(site["app"]), key).status_code == 303  # and clears the count
    assert site["app"].state.portal.signin_limiter.retry_after(
        security.TOKEN_THROTTLE, tokens.token_id_of(key)) == 0  # fmt: skip


def _fake_request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_addresses_count_only_from_trusted_proxies():
    proxies = [ipaddress.ip_network("10.0.0.0/8")]
    address = security.client_address
    assert address(_fake_request("203.0.113.5", "1.2.3.4"), []) == "203.0.113.5"
    assert address(_fake_request("203.0.113.5", "1.2.3.4"), proxies) == "203.0.113.5"
    assert address(_fake_request("10.0.0.2", "1.2.3.4, 203.0.113.9"), proxies) == "203.0.113.9"
    # the right-most hop that is not a trusted proxy: what the nearest proxy saw
    assert address(_fake_request("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.3"),
                   proxies) == "203.0.113.9"  # fmt: skip
    assert address(_fake_request("10.0.0.2"), proxies) == "10.0.0.2"
    assert address(_fake_request("2001:db8::1"), []) == "2001:db8::/64"  # a /64 is one client


def test_trusted_proxies_setting_is_parsed_and_checked(monkeypatch):
    monkeypatch.setenv("SOILC_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    assert Settings().trusted_proxy_networks == [ipaddress.ip_network("127.0.0.1/32"),
                                                 ipaddress.ip_network("10.0.0.0/8")]  # fmt: skip
    monkeypatch.setenv("SOILC_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxy_networks == []
    monkeypatch.setenv("SOILC_TRUSTED_PROXIES", "proxy.example")
    with pytest.raises(pydantic.ValidationError, match="SOILC_TRUSTED_PROXIES"):
        Settings()


def test_x_forwarded_for_from_an_untrusted_client_does_not_reset_its_limit(site):
    client = browser(site["app"], "203.0.113.5")
    for n in range(10):  # 10 free failures per address, each another token id and spoofed hop
        bogus = f"soc_{n:08x}_{'x' * 43}"
        answer = try_sign_in(client, bogus, **{"X-Forwarded-For": f"192.0.2.{n}"})
        assert answer.status_code == 401
    answer = try_sign_in(client, site["keys"]["KEN"], **{"X-Forwarded-For": "192.0.2.200"})
    assert answer.status_code == 429 and "from your address" in answer.text


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(site):
    site["app"].state.portal.trusted_proxies = [ipaddress.ip_network("10.0.0.0/8")]
    proxy = browser(site["app"], "10.0.0.2")
    for n in range(10):
        bogus = f"soc_{n:08x}_{'x' * 43}"
        assert try_sign_in(proxy, bogus, **{"X-Forwarded-For": "203.0.113.7"}).status_code == 401
    mallory = try_sign_in(proxy, site["keys"]["URY"], **{"X-Forwarded-For": "203.0.113.7"})
    assert mallory.status_code == 429
    other = try_sign_in(proxy, site["keys"]["KEN"], **{"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 303


def test_one_token_signing_in_repeatedly_ends_only_its_own_oldest_sessions(site):
    ury = browser(site["app"], "203.0.113.20")
    assert try_sign_in(ury, site["keys"]["URY"]).status_code == 303
    kenyans = []
    for n in range(security.MAX_SESSIONS_PER_TOKEN + 2):  # 7 sign-ins with one token
        client = browser(site["app"], f"203.0.113.{30 + n}")
        assert try_sign_in(client, site["keys"]["KEN"]).status_code == 303
        kenyans.append(client)
    # the token keeps its 5 newest sessions: the 2 oldest are signed out, URY's is not
    states = [c.get("/portal/c/KEN").status_code for c in kenyans]
    assert states == [303, 303, 200, 200, 200, 200, 200]
    assert ury.get("/portal/c/URY").status_code == 200
    sessions = site["app"].state.portal.sessions
    assert len(sessions.of_token(tokens.token_id_of(site["keys"]["KEN"]))) == 5


# ---------------------------------------------------------------------------- item 13
def test_every_response_carries_the_security_headers(site):
    client = browser(site["app"])
    answers = {
        "static": client.get("/portal/static/portal.css"),
        "json": client.get("/v1/health"),
        "api 404": client.get("/v1/nothing"),
        "portal 404": client.get("/portal/nothing"),
        "401": client.get("/v1/submissions"),
        "500": client.get("/v1/boom"),
        "redirect": client.get("/portal"),
    }
    assert answers["static"].status_code == 200 and answers["500"].status_code == 500
    for name, answer in answers.items():
        assert answer.headers.get("x-frame-options") == "DENY", name
        assert answer.headers.get("x-content-type-options") == "nosniff", name
        assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), name
    assert client.get("/docs").headers.get("x-content-type-options") == "nosniff"


def test_a_redirect_never_follows_the_host_header_elsewhere(site):
    client = browser(site["app"])
    answer = client.get("/v1/submissions/", headers={"Host": "evil.example"})
    assert answer.status_code == 307 and answer.headers["location"] == "/v1/submissions"
    assert "evil" not in answer.headers["location"]


@pytest.mark.parametrize(("location", "safe"), [
    ("http://evil.example/v1/submissions", "/v1/submissions"),
    ("https://evil.example/a?b=1#frag", "/a?b=1#frag"),
    ("/portal/c/KEN/upload#files", "/portal/c/KEN/upload#files"),
    ("//evil.example/x", "/x"),  # protocol-relative: another site, kept to its path
    ("http://testserver//evil.example/", "/evil.example/"),  # a path of two slashes
    ("/\\evil.example", "/evil.example"),
    ("/\t/evil.example", "/"),  # a browser drops the tab: //evil.example
    ("/portal/signin", "/portal/signin"),
    ("report.csv", "report.csv"),
])  # fmt: skip
def test_redirect_targets_are_paths_on_this_site(location, safe):
    assert http_guard.safe_location(location) == safe


class ShortTimeouts(http_guard.GuardedH11Protocol):
    header_timeout_s = 1.0
    body_idle_timeout_s = 1.0


@pytest.fixture()
def served(site):
    """The app under the project's uvicorn configuration, short timeouts, on 127.0.0.1."""
    config = http_guard.server_config(site["app"], "127.0.0.1", 0, protocol=ShortTimeouts,
                                      log_level="warning", lifespan="off")  # fmt: skip
    server, thread, base = start_in_thread(site["app"], config)
    yield int(base.rsplit(":", 1)[1])
    server.should_exit = True
    thread.join(timeout=10)


def connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    return conn


def read_until_closed(conn: socket.socket, limit_s: float = 5.0) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or ``limit_s`` passes (False)."""
    data, deadline = b"", time.monotonic() + limit_s
    conn.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def test_the_server_configuration_bounds_slow_clients_and_trusts_no_proxy_by_default():
    config = http_guard.server_config("inventory.interfaces.api:app_from_env", "127.0.0.1", 8000,
                                      factory=True, trusted_proxies=[])  # fmt: skip
    assert config.timeout_keep_alive == 5 and config.h11_max_incomplete_event_size == 16384
    assert config.http is http_guard.GuardedH11Protocol and config.proxy_headers is False
    assert http_guard.HEADER_TIMEOUT_S == 10 and http_guard.BODY_IDLE_TIMEOUT_S == 30
    proxied = http_guard.server_config("x:y", "127.0.0.1", 8000, trusted_proxies=["10.0.0.0/8"])
    assert proxied.proxy_headers is True and proxied.forwarded_allow_ips == ["10.0.0.0/8"]


def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(served):
    conn = connect(served)
    conn.sendall(b"POST /v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                 b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # fmt: skip
    data, closed = read_until_closed(conn)
    assert data.startswith(b"HTTP/1.1 400 ") and closed
    assert data.count(b"HTTP/1.1 ") == 1  # the smuggled second request is never answered
    assert b"not both" in data
    conn.close()
    # an ordinary request on a new connection is answered and the connection kept open
    conn = connect(served)
    conn.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data, closed = read_until_closed(conn, limit_s=0.5)
    assert data.startswith(b"HTTP/1.1 200 ") and not closed
    conn.close()


def test_a_slowloris_client_is_disconnected_within_the_header_timeout(served):
    conn = connect(served)
    start = time.monotonic()
    conn.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed = False
    for n in range(50):  # one header line every 0.1 s, for at most 5 s
        try:
            conn.sendall(f"X-Slow-{n}: y\r\n".encode())
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        conn.settimeout(0.1)
        try:
            if conn.recv(1024) == b"":
                closed = True
                break
        except TimeoutError:
            pass
    elapsed = time.monotonic() - start
    assert closed and 0.9 <= elapsed < 2.5  # header timeout 1 s (+ scheduling slack)
    conn.close()


def test_a_silent_connection_and_a_stalled_body_are_closed(served):
    silent = connect(served)
    start = time.monotonic()
    _data, closed = read_until_closed(silent)
    assert closed and time.monotonic() - start < 2.5
    stalled = connect(served)
    form = b"Content-Type: application/x-www-form-urlencoded\r\n"
    stalled.sendall(b"POST /portal/signin HTTP/1.1\r\nHost: 127.0.0.1\r\n" + form
                    + b"Content-Length: 100\r\n\r\nab")  # fmt: skip
    start = time.monotonic()
    _data, closed = read_until_closed(stalled)
    assert closed and time.monotonic() - start < 2.5  # body idle timeout 1 s
