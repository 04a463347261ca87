"""Serve the four deployments from one process (single-machine install, no worker).

Schedules and event triggers are evaluated by the Prefect server's services, which the ephemeral
API does not run; without ``PREFECT_API_URL`` a local server is started on 127.0.0.1 first.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from inventory.core import bundled

SERVER_START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_local_server() -> subprocess.Popen:
    """Start ``prefect server start`` on a free loopback port and point the client at it."""
    port = _free_port()
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                os.environ["PREFECT_API_URL"] = url
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"the local Prefect server did not answer on {url} within "
                       f"{SERVER_START_TIMEOUT_S} s")  # fmt: skip


def deployment_specs() -> dict[str, dict]:
    """``prefect.yaml``'s deployments by name: the one place schedules and triggers live."""
    spec = yaml.safe_load(bundled.prefect_yaml_text())
    return {d["name"]: d for d in spec["deployments"]}


def deployments(lake_root: str) -> list:
    """The ``prefect.yaml`` deployments as served objects, all reading and writing ``lake_root``."""
    from prefect.events import DeploymentEventTrigger

    from flows.intake import intake
    from flows.inventory_run import inventory_run
    from flows.reporting import scheduled_reporting
    from flows.scenario import scenario_run

    specs = deployment_specs()
    (trigger,) = specs["intake"]["triggers"]
    (schedule,) = specs["scheduled-reporting"]["schedules"]
    on_submission = DeploymentEventTrigger(
        expect=set(trigger["expect"]), match=trigger["match"],
        parameters={**trigger["parameters"], "lake_root": lake_root},
    )  # fmt: skip
    return [
        intake.to_deployment(name="intake", triggers=[on_submission]),
        inventory_run.to_deployment(name="inventory-run", parameters={"lake_root": lake_root}),
        scheduled_reporting.to_deployment(
            name="scheduled-reporting", cron=schedule["cron"], parameters={"lake_root": lake_root}
        ),
        scenario_run.to_deployment(
            name="scenario-run",
            parameters={**specs["scenario-run"].get("parameters", {}), "lake_root": lake_root},
        ),
    ]


def exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so ``finally`` blocks and ``atexit`` hooks run.

    Without it a SIGTERM ends the process at once and leaves its children (a Prefect server
    started here, or Prefect's ephemeral server subprocess) running. uvicorn restores this
    handler and re-raises the signal after its graceful shutdown.
    """
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def serve_all(lake_root: str, *, limit: int = 2) -> None:
    """Block serving the deployments (Ctrl-C or SIGTERM stops; a started local server too)."""
    exit_on_sigterm()
    server = None if os.environ.get("PREFECT_API_URL") else start_local_server()
    try:
        from prefect import serve

        print(f"Prefect API: {os.environ['PREFECT_API_URL']}")
        serve(*deployments(lake_root), limit=limit)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
