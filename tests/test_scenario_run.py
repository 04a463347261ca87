"""Scenarios end to end on a published demo release: the inventory reproduced and continued,
published beside the release, the CLI, the flow, the HTTP route, the portal and the dashboard."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from test_api import start_in_thread

from inventory.interfaces import api, cli
from inventory.lake import tokens
from inventory.lake.zones import Lake
from inventory.scenarios import run as scenario_run
from inventory.scenarios.base import load_base
from inventory.scenarios.compute import interval, run_pathway

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "scenarios" / "demo_4p1000.yaml"
COUNTRY = "KEN"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _ken_only(text: str) -> str:
    """The bundled example restricted to KEN (the fixture publishes KEN only)."""
    return text.replace("countries: [IRL, KEN, URY]", "countries: [KEN]")


@pytest.fixture(scope="module")
def published(prefect_harness, tmp_path_factory):
    from flows.demo import demo

    root = tmp_path_factory.mktemp("scenario-demo") / "data_lake"
    demo(lake_root=str(root), countries=[COUNTRY], mc_draws=50)
    return Lake.at(root)


def test_no_measures_reproduces_the_published_inventory_and_its_intervals(published):
    base = load_base(published, "current", COUNTRY)
    bau = run_pathway(base, [], horizon=2035, n_draws=base.mc_draws)
    release = published.published
    stocks = pd.read_parquet(release / "inventory_stocks" / f"country={COUNTRY}" / "part-0.parquet")
    stocks = stocks[stocks["scope"] == "national"].set_index("year")["stock_tc"]
    totals = pd.read_parquet(
        release / "stock_change_totals" / f"country={COUNTRY}" / "part-0.parquet"
    )
    totals = totals[totals["scope"] == "national"].set_index("year")
    at = [list(bau.years).index(y) for y in stocks.index]
    assert bau.stock[0, at] == pytest.approx(stocks.to_numpy(), rel=1e-12)
    assert bau.dC[0, at] == pytest.approx(totals["dC_tc_per_yr"].to_numpy(), rel=1e-12, abs=1e-6)
    _, low, high = interval(bau.dC)
    assert low[at] == pytest.approx(totals["dC_ci_low_tc_per_yr"].to_numpy(), rel=1e-9, abs=1e-6)
    assert high[at] == pytest.approx(totals["dC_ci_high_tc_per_yr"].to_numpy(), rel=1e-9,
                                     abs=1e-6)  # fmt: skip
    # the N2O of soil carbon loss too: Eq. 11.8 netted by the run's tier (KEN: Tier 2, each
    # land use's net change) with the run's EF1 option (in KEN every land use loses, so the
    # Tier 1 national net gives the same tonnes: the tier is checked on the base itself)
    assert (base.tier, base.ef1_option) == (2, "aggregated")
    n2o = pd.read_parquet(release / "soc_loss_n2o" / f"country={COUNTRY}" / "part-0.parquet")
    n2o = n2o.groupby("year")["n2o_t_per_yr"].sum().reindex(stocks.index, fill_value=0.0)
    assert set(pd.read_parquet(release / "soc_loss_n2o" / f"country={COUNTRY}"
                               / "part-0.parquet")["netting_scope"]) != {"national"}  # fmt: skip
    assert bau.soc_n2o_t[at] == pytest.approx(n2o.to_numpy(), rel=1e-12, abs=1e-9)
    # and continues it: the areas of 2024 are held, past changes work through D = 20 years,
    # dC(2044) = (SOC(2044) - SOC(2024)) / 20 = 0 once the last change is D years old
    assert bau.dC[0, -1] != 0  # 2035: changes of 2016-2024 still working through
    last = base.land_areas[base.land_areas["year"] == 2024]["area_ha"].sum()
    assert bau.areas[bau.areas["year"] == 2035]["area_ha"].sum() == pytest.approx(last)


def test_cli_runs_the_example_and_publishes_beside_the_release(published, tmp_path, capsys):
    scenario = tmp_path / "ken.yaml"
    scenario.write_text(_ken_only(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    before = sorted(p.name for p in published.published.iterdir())
    assert cli.main(["--lake", str(published.root), "scenario", "run", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "demo-4p1000-2035" in out
    assert sorted(p.name for p in published.published.iterdir()) == before  # never into it
    (record,) = [r for r in scenario_run.published_scenarios(published)
                 if r["scenario"] == "demo-4p1000-2035"]  # fmt: skip
    folder = Path(record["path"])
    assert folder.parts[-3:] == ("demo-4p1000-2035", record["scenario_sha256"],
                                 published.published.resolve().name)  # fmt: skip
    assert (folder / "scenario.yaml").read_bytes() == scenario.read_bytes()
    pathways = scenario_run.read_answer(folder, "scenario_pathways")
    assert set(pathways["pathway"]) == {"bau", "scenario", "difference"}
    assert set(pathways["scope"]) == {"mineral", "mineral_and_organic"}
    assert (pathways["scenario_sha256"] == record["scenario_sha256"]).all()
    horizon = pathways.query("year == 2035 and scope == 'mineral'").set_index("pathway")
    # the difference is taken draw by draw: its value is scenario - BAU, its interval its own
    assert horizon.loc["difference", "dC_tc_per_yr"] == pytest.approx(
        horizon.loc["scenario", "dC_tc_per_yr"] - horizon.loc["bau", "dC_tc_per_yr"], rel=1e-9
    )
    measures = scenario_run.read_answer(folder, "scenario_measures")
    assert set(measures["measure"]) == {"no_till", "grassland_restoration",
                                        "high_input_cropland", "rewet_peat_grassland"}  # fmt: skip
    rewet = measures.query("measure == 'rewet_peat_grassland' and year == 2035").iloc[0]
    # rewetting: 10 % of the drained grassland; CO2 falls, CH4 rises (WS Ch.3 Table 3.3)
    assert rewet["organic_co2_t_per_yr"] < 0 < rewet["organic_ch4_t_per_yr"]
    assert rewet["dC_tc_per_yr"] == 0  # organic soils only
    adoption = scenario_run.read_answer(folder, "scenario_adoption").iloc[0]
    assert adoption["measure"] == "no_till" and adoption["year"] == 2035
    # the same file on the same release is the same folder (replaced, same numbers)
    assert cli.main(["--lake", str(published.root), "scenario", "run", str(scenario)]) == 0
    again = scenario_run.read_answer(folder, "scenario_pathways")
    assert np.array_equal(again["stock_tc"].to_numpy(), pathways["stock_tc"].to_numpy())


def test_cli_refuses_a_bad_scenario_with_the_fix(published, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(_ken_only(EXAMPLE.read_text(encoding="utf-8")).replace("share: 0.30",
                   "share: 30"), encoding="utf-8")  # fmt: skip
    assert cli.main(["--lake", str(published.root), "scenario", "run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "measure 'no_till': share 30.0 is outside 0-1" in err
    assert "Traceback" not in err and "action:" in err
    missing = tmp_path / "nothing.yaml"
    missing.write_text(_ken_only(EXAMPLE.read_text(encoding="utf-8")).replace(
        "management: full_tillage}", "management: paddy_rice}"), encoding="utf-8")  # fmt: skip
    assert cli.main(["--lake", str(published.root), "scenario", "run", str(missing)]) == 2
    assert (
        "measure 'no_till': select {'land_use': 'cropland', 'management': 'paddy_rice'} "
        "matches no mineral-soil area of KEN in 2024" in capsys.readouterr().err
    )


def test_flow_runs_the_scenario(published):
    from flows.scenario import scenario_run as flow

    text = _ken_only(EXAMPLE.read_text(encoding="utf-8")).replace("name: demo-4p1000-2035",
                                                                   "name: flow-check")  # fmt: skip
    result = flow(text, str(published.root))
    assert result["scenario"] == "flow-check" and result["countries"] == [COUNTRY]
    assert Path(result["path"], "scenario_measures.parquet").exists()


def test_http_route_and_portal_pages(published, tmp_path):
    shutil.copytree(published.root, tmp_path / "lake", symlinks=True)
    lake = Lake.at(tmp_path / "lake")
    store = tokens.store_path(lake.root)
    keys = {"KEN": tokens.create_token(store, "KEN"), "URY": tokens.create_token(store, "URY"),
            "compiler": tokens.create_token(store, None, role=tokens.COMPILER)}  # fmt: skip
    app = api.create_app(lake.root)
    app.state.scenario = lambda root, text: scenario_run.run_scenario(Lake.at(root), text)
    server, thread, base = start_in_thread(app)
    text = _ken_only(EXAMPLE.read_text(encoding="utf-8"))
    try:
        with httpx.Client(base_url=base, timeout=300) as http:
            auth = {"Authorization": f"Bearer {keys['KEN']}"}
            answer = http.post("/v1/scenarios", content=text, headers=auth)
            assert answer.status_code == 201, answer.text
            body = answer.json()
            assert body["countries"] == [COUNTRY] and "path" not in body
            summary = body["summary"][0]
            assert (
                summary["scenario"]["rate_ci_low_permille_per_yr"]
                <= summary["scenario"]["rate_permille_per_yr"]
                <= summary["scenario"]["rate_ci_high_permille_per_yr"]
            )
            listed = http.get("/v1/scenarios", headers=auth).json()["scenarios"]
            assert "demo-4p1000-2035" in [s["scenario"] for s in listed]
            assert all(s["countries"] == [COUNTRY] for s in listed)
            other = http.post("/v1/scenarios", content=text,
                              headers={"Authorization": f"Bearer {keys['URY']}"})  # fmt: skip
            assert other.status_code == 403
            assert "a URY token runs scenarios of URY only, not KEN" in other.json()["message"]
            early = "name: early\nbase: {countries: [KEN]}\nhorizon: 2020\n"
            bad = http.post("/v1/scenarios", content=early, headers=auth)
            assert bad.status_code == 422
            assert (
                "horizon 2020 is not after KEN's last inventory year 2024" in bad.json()["message"]
            )
            assert bad.json()["action"] == "set horizon to a year after 2024"
            # the portal: the compiler's form, a run, the answer page with its charts
            page = http.get("/portal/signin")
            csrf = CSRF_RE.search(page.text).group(1)
            signed = http.post("/portal/signin", data={"token": keys["compiler"],
                               "csrf_token": csrf})  # fmt: skip
            assert signed.status_code == 303
            form = http.get("/portal/compiler/scenarios")
            assert form.status_code == 200 and "name: demo-4p1000-2035" in form.text
            csrf = CSRF_RE.search(form.text).group(1)
            refused = http.post(
                "/portal/compiler/scenarios",
                data={"scenario": text.replace("share: 0.30", "share: -1"), "csrf_token": csrf},
            )
            assert refused.status_code == 422
            assert "share -1.0 is outside 0-1" in refused.text
            csrf = CSRF_RE.search(refused.text).group(1)
            ran = http.post(
                "/portal/compiler/scenarios",
                data={
                    "scenario": text.replace("horizon: 2035", "horizon: 2034").replace(
                        "year: 2035", "year: 2034"
                    ),
                    "csrf_token": csrf,
                },
            )
            assert ran.status_code == 303, ran.text
            shown = http.get(ran.headers["location"])
            assert shown.status_code == 200
            assert "4 per mille rate in 2034" in shown.text and "<svg" in shown.text
            assert "4 per 1000 target" in shown.text  # the target line of the chart
            # organic CO2 and CH4 of each measure with their 95 % intervals, e.g.
            # "-3671 (-4854 to -2609) / 1.2 (-0.3 to 6.0)"
            assert "organic CO2 / CH4 (t/yr, 95 %)" in shown.text
            assert re.search(r"-?\d+ \(-?\d+ to -?\d+\) / -?\d+\.\d \(-?\d+\.\d to "
                             r"-?\d+\.\d\)", shown.text), shown.text  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    from inventory.reporting import dashboard

    html = dashboard.build_dashboard(lake).read_text(encoding="utf-8")
    assert "Scenarios toward 4 per 1000" in html and "demo-4p1000-2035" in html
    manifest = json.loads((Path(scenario_run.published_scenarios(lake)[0]["path"]) /
                           "manifest.json").read_text(encoding="utf-8"))  # fmt: skip
    assert manifest["release_id"] == lake.published.resolve().name
