"""Inventory runs from the portal refused as the CLI refuses them: the same preflight, the same
publish guard, the message and the action on the page (FastAPI TestClient, the real intake and
inventory-run flows in the portal's process).

KEN's contact point submits the bundled example and a compiler runs it (published); the form
refuses years outside KEN's submission at once. KEN then submits a smaller valid land_areas
package (the tropical moist strata dropped, the same years): the compiler's second run computes
and is refused by the publish guard, and the run's page says which rows would be dropped and
what to do (withdraw KEN explicitly if the new submission is right).
"""

from __future__ import annotations

import html
import io
import re
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from inventory.interfaces import api
from inventory.lake import releases, tokens
from inventory.lake.zones import Lake

with warnings.catch_warnings():  # Starlette asks for httpx2; the httpx client still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "KEN"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_RE = re.compile(r'upload\?form=([A-Za-z0-9_-]+)"')
DROPPED_ZONE = "tropical_moist"
WAIT_S = 300


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def example_zip() -> bytes:
    return _zip({p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir())})


def smaller_zip() -> tuple[bytes, int]:
    """The example with the tropical moist land_areas rows dropped; the strata-years dropped
    from the reported years (1990-2024)."""
    lines = (EXAMPLE / "land_areas.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[1] != DROPPED_ZONE]
    dropped = sum(1 for line in lines[1:] if line.split(",")[1] == DROPPED_ZONE
                  and int(line.split(",")[0]) >= 1990)  # fmt: skip
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir())}
    files["land_areas.csv"] = ("\n".join(kept) + "\n").encode("utf-8")
    # the zone's organic soils go too: organic areas are part of the land of their zone
    organic = (EXAMPLE / "organic_soils.csv").read_text(encoding="utf-8").splitlines()
    organic = [organic[0]] + [line for line in organic[1:] if line.split(",")[1] != DROPPED_ZONE]
    files["organic_soils.csv"] = ("\n".join(organic) + "\n").encode("utf-8")
    return _zip(files), dropped


def text_of(page) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


@pytest.fixture(scope="module")
def portal(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("portal-runs")
    lake = root / "lake"
    store = tokens.store_path(lake)
    keys = {"KEN": tokens.create_token(store, "KEN"),
            "compiler": tokens.create_token(store, None, role=tokens.COMPILER)}  # fmt: skip
    app = api.create_app(lake, upload_dir=root)  # the real intake flow, in this process
    return {"app": app, "keys": keys, "lake": Lake.at(lake)}


def sign_in(portal, who: str) -> TestClient:
    client = TestClient(portal["app"])
    csrf = CSRF_RE.search(client.get("/portal/signin").text).group(1)
    answer = client.post("/portal/signin", data={"token": portal["keys"][who],
                         "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def submit(portal, content: bytes) -> str:
    """Upload a zip as KEN's contact point; the report page once processed."""
    contact = sign_in(portal, "KEN")
    form = FORM_RE.search(contact.get("/portal/c/KEN/upload").text).group(1)
    files = {"package": ("package.zip", content, "application/zip")}
    answer = contact.post(f"/portal/c/KEN/upload?form={form}", files=files,
                          follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        page = contact.get(answer.headers["location"], follow_redirects=False)
        if page.status_code == 303:
            return text_of(contact.get(page.headers["location"]))
        assert "Checking the package" in page.text, text_of(page)
        time.sleep(0.2)
    raise AssertionError("the upload was not processed in time")


def run_form(compiler: TestClient, **values: str):
    csrf = CSRF_RE.search(compiler.get("/portal/compiler/runs").text).group(1)
    form = {"countries": "KEN", "mc_draws": "20", "tier": "2", "edition": "2019",
            "gwp_set": "AR5", "approach": "", "first_year": "", "last_year": "",
            "csrf_token": csrf, **values}  # fmt: skip
    return compiler.post("/portal/compiler/runs", data=form, follow_redirects=False)


def run_to_the_end(compiler: TestClient) -> tuple[str, str]:
    """Start a run of KEN and follow its page to the end: (state, page text)."""
    answer = run_form(compiler)
    assert answer.status_code == 303, text_of(answer)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        page = compiler.get(answer.headers["location"])
        state = re.search(r'id="run-state">(\w+)<', page.text).group(1)
        if state in ("completed", "failed", "refused"):
            return state, text_of(page)
        time.sleep(0.5)
    raise AssertionError("the run did not end in time")


def test_a_run_refused_by_the_publish_guard_shows_its_message_and_action(portal):
    report = submit(portal, example_zip())
    assert "Current: the country's input that runs use. Submission" in report, report
    compiler = sign_in(portal, "compiler")
    state, page = run_to_the_end(compiler)
    assert state == "completed", page
    first = releases.current_release(portal["lake"])
    assert first is not None

    # years outside KEN's submission: refused on the form, before any run starts
    refused = run_form(compiler, first_year="1950", last_year="1960")
    assert refused.status_code == 422
    assert "years 1950-1960 are outside the submitted years (KEN reports 1990-2024)" in (
        text_of(refused))  # fmt: skip
    assert "What to do: choose years within them" in text_of(refused)

    content, dropped = smaller_zip()
    report = submit(portal, content)
    assert "Current: the country's input that runs use. Submission" in report, report
    state, page = run_to_the_end(compiler)
    assert state == "refused", page
    assert (f"the release would drop {dropped:,} country-year-stratum row(s) of soc_stocks of "
            "KEN that the previous release had: nothing published") in page  # fmt: skip
    assert f"country=KEN year=1990 climate_zone={DROPPED_ZONE}" in page
    assert (
        "What to do: if the new submission rightly drops them, approve the submission that "
        "drops them by withdrawing KEN explicitly (soc-inventory run --withdraw KEN" in page
    )
    assert "internal error" not in page.lower()
    assert releases.current_release(portal["lake"]) == first  # nothing published
