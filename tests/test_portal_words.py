"""Words for ministry staff: every portal page reachable by a link, crawled as a compiler and
as a contact point, shows no Python value (None, nan, a dict or a list) and no timestamp with
microseconds."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlparse

import pytest
from fastapi.testclient import TestClient
from test_recalculations import _manifest, _publish, _tables

from inventory.interfaces import api
from inventory.lake import tokens
from inventory.lake.zones import Lake

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r'href="([^"#]+)"')
# Python's words for nothing and its containers, and ISO times with fractions of a second
PYTHON_WORDS = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|<NA>|\{'|\['|\d\d:\d\d:\d\d\.\d")
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def visible_text(page: str) -> str:
    """The text a reader sees (tags removed, entities decoded), attribute values included."""
    attributes = " ".join(re.findall(r'(?:title|aria-label|value|alt)="([^"]*)"', page))
    return html.unescape(TAGS.sub(" ", page)) + " " + html.unescape(attributes)


def sign_in(client: TestClient, key: str) -> None:
    csrf = CSRF_RE.search(client.get("/portal/signin").text).group(1)
    answer = client.post("/portal/signin", data={"token": key, "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text


def crawl(client: TestClient, start: str, limit: int = 200) -> dict[str, str]:
    """Every same-site HTML page under /portal reachable from ``start`` by GET links."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        page = client.get(url)
        if "text/html" not in page.headers.get("content-type", ""):
            seen[url] = ""
            continue
        seen[url] = page.text
        for link in LINK_RE.findall(page.text):
            target = urljoin(url, html.unescape(link))
            parsed = urlparse(target)
            if parsed.netloc not in ("", "testserver") or not parsed.path.startswith("/portal"):
                continue
            if parsed.path.endswith(("/signout", ".csv", ".xlsx", ".parquet", ".zip")):
                continue
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            if path not in seen:
                queue.append(path)
    return seen


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("words")
    lake = Lake.at(root / "lake")
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 120.0, 12.0, 9.0, 44.0),
                      _manifest("KEN", sha="bbb", draws=200, submission="sub-2"))  # fmt: skip
    store = tokens.store_path(lake.root)
    keys = {"compiler": tokens.create_token(store, None, role=tokens.COMPILER),
            "KEN": tokens.create_token(store, "KEN")}  # fmt: skip
    spool = root / "uploads"
    spool.mkdir()
    app = api.create_app(lake.root, upload_dir=spool)
    return {"app": app, "keys": keys, "first": first, "second": second, "lake": lake.root}


@pytest.mark.parametrize("who, start", [("compiler", "/portal/compiler/countries"),
                                        ("KEN", "/portal/c/KEN/submissions")])  # fmt: skip
def test_no_page_shows_python_values_or_microseconds(site, who, start):
    client = TestClient(site["app"])
    sign_in(client, site["keys"][who])
    extra = []
    if who == "compiler":
        extra = [f"/portal/compiler/diff?old={site['first']}&new={site['second']}",
                 f"/portal/compiler/releases/{site['second']}"]  # fmt: skip
    pages = crawl(client, start)
    for url in extra:
        pages.update(crawl(client, url))
    assert len(pages) >= 4, sorted(pages)
    found = {url: sorted(set(PYTHON_WORDS.findall(visible_text(text))))
             for url, text in pages.items() if text}  # fmt: skip
    assert {url: words for url, words in found.items() if words} == {}


def test_states_are_explained_and_times_have_no_fractions():
    from inventory.interfaces.portal.words import plain, state_note, when

    assert when("2026-12-06T06:41:44.166724+00:00") == "2026-12-06 06:41 UTC"
    assert when(None) == "" and when("not a time") == "not a time"
    assert plain({"package": "0.1.0", "git_commit": None}) == "package: 0.1.0"
    assert plain(["KEN", "IRL"]) == "KEN, IRL" and plain(float("nan")) == ""
    assert state_note("harmonised").startswith("passed every check and is the country's current")


def test_a_token_has_a_label_and_is_revoked_only_after_a_confirmation(site):
    client = TestClient(site["app"])
    sign_in(client, site["keys"]["compiler"])
    page = client.get("/portal/compiler/tokens")
    csrf = CSRF_RE.search(page.text).group(1)
    form = {"csrf_token": csrf, "role": "contact", "country": "URY", "label": "Ana Pérez, INIA"}
    made = client.post("/portal/compiler/tokens", data=form)
    assert made.status_code == 200
    listing = client.get("/portal/compiler/tokens").text
    token_id = re.search(r"<code>([0-9a-f]{8})</code></td><td>Ana Pérez, INIA</td>", listing)
    assert token_id is not None, listing
    url = f"/portal/compiler/tokens/{token_id.group(1)}/revoke"
    confirm = client.get(url)
    assert "Revoke token" in confirm.text and "cannot be undone" in confirm.text
    assert "Ana Pérez, INIA" in confirm.text
    # a POST without confirm=yes (one click, a replayed form) only shows the confirmation
    unconfirmed = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert unconfirmed.status_code == 200 and "cannot be undone" in unconfirmed.text
    records = {t["token_id"]: t for t in tokens.list_tokens(site["app"].state.token_store)}
    assert records[token_id.group(1)]["revoked_at"] is None
    done = client.post(url, data={"csrf_token": csrf, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    records = {t["token_id"]: t for t in tokens.list_tokens(site["app"].state.token_store)}
    assert records[token_id.group(1)]["revoked_at"] is not None
