"""The portal's recalculation page on hand-made releases: summary, filters, CSV and XLSX."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from test_recalculations import _manifest, _publish, _tables

from inventory.interfaces import api
from inventory.lake import tokens
from inventory.lake.zones import Lake

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("recalc")
    lake = Lake.at(root / "lake")
    first = _publish(lake, "run-a", _tables("KEN", 100.0, 10.0, 8.0, 40.0), _manifest("KEN"))
    second = _publish(lake, "run-b", _tables("KEN", 120.0, 12.0, 9.0, 44.0),
                      _manifest("KEN", sha="bbb", draws=200, submission="sub-2"))  # fmt: skip
    key = tokens.create_token(tokens.store_path(lake.root), None, role=tokens.COMPILER)
    spool = root / "uploads"
    spool.mkdir()
    client = TestClient(api.create_app(lake.root, upload_dir=spool))
    csrf = CSRF_RE.search(client.get("/portal/signin").text).group(1)
    signed = client.post("/portal/signin", data={"token": key, "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303, signed.text
    return {"client": client, "first": first, "second": second, "lake": lake}


def test_the_page_starts_with_the_crt_totals_and_filters_the_values(site):
    client, first, second = site["client"], site["first"], site["second"]
    page = client.get("/portal/compiler/diff", params={"old": first, "new": second})
    assert page.status_code == 200
    # national CO2 80 -> 84 t CO2/yr (+4, +5 %): 4.B.1 50 -> 54 and 4.C.1 unchanged at 30
    assert "national total" in page.text and "84" in page.text
    assert "mc_draws" not in page.text.split("Changed values")[0]  # totals: central only
    every = client.get("/portal/compiler/diff", params={"old": first, "new": second})
    only = client.get("/portal/compiler/diff",
                      params={"old": first, "new": second, "table": "soc_stocks"})  # fmt: skip
    # 5 changed values: soc_stocks area_ha and stock_tc, stock_changes dC and ci_low,
    # unfccc_tables co2 of 4.B.1 mineral (40 -> 44); the filter keeps the 2 of soc_stocks
    assert "5 values changed" in every.text and "2 of 5 changed values match" in only.text
    assert "<td>stock_changes</td>" not in only.text and "<td>stock_changes</td>" in every.text
    assert 'role="alert"' not in every.text  # given in order: no warning


def test_downloads_of_the_filtered_values_and_the_summary(site):
    client, first, second = site["client"], site["first"], site["second"]
    query = {"old": first, "new": second, "table": "stock_changes"}
    csv = client.get("/portal/compiler/diff/values.csv", params=query)
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    values = pd.read_csv(io.StringIO(csv.text)).set_index("column")
    # dC 10 -> 12 t C/yr (+2, +20 %); ci_low 8 -> 9 (+1, +12.5 %)
    assert values.loc["dC_tc_per_yr", ["previous", "new", "difference", "difference_pct"]
                      ].tolist() == [10.0, 12.0, 2.0, 20.0]  # fmt: skip
    assert values.loc["dC_ci_low_tc_per_yr", "difference_pct"] == 12.5
    assert "mc_draws: 1000 -> 200" in values.loc["dC_ci_low_tc_per_yr", "cause"]
    assert "mc_draws" not in values.loc["dC_tc_per_yr", "cause"]
    xlsx = client.get("/portal/compiler/diff/summary.xlsx", params={"old": first, "new": second})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    national = dict(zip(header, next(r for r in rows if "national total" in r), strict=True))
    assert (national["previous"], national["new"], national["difference"]) == (80, 84, 4)
    assert national["year"] == 2001  # an integer, not 2001.0
    assert client.get("/portal/compiler/diff/other.csv",
                      params={"old": first, "new": second}).status_code == 404  # fmt: skip


def test_releases_given_newest_first_are_warned_about_on_the_page(site):
    client, first, second = site["client"], site["first"], site["second"]
    page = client.get("/portal/compiler/diff", params={"old": second, "new": first})
    assert f"was published after {first}" in page.text
    assert f"soc-inventory diff {first} {second}" in page.text
