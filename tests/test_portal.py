"""The web portal over HTTP (real uvicorn on localhost, httpx): sessions, CSRF, rate limits,
country isolation, uploads with the API's guarantees, reports, downloads, tokens.

The intake flow is replaced by ``test_api.stub_intake`` (files a submission as the flow would);
the real flow and a real run are driven through a browser in ``test_portal_browser.py``.
"""

from __future__ import annotations

import io
import re
import time

import httpx
import openpyxl
import pandas as pd
import pytest
from test_api import (
    BAD_ROWS,
    GOOD_ROWS,
    LAND_AREAS_HEADER,
    package_files,
    raw_entries,
    start_in_thread,
    stub_intake,
    zip_bytes,
)

from inventory.interfaces import api
from inventory.interfaces.portal import security
from inventory.lake import tokens
from inventory.lake.zones import write_json_atomic

MAX_UPLOAD_BYTES = 64 * 1024
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_RE = re.compile(r'upload\?form=([A-Za-z0-9_-]+)"')


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal")
    lake, spool = root / "lake", root / "uploads"
    spool.mkdir()
    store = tokens.store_path(lake)
    keys = {c: tokens.create_token(store, c) for c in ("KEN", "URY", "IRL")}
    keys["compiler"] = tokens.create_token(store, None, role=tokens.COMPILER)
    app = api.create_app(lake, max_upload_bytes=MAX_UPLOAD_BYTES, upload_dir=spool)
    app.state.intake = stub_intake
    server, thread, base = start_in_thread(app)
    yield {"base": base, "keys": keys, "lake": lake, "store": store, "app": app, "spool": spool}
    server.should_exit = True
    thread.join(timeout=10)


def client(portal, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=portal["base"], timeout=60, **kwargs)


def sign_in(portal, who: str, **headers) -> httpx.Client:
    browser = client(portal)
    page = browser.get("/portal/signin", headers=headers)
    csrf = CSRF_RE.search(page.text).group(1)
    answer = browser.post("/portal/signin", data={"token": portal["keys"][who],
                          "csrf_token": csrf}, headers=headers)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return browser


def csrf_of(browser: httpx.Client, path: str) -> str:
    return CSRF_RE.search(browser.get(path).text).group(1)


def upload_zip(browser: httpx.Client, country: str, content: bytes) -> httpx.Response:
    form = FORM_RE.search(browser.get(f"/portal/c/{country}/upload").text).group(1)
    files = {"package": ("package.zip", content, "application/zip")}
    return browser.post(f"/portal/c/{country}/upload?form={form}", files=files)


