"""Background work the portal follows: processing an upload, and inventory runs.

An upload is streamed to a spool folder in the request, then checked, stored and validated in a
thread by the API's own code (:func:`process_package`); the browser follows its state on a page
that refreshes itself (``<meta http-equiv="refresh">``, no script).

An inventory run goes through the ``inventory-run`` deployment when a Prefect API is configured
(``PREFECT_API_URL``) and serves that deployment (``soc-inventory serve``, or a worker after
``prefect deploy``): the portal creates the flow run and reads its state from the API. Otherwise
(one machine, no Prefect server: the documented fallback) the same flow runs in a background
thread of the portal's process, one run at a time, and the page shows its state.

A job that ends on a user's mistake (any :class:`~inventory.core.errors.UserError`: a refused
publish, years outside a submission...) is ``refused`` and its page shows the message and the
action that resolves it (:func:`finish_with_error`, the one place); any other error is a bug,
shown as an internal-error reference.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import Request

from inventory.core.errors import as_user_error
from inventory.core.settings import get_settings
from inventory.interfaces import uploads
from inventory.interfaces.errors import internal_error
from inventory.lake.zones import utc_now

log = logging.getLogger("inventory.interfaces.portal")

MAX_JOBS = 500  # kept in memory, oldest forgotten first
PENDING, RUNNING, COMPLETED = "pending", "running", "completed"
FAILED, REFUSED = "failed", "refused"
FINAL = (COMPLETED, FAILED, REFUSED)


@dataclass
class Job:
    """One upload or run the portal follows."""

    job_id: str
    kind: str  # upload | run
    country: str | None  # an upload's country (access is checked against it)
    started_at: str = field(default_factory=lambda: utc_now().isoformat(timespec="seconds"))
    state: str = PENDING
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    mode: str = "local"  # run: deployment | local
    flow_run_id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    finished_at: str | None = None

    @property
    def done(self) -> bool:
        return self.state in FINAL

    def finish(self, state: str, message: str = "", **result: Any) -> None:
        self.state, self.message = state, message
        self.result.update(result)
        self.finished_at = utc_now().isoformat(timespec="seconds")


class JobRegistry:
    """Jobs by id (in memory, bounded), and the lock that makes local runs take turns."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.run_lock = threading.Lock()  # one local inventory run at a time (one publisher)

    def new(self, kind: str, country: str | None = None, **fields: Any) -> Job:
        job = Job(f"{kind}-{secrets.token_urlsafe(12)}", kind, country, **fields)
        with self._lock:
            self._jobs[job.job_id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
        return job

    def get(self, job_id: str, kind: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.kind == kind else None

    def of_kind(self, kind: str) -> list[Job]:
        with self._lock:
            return [j for j in reversed(self._jobs.values()) if j.kind == kind]


def in_background(target: Callable[..., Any], *args: Any) -> threading.Thread:
    """Run ``target`` in a daemon thread carrying this context (Prefect settings included)."""
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(target, *args), daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------------------- uploads
# The portal's only calls into the upload code: the API's own receive, store and check path
# (size limit while streaming, every received byte kept in raw/ under the signed-in country).
async def receive_package(request: Request, spool: Path) -> uploads.ReceivedUpload:
    """Stream the multipart body into ``spool`` with the API's size limit and unpack it."""
    return await uploads.receive_body(request, spool, request.app.state.max_upload_bytes)


def process_package(request: Request, received: uploads.ReceivedUpload, country: str) -> dict:
    """Store the bytes in raw/ (even a refused body), check them and run intake: the report."""
    submitter = f"portal token {getattr(request.state, 'token_id', None)}"
    outcome = uploads.store_and_check(received, country,
                                      uploads.upload_options(request.app.state),
                                      submitter=submitter)  # fmt: skip
    if outcome.status not in (201, 422):
        raise uploads.ApiError(outcome.status, str(outcome.body.get("error")),
                               str(outcome.body.get("message")))  # fmt: skip
    return outcome.body


def refuse_package(request: Request, received: uploads.ReceivedUpload, country: str) -> None:
    """Keep the bytes of a refused upload in raw/ (as the API does), then raise its error."""
    body = process_package(request, received, country)  # raises the refusal as an ApiError
    raise RuntimeError(f"a refused upload was processed as a package: {body}")


def run_upload(job: Job, request: Request, received: uploads.ReceivedUpload, spool: Path) -> None:
    """Process a received upload in the background; the spool folder is always deleted."""
    job.state = RUNNING
    try:
        report = process_package(request, received, str(job.country))
        job.finish(COMPLETED, report=report)
    except uploads.ApiError as err:
        job.finish(REFUSED if err.status < 500 else FAILED, err.message)
    except Exception as err:  # noqa: BLE001 - a user's mistake, or a bug shown as a reference
        finish_with_error(job, err)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def finish_with_error(job: Job, err: BaseException) -> None:
    """End ``job`` on ``err``: ``refused`` with the message and the action of a user's mistake,
    else ``failed`` with an internal-error reference (the traceback goes to the log)."""
    user_error = as_user_error(err)
    if user_error is None:
        job.finish(FAILED, internal_error(err).message)
    else:
        job.finish(REFUSED, user_error.message, action=user_error.action, code=user_error.code)


# ---------------------------------------------------------------------------- inventory runs


def deployment_available(name: str) -> bool:
    """True when a Prefect API is configured and knows the deployment ``name``."""
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return False
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(name)
        return True
    except Exception as err:  # noqa: BLE001 - unreachable API or unknown deployment: fallback
        log.info("deployment %s not available (%s): running in this process", name, err)
        return False


def start_run(registry: JobRegistry, params: Any, lake_root: Path) -> Job:
    """Start an inventory run (deployment when served, else a local thread); return its job."""
    parameters = {"params": params.model_dump(), "lake_root": str(lake_root)}
    name = get_settings().run_deployment
    job = registry.new("run", parameters=parameters["params"])
    if name and deployment_available(name):
        from prefect.deployments import run_deployment

        flow_run: Any = run_deployment(name, parameters=parameters, timeout=0)
        job.mode, job.flow_run_id = "deployment", str(flow_run.id)
        refresh_run(job)
    else:
        in_background(_run_locally, registry, job, params, str(lake_root))
    return job


def _run_locally(registry: JobRegistry, job: Job, params: Any, lake_root: str) -> None:
    from flows.inventory_run import inventory_run_on

    with registry.run_lock:
        job.state = RUNNING
        try:
            result = inventory_run_on()(params, lake_root)
            job.finish(COMPLETED, run_id=result["run_id"], release_id=result["release_id"],
                       refused=result.get("refused") or [])  # fmt: skip
        except Exception as err:  # noqa: BLE001 - a user's mistake, or a bug (a reference)
            finish_with_error(job, err)


def refresh_run(job: Job) -> None:
    """Read a deployment run's state from the Prefect API (no-op for local runs)."""
    if job.mode != "deployment" or job.done or job.flow_run_id is None:
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(UUID(job.flow_run_id)).state
    if state is None:
        return
    job.message = state.name or ""
    if state.is_completed():
        job.finish(COMPLETED, state.name or "")
    elif state.is_final():
        job.finish(FAILED, f"{state.name}: {state.message or 'see the Prefect UI'}")
    else:
        job.state = RUNNING if state.is_running() else PENDING
