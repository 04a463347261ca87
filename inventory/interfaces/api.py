"""Submission HTTP API for country contact points (FastAPI).

Endpoints (JSON everywhere; errors read ``{"error": <code>, "message": <text>}``, and a user's
mistake (any :class:`~inventory.core.errors.UserError`) also carries ``"action"``: what resolves
it)::

    GET  /v1/health                          no token
    POST /v1/submissions                     Bearer token; multipart/form-data: either one .zip
                                             (format v1 package) or the package's files
                                             (``submission.yaml`` + data files), any field names
    GET  /v1/submissions                     Bearer token; the token's country's submissions
    GET  /v1/submissions/{submission_id}     Bearer token; own country's submissions only
    POST /v1/scenarios                       Bearer token; body: a scenario file (YAML,
                                             docs/scenarios.md); a contact point's scenario
                                             names its own country only, a compiler's any
    GET  /v1/scenarios                       Bearer token; published scenario answers (their
                                             manifests) of the token's country, or all
    /portal/...                              the web portal (HTML, session cookies), see
                                             :mod:`inventory.interfaces.portal`

POST answers ``201`` (accepted) or ``422`` (rejected) with the validation report
``{submission_id, country, accepted, status, url, failures: [...], n_failures, summary, receipt}``;
``401`` without a valid token; ``403`` when ``submission.yaml`` names another country than the
token's; ``413`` when the body exceeds ``max_upload_bytes`` (checked while streaming, so a
chunked upload is cut off at the limit) or a zip unpacks to more than 10 x that; ``400``/``415``
for a malformed upload. Every received byte (up to the limit) is kept in ``raw/<token country>/``
with its receipt, refused uploads included, and their answers carry the ``submission_id``.
Receiving, storing and the checks before validation are
:func:`inventory.interfaces.uploads.submit_upload` (shared with the web portal). Answers carry
ids and URLs, never a server path.

Country isolation: the token's country is the only country the request can touch. Every upload
is filed under the token's country, whatever the package claims, and a package naming another
country is quarantined there (403), never validated, harmonised or published for either;
reads look only below ``raw/<token country>/``, and another country's submission id answers 404
exactly like an unknown one. The spooled upload is always deleted.

Processing is the intake flow ``flows.intake.intake`` on the stored submission (validate,
quarantine or harmonise), run in-process by default, or as a run of the deployment named by
``intake_deployment`` (e.g. ``"intake/intake"``, needs ``PREFECT_API_URL`` and a served
deployment reading the same lake). Submissions are processed one at a time per app (a lock).
Each filed upload is then announced as the ``soil.submission.received`` event (with its id;
:func:`announce_submission`), API and portal alike.

Run: :func:`serve_api` (``soc-inventory api``; SIGTERM or Ctrl-C stops it and the Prefect server
it started), or ``uvicorn --factory inventory.interfaces.api:app_from_env`` (settings: the
``SOILC_*`` variables of :mod:`inventory.core.settings`). Tokens: :mod:`inventory.lake.tokens`.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inventory.core.errors import as_user_error, user_error_types
from inventory.interfaces.errors import internal_error, user_error_body, user_error_status
from inventory.interfaces.http_guard import GuardMiddleware, server_config
from inventory.interfaces.portal import install_portal
from inventory.interfaces.uploads import (
    UNPACK_RATIO,
    ApiError,
    ProcessBackend,
    list_submissions,
    read_report,
    submission_report,
    submit_upload,
    upload_options,
)
from inventory.lake import tokens
from inventory.lake.zones import Lake

log = logging.getLogger("inventory.interfaces.api")

API_VERSION = "v1"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20
DEPLOYMENT_TIMEOUT_S = 900
__all__ = ["UNPACK_RATIO", "announce_submission", "app_from_env", "create_app",
           "deployment_backend", "internal_error", "list_submissions", "read_report",
           "run_intake_flow", "serve_api", "submission_report", "upload_options"]  # fmt: skip


# ---------------------------------------------------------------------------- authentication
def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send your country token as 'Authorization: Bearer "
                       "<token>'", headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    return token.strip()


def require_country(request: Request) -> str:
    """The ISO3 country of the request's token (sync: FastAPI runs scrypt in the thread pool)."""
    token = _bearer(request)
    country = tokens.verify(request.app.state.token_store, token)
    if country is None:
        raise ApiError(401, "invalid_token", "the token is unknown or revoked; ask the inventory "
                       "team for a new one", headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    request.state.token_id = tokens.token_id_of(token)
    return country


def require_identity(request: Request) -> tokens.Identity:
    """The token's identity: a contact point (country) or a compiler (every country)."""
    token = _bearer(request)
    identity = tokens.identify(request.app.state.token_store, token)
    if identity is None:
        raise ApiError(401, "invalid_token", "the token is unknown or revoked; ask the inventory "
                       "team for a new one", headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    return identity


IDENTITY = Depends(require_identity)


def run_scenario_flow(lake_root: Path, text: str) -> dict:
    """The scenario flow in this process (``flows.scenario.scenario_run``)."""
    from flows.scenario import scenario_run

    return scenario_run(text, str(lake_root), "scenario.yaml")


# ---------------------------------------------------------------------------- intake backends
def run_intake_flow(lake_root: Path, submission_id: str) -> dict:
    """Run the Prefect intake flow on a stored submission in this process."""
    from flows.intake import intake

    return intake(lake_root=str(lake_root), submission_id=submission_id)


def announce_submission(outcome: dict, raw_dir: str, submitter: str | None) -> None:
    """Emit ``soil.submission.received`` for a filed upload (nothing without a Prefect server):
    the ``intake`` deployment's trigger finds it filed; automations and the event log see it."""
    from flows.events import emit_submission_received

    emit_submission_received(outcome, raw_dir, submitter)


def deployment_backend(name: str, *, timeout_s: float = DEPLOYMENT_TIMEOUT_S) -> ProcessBackend:
    """A backend running the intake deployment ``name`` (``flow/deployment``) and waiting."""

    def run(lake_root: Path, submission_id: str) -> dict:
        from prefect.deployments import run_deployment

        params = {"lake_root": str(lake_root), "submission_id": submission_id}
        flow_run: Any = run_deployment(name, parameters=params, timeout=timeout_s)
        if flow_run.state is None or not flow_run.state.is_completed():
            state = flow_run.state.name if flow_run.state else "unknown"
            raise RuntimeError(f"intake flow run {flow_run.id} ended {state}")
        return {"submission_id": submission_id, "flow_run_id": str(flow_run.id)}

    return run


# ---------------------------------------------------------------------------- the app
def _error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error_response(err.status, err.code, err.message, err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return _error_response(err.status_code, code, str(err.detail), err.headers)

    async def _user_error(_request: Request, err: Exception) -> JSONResponse:
        """The one place the API answers a user's mistake: 4xx, its message and action."""
        user_error = as_user_error(err)
        if user_error is None:  # e.g. another model's validation error: a bug
            error = internal_error(err)
            return _error_response(error.status, error.code, error.message)
        return JSONResponse(user_error_body(user_error), status_code=user_error_status(user_error))

    for kind in user_error_types():
        app.add_exception_handler(kind, _user_error)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, err: Exception) -> JSONResponse:
        error = internal_error(err)  # fallback; Starlette re-raises after this response
        return _error_response(error.status, error.code, error.message)


def create_app(
    lake_root: str | Path,
    token_store: str | Path | None = None,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    intake_deployment: str | None = None,
    upload_dir: Path | None = None,
) -> FastAPI:
    """The submission API over the lake at ``lake_root``.

    ``token_store``: token file (default ``<lake_root>/config/tokens.json``).
    ``max_upload_bytes``: request-body limit (413 beyond it; a zip may unpack to 10 x that).
    ``intake_deployment``: run this deployment instead of the intake flow in-process.
    ``upload_dir``: where uploads are spooled (default: system temp dir); always cleaned up.
    """
    app = FastAPI(title="SOC inventory submission API", version=API_VERSION,
                  openapi_url=f"/{API_VERSION}/openapi.json")  # fmt: skip
    lake = Lake.at(lake_root)
    app.state.lake = lake
    app.state.token_store = Path(token_store or tokens.store_path(lake.root))
    app.state.max_upload_bytes = int(max_upload_bytes)
    app.state.intake = deployment_backend(intake_deployment) if intake_deployment else (
        run_intake_flow)  # fmt: skip
    app.state.upload_dir = upload_dir
    app.state.announce = announce_submission  # tests may replace it
    app.state.scenario = run_scenario_flow
    app.state.lock = threading.Lock()
    _install_error_handlers(app)

    @app.get("/v1/health")
    def health() -> dict:
        return {"status": "ok", "api_version": API_VERSION}

    @app.post("/v1/submissions")
    async def post_submission(request: Request, country: str = Depends(require_country)):
        state = request.app.state
        token_id = getattr(request.state, "token_id", None)
        submitter = f"api token {token_id} upload {secrets.token_hex(6)}"
        try:
            outcome = await submit_upload(request, country, upload_options(state),
                                          submitter=submitter)  # fmt: skip
        except Exception as err:
            if isinstance(err, ApiError) or as_user_error(err) is not None:
                raise  # answered by their handlers
            raise internal_error(err) from None  # a handled 500, keeping the connection usable
        if outcome.status == 403:
            log.warning("token %s (%s) sent a package for another country: quarantined as %s",
                        token_id, country, outcome.body.get("submission_id"))  # fmt: skip
        return JSONResponse(outcome.body, status_code=outcome.status)

    @app.get("/v1/submissions")
    def get_submissions(country: str = Depends(require_country)) -> dict:
        return {"country": country, "submissions": list_submissions(app.state.lake, country)}

    @app.get("/v1/submissions/{submission_id}")
    def get_submission(submission_id: str, country: str = Depends(require_country)) -> dict:
        report = submission_report(app.state.lake, country, submission_id)
        if report is None:  # also for another country's id: existence is not revealed
            raise ApiError(404, "not_found", f"no submission {submission_id!r} for {country}")
        return report

    @app.post("/v1/scenarios")
    async def post_scenario(request: Request, identity: tokens.Identity = IDENTITY) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        from inventory.scenarios.model import MAX_SCENARIO_BYTES, parse_scenario

        body = await request.body()
        if len(body) > MAX_SCENARIO_BYTES:
            raise ApiError(413, "too_large", f"a scenario file is at most {MAX_SCENARIO_BYTES:,} "
                           "bytes")  # fmt: skip
        scenario, _ = parse_scenario(body)  # a user error (422) before anything runs
        others = [c for c in scenario.base.countries if c != identity.country]
        if identity.role != tokens.COMPILER and others:
            raise ApiError(403, "forbidden", f"a {identity.country} token runs scenarios of "
                           f"{identity.country} only, not {', '.join(others)}")  # fmt: skip
        result = await run_in_threadpool(app.state.scenario, app.state.lake.root,
                                         body.decode("utf-8-sig"))  # fmt: skip
        result.pop("path", None)  # answers carry ids, never a server path
        return JSONResponse(result, status_code=201)

    @app.get("/v1/scenarios")
    def get_scenarios(identity: tokens.Identity = IDENTITY) -> dict:
        from inventory.scenarios.run import published_scenarios

        found = []
        for record in published_scenarios(app.state.lake):
            record.pop("path", None)
            if identity.role == tokens.COMPILER or identity.country in record["countries"]:
                found.append(record)
        return {"scenarios": found}

    install_portal(app)
    build_stack = app.build_middleware_stack  # outside Starlette's error middleware: every
    guarded: Any = lambda: GuardMiddleware(build_stack())  # noqa: E731
    app.build_middleware_stack = guarded  # type: ignore[method-assign]
    return app


def app_from_env(lake_root: str | Path | None = None, *,
                 max_upload_mb: float | None = None) -> FastAPI:  # fmt: skip
    """The app with settings from the environment (``uvicorn --factory`` entry point).

    Lake ``lake_root`` or ``$SOILC_LAKE``; tokens ``$SOILC_TOKENS`` or
    ``<lake>/config/tokens.json``; limit ``max_upload_mb`` or ``$SOILC_API_MAX_UPLOAD_MB`` (50);
    ``$SOILC_INTAKE_DEPLOYMENT`` (unset: the intake flow runs in this process).
    """
    from inventory.core.settings import get_settings

    config = get_settings()
    limit_mb = max_upload_mb or config.api_max_upload_mb
    return create_app(
        lake_root or config.lake_root,
        config.tokens,
        max_upload_bytes=int(limit_mb * 2**20),
        intake_deployment=config.intake_deployment or None,
    )


def serve_api(host: str = "127.0.0.1", port: int = 8000, lake_root: str | Path | None = None,
              *, max_upload_mb: float | None = None, workers: int = 1) -> None:  # fmt: skip
    """Serve the submission API (blocking; Ctrl-C or SIGTERM stops it, and the Prefect server
    subprocess the in-process intake flow started) with :func:`app_from_env` settings and the
    project's uvicorn configuration (:func:`~inventory.interfaces.http_guard.server_config`).

    ``workers`` > 1 runs that many processes on one socket (they share the portal's state
    store in the lake); the lake and upload limit reach them through ``SOILC_LAKE`` and
    ``SOILC_API_MAX_UPLOAD_MB``.
    """
    import os

    import uvicorn

    from flows.serve import exit_on_sigterm
    from inventory.core import settings

    settings.configure_prefect_environment()
    if workers > 1:
        if lake_root is not None:
            os.environ["SOILC_LAKE"] = str(Path(lake_root).resolve())
        if max_upload_mb is not None:
            os.environ["SOILC_API_MAX_UPLOAD_MB"] = str(max_upload_mb)
        config = server_config(f"{__name__}:app_from_env", host, port, factory=True,
                               workers=workers)  # fmt: skip
    else:
        exit_on_sigterm()
        config = server_config(app_from_env(lake_root, max_upload_mb=max_upload_mb), host, port)
    server = uvicorn.Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run()
