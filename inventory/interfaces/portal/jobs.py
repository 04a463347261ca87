"""Background work the portal follows: processing an upload, and inventory runs.

An upload is streamed to a spool folder in the request, then checked, stored and validated in a
thread by the API's own code (:func:`process_package`); the browser follows its state on a page
that refreshes itself (``<meta http-equiv="refresh">``, no script).

An inventory run goes through the ``inventory-run`` deployment when a Prefect API is configured
(``PREFECT_API_URL``) and serves that deployment (``soc-inventory serve``, or a worker after
``prefect deploy``): the portal creates the flow run and reads its state from the API. Otherwise
(one machine, no Prefect server: the documented fallback) the same flow runs in a background
thread of the portal's process, one run at a time, and the page shows its state.

Jobs are kept in the portal's state store (:mod:`.store`): every process serving the lake
sees them, and they outlive a restart. A local job whose process ended before it finished (a
restart, a crash) is shown ``failed`` with what to do when it is next read.

A job that ends on a user's mistake (any :class:`~inventory.core.errors.UserError`: a refused
publish, years outside a submission...) is ``refused`` and its page shows the message and the
action that resolves it (:func:`finish_with_error`, the one place); any other error is a bug,
shown as an internal-error reference.
"""

from __future__ import annotations

import contextvars
import logging
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import Request

from inventory.core.errors import as_user_error
from inventory.core.settings import get_settings
from inventory.interfaces import uploads
from inventory.interfaces.errors import internal_error
from inventory.interfaces.portal.store import StateStore
from inventory.lake.zones import utc_now

log = logging.getLogger("inventory.interfaces.portal")

PENDING, RUNNING, COMPLETED = "pending", "running", "completed"
FAILED, REFUSED = "failed", "refused"
FINAL = (COMPLETED, FAILED, REFUSED)
LISTED_JOBS = 100  # newest jobs of a kind a page lists
THIS_PROCESS = f"{socket.gethostname()}:{os.getpid()}"
INTERRUPTED = {
    "upload": ("The server stopped before this upload was processed.", "Its bytes are kept: "
               "ask the inventory team to reprocess the submission, or upload it again."),
    "run": ("The server stopped before this run finished; nothing of it was published.",
            "Start the run again."),
}  # fmt: skip


@dataclass
class Job:
    """One upload or run the portal follows, a row of the state store's ``jobs`` table
    (every change of state is saved, so any process, and the next one, sees it)."""

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
    owner: str = THIS_PROCESS  # host:pid of the process doing a local job's work
    registry: JobRegistry | None = field(default=None, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.state in FINAL

    def record(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "registry"}

    def save(self) -> None:
        if self.registry is not None:
            self.registry.save(self)

    def set_state(self, state: str, message: str | None = None) -> None:
        self.state = state
        if message is not None:
            self.message = message
        self.save()

    def finish(self, state: str, message: str = "", **result: Any) -> None:
        self.state, self.message = state, message
        self.result.update(result)
        self.finished_at = utc_now().isoformat(timespec="seconds")
        self.save()

    def orphaned(self) -> bool:
        """True for an unfinished local job whose process (on this host) has ended."""
        host, _, pid = self.owner.rpartition(":")
        if self.done or self.mode != "local" or host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False


class JobRegistry:
    """Jobs in the state store (the newest :data:`~.store.MAX_JOBS` kept), and the lock that
    makes this process's local runs take turns."""

    def __init__(self, store: StateStore | None = None) -> None:
        self.store = store or StateStore()
        self.run_lock = threading.Lock()  # one local inventory run at a time (one publisher)

    def new(self, kind: str, country: str | None = None, **fields: Any) -> Job:
        job = Job(f"{kind}-{secrets.token_urlsafe(12)}", kind, country, registry=self, **fields)
        job.save()
        return job

    def save(self, job: Job) -> None:
        self.store.save_job(job.job_id, job.kind, job.country, job.record())

    def _loaded(self, record: dict[str, Any]) -> Job:
        job = Job(**record, registry=self)
        if job.orphaned():  # its process stopped (a restart): say so, once and for all
            message, action = INTERRUPTED.get(job.kind, INTERRUPTED["run"])
            job.finish(FAILED, message, action=action)
        return job

    def get(self, job_id: str, kind: str) -> Job | None:
        record = self.store.load_job(job_id)
        job = self._loaded(record) if record is not None else None
        return job if job is not None and job.kind == kind else None

    def of_kind(self, kind: str) -> list[Job]:
        """The newest :data:`LISTED_JOBS` jobs of ``kind``, newest first."""
        return [self._loaded(r) for r in self.store.jobs_of_kind(kind, LISTED_JOBS)]


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
    job.set_state(RUNNING)
    try:
        try:
            report = process_package(request, received, str(job.country))
        finally:  # deleted before the outcome is saved: whoever sees it sees no spool left
            shutil.rmtree(spool, ignore_errors=True)
        job.finish(COMPLETED, report=report)
    except uploads.ApiError as err:
        job.finish(REFUSED if err.status < 500 else FAILED, err.message)
    except Exception as err:  # noqa: BLE001 - a user's mistake, or a bug shown as a reference
        finish_with_error(job, err)


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
        job.save()
        refresh_run(job)
    else:
        in_background(_run_locally, registry, job, params, str(lake_root))
    return job


def _run_locally(registry: JobRegistry, job: Job, params: Any, lake_root: str) -> None:
    from flows.inventory_run import inventory_run_on

    with registry.run_lock:
        job.set_state(RUNNING)
        try:
            result = inventory_run_on()(params, lake_root)
            job.finish(COMPLETED, run_id=result["run_id"], release_id=result["release_id"])
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
    if state.is_completed():
        job.finish(COMPLETED, state.name or "")
    elif state.is_final():
        job.finish(FAILED, f"{state.name}: {state.message or 'see the Prefect UI'}")
    else:
        job.set_state(RUNNING if state.is_running() else PENDING, state.name or "")
