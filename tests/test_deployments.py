"""The deployments as users meet them: a real Prefect server, ``soc-inventory serve``, an event
that triggers intake, a compiler triggering ``inventory-run``, and the nightly schedule publishing.

One local server and one serve process for the module (~30-60 s in all); marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from inventory.engine.run import RunParameters

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COUNTRY = "IRL"
WAIT_S = 120


def _wait_for(predicate, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_prefect_yaml_entrypoints_and_parameters_are_valid():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    names = {d["name"] for d in spec["deployments"]}
    assert names == {"intake", "inventory-run", "scheduled-reporting", "scenario-run"}
    for deployment in spec["deployments"]:
        module, _, function = deployment["entrypoint"].partition(":")
        namespace: dict = {}
        exec(f"from {module[:-3].replace('/', '.')} import {function} as f", namespace)
        assert hasattr(namespace["f"], "to_deployment"), deployment["entrypoint"]
    run = next(d for d in spec["deployments"] if d["name"] == "inventory-run")
    RunParameters(**run["parameters"]["params"])  # the defaults pass the pydantic model
    (schedule,) = next(d for d in spec["deployments"] if d["name"] == "scheduled-reporting")[
        "schedules"
    ]
    assert schedule["cron"] == "0 2 * * *"


def test_scenario_run_deployment_matches_its_flow():
    """``scenario-run``: the entrypoint is the flow of that name, every parameter the deployment
    sets is one of the flow's and passes its schema, and the one it cannot set (the scenario's
    text) is the flow's only required parameter; the served deployment sets the same."""
    import inspect

    from prefect.utilities.callables import parameter_schema

    from flows.scenario import scenario_run
    from flows.serve import deployments

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = [d for d in spec["deployments"] if d["name"] == "scenario-run"]
    assert deployment["entrypoint"] == "flows/scenario.py:scenario_run"
    assert scenario_run.name == "scenario-run"
    signature = inspect.signature(scenario_run.fn)
    required = {n for n, p in signature.parameters.items() if p.default is inspect.Parameter.empty}
    assert required == {"scenario_yaml"}
    params = deployment["parameters"]
    assert params == {"source": "scenario.yaml"}
    assert set(params) <= set(signature.parameters) - required
    schema = parameter_schema(scenario_run)
    assert all(schema.properties[name]["type"] == "string" for name in params)
    signature.bind(scenario_yaml="name: x", **params)  # the flow accepts them as called
    served = {d.name: d for d in deployments("/tmp/lake")}
    assert served["scenario-run"].parameters == {
        "source": "scenario.yaml",
        "lake_root": "/tmp/lake",
    }
    assert served["scenario-run"].entrypoint.endswith("flows/scenario.py:scenario_run")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from flows.serve import _free_port

    home = tmp_path_factory.mktemp("served")
    lake = home / "data_lake"
    env = {
        **os.environ, "PREFECT_HOME": str(home / "prefect"), "SOILC_LAKE": str(lake),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
    }  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    url = f"http://127.0.0.1:{_free_port()}/api"
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
         "--port", url.rsplit(":", 1)[1].split("/")[0]],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env["PREFECT_API_URL"] = url
    serve = None
    try:
        _wait_for(lambda: _healthy(url), "the Prefect server")
        serve = subprocess.Popen(
            [str(BIN / "soc-inventory"), "--lake", str(lake), "serve"], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        yield {"url": url, "lake": lake, "env": env}
    finally:
        for process in (serve, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        log.close()


def _healthy(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2):
            return True
    except OSError:
        return False


def _client(url: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    class _Scoped:
        def __enter__(self):
            self._settings = temporary_settings(updates={PREFECT_API_URL: url})
            self._settings.__enter__()
            self._client = get_client(sync_client=True)
            return self._client.__enter__()

        def __exit__(self, *exc):
            self._client.__exit__(*exc)
            self._settings.__exit__(*exc)

    return _Scoped()


def _deployment(url: str, name: str):
    with _client(url) as client:
        try:
            return client.read_deployment_by_name(name)
        except Exception:  # noqa: BLE001 - not registered yet; polled again
            return None


def _releases(lake: Path) -> pd.DataFrame:
    path = lake / "published" / "releases.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame({"release_id": []})


def _final_state(url: str, flow_run_id) -> str | None:
    with _client(url) as client:
        state = client.read_flow_run(flow_run_id).state
    return state.type.value if state is not None and state.is_final() else None


def test_submission_event_triggers_intake(served):
    _wait_for(lambda: _deployment(served["url"], "intake/intake"), "the intake deployment")
    payload = {"path": str(ROOT / "examples" / COUNTRY), "submitter": "event-test"}
    subprocess.run(
        [str(BIN / "prefect"), "event", "emit", "soil.submission.received",
         "--resource-id", f"soil.submission.{COUNTRY}", "--payload", json.dumps(payload)],
        env=served["env"], check=True, capture_output=True,
    )  # fmt: skip
    manifest = served["lake"] / "harmonised" / "manifests" / f"{COUNTRY}.json"
    _wait_for(manifest.exists, "the triggered intake run to harmonise the submission")
    assert json.loads(manifest.read_text(encoding="utf-8"))["country"] == COUNTRY


def test_compiler_triggers_inventory_run_deployment(served):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    assert (served["lake"] / "harmonised" / "manifests" / f"{COUNTRY}.json").exists()
    params = RunParameters(countries=[COUNTRY], mc_draws=20).model_dump()
    with temporary_settings(updates={PREFECT_API_URL: served["url"]}):
        run = run_deployment(
            "inventory-run/inventory-run", parameters={"params": params}, timeout=WAIT_S
        )
    assert run.state.is_completed(), run.state
    releases = _releases(served["lake"])
    assert len(releases) == 1 and releases["countries"].iloc[0] == COUNTRY


def test_portal_runs_go_through_the_served_deployment(served):
    """A compiler's run from the portal goes through ``inventory-run`` when the Prefect API
    serves it; the portal follows the flow run's state from the API into a new release."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from inventory.interfaces.portal import jobs

    before = len(_releases(served["lake"]))
    params = RunParameters(countries=[COUNTRY], mc_draws=20)
    with temporary_settings(updates={PREFECT_API_URL: served["url"]}):
        job = jobs.start_run(jobs.JobRegistry(), params, served["lake"])
        assert job.mode == "deployment" and job.flow_run_id is not None

        def finished() -> bool:
            jobs.refresh_run(job)
            return job.done

        _wait_for(finished, "the portal's run of the inventory-run deployment")
    assert job.state == jobs.COMPLETED, job.message
    assert len(_releases(served["lake"])) == before + 1


def test_schedule_creates_runs_that_publish(served):
    """The server's scheduler creates the nightly runs; one is moved to now and must publish."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.states import Scheduled

    deployment = _wait_for(
        lambda: _deployment(served["url"], "scheduled-reporting/scheduled-reporting"),
        "the scheduled-reporting deployment",
    )

    def scheduled_runs():
        with _client(served["url"]) as client:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            )
        return [r for r in runs if r.state is not None and r.state.is_scheduled()]

    runs = _wait_for(scheduled_runs, "the scheduler to create nightly runs")
    assert all(r.expected_start_time.hour == 2 for r in runs)  # cron 0 2 * * * UTC
    before = len(_releases(served["lake"]))
    with _client(served["url"]) as client:
        client.set_flow_run_state(runs[0].id, Scheduled(scheduled_time=datetime.now(UTC)),
                                  force=True)  # fmt: skip
    state = _wait_for(lambda: _final_state(served["url"], runs[0].id), "the nightly run")
    assert state == "COMPLETED"
    assert len(_releases(served["lake"])) == before + 1


def test_cli_submit_event_reaches_the_intake_deployment(served):
    """``soc-inventory submit`` emits soil.submission.received with the submission id; the
    intake deployment's trigger (prefect.yaml) starts a run for that id, which finds the
    submission filed and completes."""
    import re

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deployment = _wait_for(lambda: _deployment(served["url"], "intake/intake"), "intake")
    done = subprocess.run(
        [str(BIN / "soc-inventory"), "--lake", str(served["lake"]), "submit",
         str(ROOT / "examples" / "KEN")],
        env=served["env"], check=True, capture_output=True, text=True, timeout=WAIT_S,
    )  # fmt: skip
    submission_id = re.search(r"current[^\n]*: KEN submission (sub-\S+)", done.stdout).group(1)
    assert f"announced soil.submission.received: soil.submission.{submission_id}" in done.stdout

    def triggered_runs():
        with _client(served["url"]) as client:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            )
        return [r for r in runs if r.parameters.get("submission_id") == submission_id
                and r.state is not None and r.state.is_final()]  # fmt: skip

    (run,) = _wait_for(triggered_runs, "the event-triggered intake run")
    assert run.state.is_completed(), run.state
    assert run.parameters["path"] == str(served["lake"] / "raw" / "KEN" / submission_id)