def follow_job(browser: httpx.Client, response: httpx.Response) -> httpx.Response:
    """Follow an upload's progress page until it redirects to (or shows) the report."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    for _ in range(200):
        page = browser.get(location)
        if page.status_code != 200 or "Checking the package" not in page.text:
            return browser.get(page.headers["location"]) if page.status_code == 303 else page
        time.sleep(0.05)
    raise AssertionError("the upload did not finish")


# ---------------------------------------------------------------------------- sessions
def test_session_cookie_is_httponly_samesite_strict_and_secure_only_over_tls(portal):
    browser = client(portal)
    csrf = CSRF_RE.search(browser.get("/portal/signin").text).group(1)
    answer = browser.post("/portal/signin", data={"token": portal["keys"]["KEN"],
                          "csrf_token": csrf})  # fmt: skip
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith(security.SESSION_COOKIE + "="))  # fmt: skip
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert answer.headers["location"] == "/portal/c/KEN"
    # behind a TLS proxy (uvicorn trusts X-Forwarded-Proto from 127.0.0.1) both cookies are
    # Secure; httpx keeps them off plain http, so the pre-session cookie is sent by hand
    https = {"X-Forwarded-Proto": "https"}
    page = client(portal).get("/portal/signin", headers=https)
    assert "Secure" in page.headers["set-cookie"]
    nonce = page.cookies[security.PRESESSION_COOKIE]
    form = {"token": portal["keys"]["KEN"], "csrf_token": CSRF_RE.search(page.text).group(1)}
    cookie_header = {"Cookie": f"{security.PRESESSION_COOKIE}={nonce}"}
    answer = client(portal).post("/portal/signin", headers={**https, **cookie_header}, data=form)
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith(security.SESSION_COOKIE + "="))  # fmt: skip
    assert answer.status_code == 303 and "; Secure" in cookie and "HttpOnly" in cookie


def test_every_page_has_a_script_free_csp_and_private_pages_are_not_cached(portal):
    browser = sign_in(portal, "KEN")
    for path in ("/portal/signin", "/portal/c/KEN", "/portal/templates", "/portal/c/URY"):
        page = browser.get(path) if path != "/portal/signin" else client(portal).get(path)
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
        assert "frame-ancestors 'none'" in csp and page.headers["x-content-type-options"] == (
            "nosniff")  # fmt: skip
        assert "<script" not in page.text
    assert browser.get("/portal/c/KEN").headers["cache-control"] == "no-store"


def test_forms_without_the_csrf_token_are_refused(portal):
    browser = sign_in(portal, "KEN")
    assert browser.post("/portal/signout", data={"other": "1"}).status_code == 403
    assert browser.post("/portal/signout").status_code == 415  # not even a form
    assert browser.post("/portal/signout", data={"csrf_token": "forged"}).status_code == 403
    assert browser.get("/portal/c/KEN").status_code == 200  # still signed in
    draft = {"contact_name": "A", "csrf_token": "forged"}
    assert browser.post("/portal/c/KEN/upload/manifest", data=draft).status_code == 403
    # sign-in itself: a form without the pre-session cookie's HMAC is refused
    stranger = client(portal)
    answer = stranger.post("/portal/signin", data={"token": portal["keys"]["KEN"],
                           "csrf_token": "0" * 64})  # fmt: skip
    assert answer.status_code == 403 and security.SESSION_COOKIE not in answer.cookies
    signout = browser.post("/portal/signout", data={"csrf_token": csrf_of(browser,
                           "/portal/c/KEN")})  # fmt: skip
    assert signout.status_code == 303 and browser.get("/portal/c/KEN").status_code == 303


def test_sign_in_is_rate_limited_per_address(portal, monkeypatch):
    # 3 free failures, then a 1 s backoff (1 * 2**0) after the third
    monkeypatch.setattr(security, "ADDRESS_THROTTLE", security.Throttle("addr-test", 3, 60))
    browser = client(portal)
    for _ in range(3):
        csrf = CSRF_RE.search(browser.get("/portal/signin").text).group(1)
        bad = browser.post("/portal/signin", data={"token": "soc_00000000_" + "x" * 43,
                           "csrf_token": csrf})  # fmt: skip
        assert bad.status_code == 401 and "unknown or revoked" in bad.text
    csrf = CSRF_RE.search(browser.get("/portal/signin").text).group(1)
    good = browser.post("/portal/signin", data={"token": portal["keys"]["KEN"],
                        "csrf_token": csrf})  # fmt: skip
    assert good.status_code == 429 and int(good.headers["retry-after"]) == 1
    assert security.SESSION_COOKIE not in good.cookies


def test_revoking_a_token_ends_its_sessions(portal):
    extra = tokens.create_token(portal["store"], "KEN")
    portal["keys"]["extra"] = extra
    browser = sign_in(portal, "extra")
    assert browser.get("/portal/c/KEN").status_code == 200
    tokens.revoke_token(portal["store"], tokens.token_id_of(extra))
    answer = browser.get("/portal/c/KEN")
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/signin"


# ---------------------------------------------------------------------------- isolation
OTHER_COUNTRY_URLS = [
    "/portal/c/URY", "/portal/c/URY/upload", "/portal/c/URY/submissions",
    "/portal/c/URY/submissions/sub-x", "/portal/c/URY/submissions/sub-x/report.csv",
    "/portal/c/URY/submissions/sub-x/receipt.json", "/portal/c/URY/results",
    "/portal/c/URY/results/soc_stocks.csv", "/portal/c/URY/submission.yaml",
    "/portal/c/ury/submissions",
]  # fmt: skip


def test_a_contact_point_is_refused_every_page_and_download_of_another_country(portal):
    ury = sign_in(portal, "URY")
    sid = follow_job(ury, upload_zip(ury, "URY", zip_bytes(package_files("URY")))).url.path
    ken = sign_in(portal, "KEN")
    for url in [*OTHER_COUNTRY_URLS, sid, f"{sid}/report.xlsx"]:
        page = ken.get(url)
        assert page.status_code == 403, url
        assert "Not your country" in page.text and "URY" not in page.text.split("<main")[1]
    assert ken.post("/portal/c/URY/upload?form=x", files={"p": ("p.zip", b"x")}).status_code == (
        403)  # fmt: skip
    for url in ("/portal/compiler", "/portal/compiler/runs", "/portal/compiler/tokens"):
        assert ken.get(url).status_code == 403
    compiler = sign_in(portal, "compiler")
    assert compiler.get(sid).status_code == 200  # compilers read every country


def test_a_contact_point_cannot_upload_for_another_country_bytes_kept_under_its_own(portal):
    """As over the API: refused (403), the bytes kept in raw/ under the sender's country only,
    nothing stored for the country the package claims."""
    ken = sign_in(portal, "KEN")
    before = raw_entries(portal["lake"])
    page = follow_job(ken, upload_zip(ken, "KEN", zip_bytes(package_files("URY"))))
    assert "Refused" in page.text and "URY" in page.text
    added = raw_entries(portal["lake"]) - before
    assert len(added) == 1 and next(iter(added)).startswith("KEN/")
    assert not list((portal["lake"] / "harmonised").glob("**/*URY*"))
    assert list(portal["spool"].iterdir()) == []


# ---------------------------------------------------------------------------- uploads
def test_rejected_zip_shows_row_column_value_and_fix_grouped_by_rule(portal):
    ken = sign_in(portal, "KEN")
    page = follow_job(ken, upload_zip(ken, "KEN", zip_bytes(package_files("KEN", BAD_ROWS))))
    assert "Rejected: 2 problems" in page.text
    assert "<code>climate_zone_in_vocabulary</code> (1)" in page.text
    row = re.search(r"<tr><td>land_areas.csv</td><td class=\"num\">2</td><td>climate_zone</td>"
                    r"\s*<td><code>tropical_soggy</code></td><td>unknown climate zone</td>"
                    r"<td>use an IPCC 2019 climate zone code</td></tr>", page.text)  # fmt: skip
    assert row is not None, page.text
    csv = ken.get(f"{page.url.path}/report.csv")
    assert csv.headers["content-disposition"].startswith("attachment")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame[["row", "column", "value"]].values.tolist() == [
        [2, "climate_zone", "tropical_soggy"], [3, "area", "-5"]]  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(ken.get(f"{page.url.path}/report.xlsx").content))
    assert [c.value for c in book.active[3]][:4] == ["land_areas.csv", 3, "area", -5]  # a number
    assert list(portal["spool"].iterdir()) == []


def test_data_files_with_the_manifest_form_are_accepted(portal):
    ken = sign_in(portal, "KEN")
    draft = {"contact_name": "Ana", "contact_email": "ana@example.org", "first_year": "2000",
             "last_year": "2002", "tier": "1", "approach": "1",
             "csrf_token": csrf_of(ken, "/portal/c/KEN/upload")}  # fmt: skip
    assert ken.post("/portal/c/KEN/upload/manifest", data=draft).status_code == 303
    form = FORM_RE.findall(ken.get("/portal/c/KEN/upload").text)[-1]
    data = ("areas-2024.csv", (LAND_AREAS_HEADER + GOOD_ROWS).encode(), "text/csv")
    page = follow_job(ken, ken.post(f"/portal/c/KEN/upload?form={form}", files={"files": data}))
    assert "Accepted: submission" in page.text
    sid = page.url.path.rsplit("/", 1)[1]
    receipt = ken.get(f"/portal/c/KEN/submissions/{sid}/receipt.json").json()
    assert sorted(receipt["files"]) == ["areas-2024.csv", "submission.yaml"]  # by header
    assert "raw_dir" not in receipt
    # the one-time form id cannot be used twice
    again = ken.post(f"/portal/c/KEN/upload?form={form}", files={"files": data})
    assert again.status_code == 403 and "already used" in again.text


def test_upload_over_the_limit_is_413_and_nothing_is_kept(portal):
    ken = sign_in(portal, "KEN")
    before = raw_entries(portal["lake"])
    answer = upload_zip(ken, "KEN", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert answer.status_code == 413 and "exceeds the limit" in answer.text
    added = raw_entries(portal["lake"]) - before  # the received bytes kept, as over the API
    assert len(added) == 1 and next(iter(added)).startswith("KEN/")
    assert list(portal["spool"].iterdir()) == []


def test_submitted_values_are_escaped_on_pages_and_neutralised_in_spreadsheets(portal):
    lake, sid = portal["lake"], "sub-20260101T000000000000Z-abcdef"
    attack = "<script>alert(1)</script>"
    write_json_atomic(lake / "raw" / "KEN" / sid / "receipt.json",
                      {"submission_id": sid, "package_name": attack})  # fmt: skip
    failures = [{"file": attack, "row": 2, "column": "x", "value": "=HYPERLINK(\"http://x\")",
                 "rule_id": attack, "message": attack, "fix": "@SUM(1)"}]  # fmt: skip
    write_json_atomic(lake / "quarantine" / "KEN" / sid / "report.json",
                      {"failures": failures, "summary": {}})  # fmt: skip
    ken = sign_in(portal, "KEN")
    page = ken.get(f"/portal/c/KEN/submissions/{sid}")
    assert attack not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    frame = pd.read_csv(io.StringIO(ken.get(f"/portal/c/KEN/submissions/{sid}/report.csv").text))
    assert frame.loc[0, "value"] == "'=HYPERLINK(\"http://x\")" and frame.loc[0, "fix"] == (
        "'@SUM(1)")  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(ken.get(
        f"/portal/c/KEN/submissions/{sid}/report.xlsx").content)).active  # fmt: skip
    assert sheet["D2"].data_type == "s" and sheet["D2"].value.startswith("'=")


# ---------------------------------------------------------------------------- compilers
def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(portal):
    compiler = sign_in(portal, "compiler")
    csrf = csrf_of(compiler, "/portal/compiler/tokens")
    page = compiler.post("/portal/compiler/tokens", data={"role": "contact", "country": "irl",
                         "csrf_token": csrf})  # fmt: skip
    token = re.search(r'value="(soc_[0-9a-f]{8}_[A-Za-z0-9_-]+)"', page.text).group(1)
    assert page.headers["cache-control"] == "no-store" and tokens.verify(portal["store"], token)
    listing = compiler.get("/portal/compiler/tokens").text
    assert tokens.token_id_of(token) in listing and token not in listing
    assert token.split("_", 2)[2] not in portal["store"].read_text()
    bad = compiler.post("/portal/compiler/tokens", data={"role": "contact", "country": "IE",
                        "csrf_token": csrf})  # fmt: skip
    assert bad.status_code == 422 and "alpha-3" in bad.text
    revoke = compiler.post(f"/portal/compiler/tokens/{tokens.token_id_of(token)}/revoke",
                           data={"csrf_token": csrf})  # fmt: skip
    assert revoke.status_code == 303 and tokens.verify(portal["store"], token) is None


def test_compilers_cannot_upload_and_a_bad_run_form_is_explained(portal):
    compiler = sign_in(portal, "compiler")
    assert compiler.get("/portal/c/KEN/upload").status_code == 403
    csrf = csrf_of(compiler, "/portal/compiler/runs")
    form = {"countries": "KEN", "mc_draws": "-5", "tier": "2", "csrf_token": csrf}
    page = compiler.post("/portal/compiler/runs", data=form)
    assert page.status_code == 422 and "mc_draws: Input should be greater than or equal to 0" in (
        page.text)  # fmt: skip
    form = {"countries": "ZZZ", "mc_draws": "5", "csrf_token": csrf}
    page = compiler.post("/portal/compiler/runs", data=form)
    assert page.status_code == 422 and "countries: &#39;ZZZ&#39; is not an ISO 3166 alpha-3" in (
        page.text) and "What to do:</strong> name the country by its three-letter code" in (
        page.text)  # fmt: skip
    form = {"countries": "FRA", "mc_draws": "5", "csrf_token": csrf}
    page = compiler.post("/portal/compiler/runs", data=form)
    assert page.status_code == 422 and "no accepted submission for FRA" in page.text
    assert "What to do:</strong> submit one first" in page.text


def test_compiler_sees_every_country_with_its_latest_state(portal):
    compiler = sign_in(portal, "compiler")
    page = compiler.get("/portal/compiler").text
    rows = dict(re.findall(r'<a href="/portal/c/([A-Z]{3})">\1</a></td>.*?class="state '
                           r'state-[a-z-]+">([a-z ]+)</span>', page, re.S))  # fmt: skip
    # KEN's latest may be a refused upload: refused bytes are kept (and listed) as over the API
    assert rows["URY"] == "accepted" and rows["KEN"] in ("accepted", "rejected", "refused")
    assert rows["IRL"] == "no submission"  # a token, no submission yet


def test_compiler_tokens_from_the_cli_sign_in_to_the_portal_but_not_to_the_api(portal, capsys):
    from inventory.interfaces import cli

    lake = portal["lake"]
    assert cli.main(["--lake", str(lake), "token", "create", "--admin"]) == cli.EXIT_OK
    token = capsys.readouterr().out.splitlines()[-1]
    identity = tokens.identify(portal["store"], token)
    assert (identity.role, identity.country) == (tokens.COMPILER, None)
    assert tokens.verify(portal["store"], token) is None  # not a country's token
    answer = client(portal).get("/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert cli.main(["--lake", str(lake), "token", "create", "KEN", "--admin"]) == (
        cli.EXIT_USAGE
    )  # a compiler token has no country: a usage error (one line, exit 2)
    assert cli.main(["--lake", str(lake), "token", "list"]) == cli.EXIT_OK
    assert "compiler" in capsys.readouterr().out


def test_oversized_forms_and_release_ids_outside_the_list_are_refused(portal):
    big = {"token": "x" * (70 * 1024), "csrf_token": "y"}  # the portal's forms take 64 KiB
    assert client(portal).post("/portal/signin", data=big).status_code == 413
    compiler = sign_in(portal, "compiler")
    for old, new in (("../runs", "x"), ("../../config", "..")):  # never a path into the lake
        page = compiler.get("/portal/compiler/diff", params={"old": old, "new": new})
        assert page.status_code == 404 and "Choose two published releases" in page.text
    assert compiler.get("/portal/compiler/releases/..%2Fconfig").status_code == 404
