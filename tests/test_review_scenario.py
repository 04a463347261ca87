"""The compiler's workflow end to end over HTTP (FastAPI TestClient, the real intake flow and
inventory runs): issue 25's done-when scenario.

The bundled examples are current (the demo approved them). KEN's contact point uploads a small
valid land_areas for 2000-2005 (18 rows): it becomes a candidate, not current, and the answer
says so (202, "validated, awaiting review"). The compiler's review page shows what it would
drop; a run of every country publishes all three with KEN's example data (the candidate is not
used). Approving without the confirmation is refused on the page; with it, KEN's small
submission is current. The nightly-style run over the examples' years 1990-2024 then publishes
IRL and URY and names KEN's refusal with the action (exit 3); a run of the submitted years
publishes KEN's 2000-2005 data, and the release names the submission and who approved it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from inventory.interfaces import api, cli
from inventory.lake import releases, tokens
from inventory.lake.zones import Lake

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
KEN_YAML = """\
country: KEN
contact: {name: KEN contact point, email: soc.ke@example.org}
years: [2000, 2005]
tier: 1
approach: 1
files:
  land_areas: land_areas.csv
"""
# 3 strata x 6 years = 18 rows; every year 5,000 + 3,000 + 2,000 = 10,000 kha
KEN_ROWS = "year,climate_zone,soil_class,land_use,management,input,area,area_unit\n" + "".join(
    f"{year},tropical_dry,lac,{use},{mg},{inp},{area},kha\n"
    for year in range(2000, 2006)
    for use, mg, inp, area in (("grassland", "nominal", "not_applicable", 5000),
                               ("cropland", "full_tillage", "medium", 3000),
                               ("forest_land", "not_applicable", "not_applicable", 2000))
)  # fmt: skip


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.yaml", KEN_YAML)
        archive.writestr("land_areas.csv", KEN_ROWS)
    return buffer.getvalue()


def _sign_in(client: TestClient, token: str) -> None:
    page = client.get("/portal/signin")
    csrf = CSRF_RE.search(page.text).group(1)
    answer = client.post("/portal/signin", data={"token": token, "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text


def test_small_resubmission_review_and_runs_per_country(
    tmp_path, prefect_harness, capsys, monkeypatch
):
    monkeypatch.setenv("SOILC_AUTO_APPROVE", "")  # a multi-country installation
    lake_dir = str(tmp_path / "lake")
    assert cli.main(["--lake", lake_dir, "demo", "--mc-draws", "0"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "approved as current input by the demo" in out and "IRL, KEN, URY" in out
    lake = Lake.at(lake_dir)
    example_ken = releases.release_provenance(lake)["KEN"]
    assert example_ken["synthetic"] is True
    store = tokens.store_path(lake.root)
    ken_token = tokens.create_token(store, "KEN")
    compiler_token = tokens.create_token(store, None, role=tokens.COMPILER)
    app = api.create_app(lake.root)
    contact = TestClient(app, base_url="https://testserver")
    answer = contact.post("/v1/submissions", headers={"Authorization": f"Bearer {ken_token}"},
                          files={"package": ("ken.zip", _zip(), "application/zip")})  # fmt: skip
    assert answer.status_code == 202, answer.text  # validated, not taken effect: never 201
    body = answer.json()
    sid = body["submission_id"]
    assert (body["status"], body["current"]) == ("candidate", False)
    assert body["status_text"].startswith("validated, awaiting review")
    # the compiler's review page: what approving it would change and drop
    compiler = TestClient(app, base_url="https://testserver")
    _sign_in(compiler, compiler_token)
    page = compiler.get("/portal/compiler/review")
    assert page.status_code == 200
    text = page.text
    assert f"KEN: submission {sid}" in text
    assert "years 1990-2024) -&gt; years 2000-2005" in text
    assert "Approving this submission drops data the country reported before." in text
    assert "I confirm the drop" in text
    # a run of every country now: the candidate is not used, all three are published
    assert cli.main(["--lake", lake_dir, "run", "--mc-draws", "0"]) == cli.EXIT_OK
    capsys.readouterr()
    assert releases.release_provenance(lake)["KEN"]["submission_id"] == example_ken[
        "submission_id"]  # fmt: skip
    # approving without the confirmation is refused on the page, with what to do
    csrf = CSRF_RE.search(page.text).group(1)
    refused = compiler.post(
        f"/portal/compiler/review/{sid}",
        data={"csrf_token": csrf, "decision": "approve", "note": ""},
    )
    assert refused.status_code == 422
    assert f"approving {sid} drops data of KEN" in refused.text
    assert "What to do:</strong> if the drop is intended, approve again confirming it" in (
        refused.text
    )
    approved = compiler.post(
        f"/portal/compiler/review/{sid}",
        data={"csrf_token": csrf, "decision": "approve", "confirm_drop": "yes", "note": ""},
    )
    assert approved.status_code == 200
    assert f"Approved: KEN submission {sid} is the current input." in approved.text
    assert "No submission awaits review." in approved.text
    # the contact point sees it current
    report = contact.get(
        f"/v1/submissions/{sid}", headers={"Authorization": f"Bearer {ken_token}"}
    ).json()
    assert (report["status"], report["current"]) == ("current", True)
    # the nightly-style run over 1990-2024: IRL and URY published, KEN refused with the action
    code = cli.main(["--lake", lake_dir, "run", "--mc-draws", "0", "--years", "1990-2024"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_PARTIAL
    assert (
        "refused KEN: years 1990-2024 are outside the submitted years (KEN reports 2000-2005)"
    ) in err
    assert "  action: choose years within them" in err and "internal error" not in err
    record = json.loads((releases.current_release(lake) / "release.json").read_text())
    assert record["countries"] == "IRL,URY"
    # a run of the submitted years publishes KEN's approved 2000-2005 data (the drop accepted)
    assert cli.main(["--lake", lake_dir, "run", "--mc-draws", "0"]) == cli.EXIT_OK
    capsys.readouterr()
    stocks = releases.read_published(lake, "soc_stocks")
    ken = stocks[stocks["country"] == "KEN"]
    assert sorted(ken["year"].unique()) == list(range(2000, 2006))
    used = releases.release_provenance(lake)["KEN"]
    assert used["submission_id"] == sid and used["synthetic"] is False
    assert used["approved_by"].startswith("portal compiler token ")
    assert releases.release_provenance(lake)["IRL"]["approved_by"].startswith(
        "soc-inventory demo")  # fmt: skip
    dashboard = (lake.root / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert sid in dashboard and "portal compiler token" in dashboard


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
