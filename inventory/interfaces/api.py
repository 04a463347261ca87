"""Submission HTTP API for country contact points (FastAPI).

Endpoints (JSON everywhere; errors read ``{"error": <code>, "message": <text>}``)::

    GET  /v1/health                          no token
    POST /v1/submissions                     Bearer token; multipart/form-data: either one .zip
                                             (format v1 package) or the package's files
                                             (``submission.yaml`` + data files), any field names
    GET  /v1/submissions                     Bearer token; the token's country's submissions
    GET  /v1/submissions/{submission_id}     Bearer token; own country's submissions only

POST answers ``201`` (accepted) or ``422`` (rejected) with the validation report
``{submission_id, country, accepted, status, failures: [...], n_failures, summary, receipt}``;
``401`` without a valid token; ``403`` when ``submission.yaml`` names another country than the
token's; ``413`` when the body exceeds ``max_upload_bytes`` (checked on Content-Length and again
while streaming, so a chunked upload is cut off at the limit) or a zip unpacks to more than
10 x that; ``400``/``415`` for a malformed upload. Streaming and the pre-storage checks live in
:mod:`inventory.interfaces.uploads`.

Country isolation: the token's country is the only country the request can touch. A package for
another country is refused **before anything is stored** (``raw/<country>/`` is that country's
immutable record); reads look only below ``raw/<token country>/``, and another country's
submission id answers 404 exactly like an unknown one. The upload is spooled to a temporary
directory that is always deleted.

Processing is the intake flow ``flows.intake.intake`` (store in raw/, validate, quarantine or
harmonise), run in-process by default, or as a run of the deployment named by ``intake_deployment``
(e.g. ``"intake/intake"``, needs ``PREFECT_API_URL`` and a served deployment on the same machine,
since the flow reads the spooled upload). The report is then read back from the lake (quarantine/ or
validated/). Submissions are processed one at a time per app (a lock): the harmonised zone has one
writer.

Run: :func:`serve_api` (``soc-inventory api``), or
``uvicorn --factory inventory.interfaces.api:app_from_env`` (settings: the ``SOILC_*`` variables
of :mod:`inventory.core.settings`). Tokens: :mod:`inventory.lake.tokens`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from inventory.interfaces import uploads
from inventory.interfaces.uploads import ApiError, PackageRejected, package_country, receive_upload
from inventory.lake import tokens
from inventory.lake.zones import Lake

log = logging.getLogger("inventory.interfaces.api")

API_VERSION = "v1"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20
UNPACK_RATIO = 10  # a zip may unpack to at most 10 x the upload limit (zip-bomb guard)
DEPLOYMENT_TIMEOUT_S = 900
_SUBMISSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

# (package path, lake root, submitter) -> {"submission_id", "country", ...}
IntakeBackend = Callable[[Path, Path, str], dict]


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


# ---------------------------------------------------------------------------- intake backends
def run_intake_flow(package: Path, lake_root: Path, submitter: str) -> dict:
    """Run the Prefect intake flow in this process (ephemeral or configured Prefect API), then
    emit ``soil.submission.received`` for the stored submission."""
    from flows.events import emit_submission_received
    from flows.intake import intake

    outcome = intake(str(package), str(lake_root), submitter)
    emit_submission_received(outcome, outcome["raw_dir"], submitter)
    return outcome


def _emit(outcome: dict, raw_dir: str, submitter: str) -> None:
    from flows.events import emit_submission_received

    emit_submission_received(outcome, raw_dir, submitter)


Announce = Callable[[dict, str, str], None]  # (outcome, raw dir, submitter)


def deployment_backend(name: str, *, timeout_s: float = DEPLOYMENT_TIMEOUT_S,
                       announce: Announce = _emit) -> IntakeBackend:  # fmt: skip
    """A backend running the intake deployment ``name`` (``flow/deployment``) and waiting, then
    emitting ``soil.submission.received`` (``announce``)."""

    def run(package: Path, lake_root: Path, submitter: str) -> dict:
        from prefect.deployments import run_deployment

        params = {"path": str(package), "lake_root": str(lake_root), "submitter": submitter}
        flow_run: Any = run_deployment(name, parameters=params, timeout=timeout_s)
        if flow_run.state is None or not flow_run.state.is_completed():
            state = flow_run.state.name if flow_run.state else "unknown"
            raise RuntimeError(f"intake flow run {flow_run.id} ended {state}")
        lake = Lake.at(lake_root)
        found = find_by_submitter(lake, submitter)
        if found is None:
            raise RuntimeError(f"intake flow run {flow_run.id} stored no submission")
        outcome = {"country": found[0], "submission_id": found[1], "flow_run_id": str(flow_run.id)}
        announce(outcome, str(lake.raw(*found)), submitter)
        return outcome

    return run


def find_by_submitter(lake: Lake, submitter: str) -> tuple[str, str] | None:
    """(country, submission_id) of the stored submission whose receipt names ``submitter``."""
    for receipt in sorted((lake.root / "raw").glob("*/*/receipt.json"), reverse=True):
        if json.loads(receipt.read_text(encoding="utf-8")).get("submitter") == submitter:
            return receipt.parent.parent.name, receipt.parent.name
    return None


# ---------------------------------------------------------------------------- reports from the lake
def _failure_records(failures: Any) -> list[dict]:
    if isinstance(failures, dict):  # pandas "columns" orientation {column: {row: value}}
        rows = sorted({k for column in failures.values() for k in column}, key=str)
        return [{c: failures[c].get(r) for c in failures} for r in rows]
    return list(failures or [])


def read_report(where: Path) -> tuple[list[dict], dict]:
    """Failures and summary of the JSON validation report in ``where`` (``report.json`` first)."""
    candidates = [where / "report.json", *sorted(where.glob("*.json"))]
    for path in candidates:
        if not path.is_file():
            continue
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict) and ("failures" in payload or "summary" in payload):
            return _failure_records(payload.get("failures")), dict(payload.get("summary") or {})
    return [], {}


def submission_report(lake: Lake, country: str, submission_id: str) -> dict | None:
    """Receipt and validation report of ``country``'s submission; None when it has none."""
    if not _SUBMISSION_ID_RE.match(submission_id):
        return None
    receipt_path = lake.raw(country, submission_id) / "receipt.json"
    if not receipt_path.is_file():
        return None
    if lake.quarantine(country, submission_id).is_dir():
        status, accepted = "rejected", False
        failures, summary = read_report(lake.quarantine(country, submission_id))
    elif lake.validated(country, submission_id).is_dir():
        status, accepted = "accepted", True
        where = lake.validated(country, submission_id)
        failures, summary = read_report(where)
        summary = summary or {"datasets": sorted(p.stem for p in where.glob("*.parquet"))}
    else:  # stored, not yet (or, after an internal error, never) filed
        status, accepted, failures, summary = "received", None, [], {}
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    return json.loads(json.dumps({
        "submission_id": submission_id, "country": country, "accepted": accepted,
        "status": status, "failures": failures, "n_failures": len(failures),
        "summary": summary, "receipt": receipt,
    }, default=str))  # fmt: skip


def list_submissions(lake: Lake, country: str) -> list[dict]:
    """Status of each of ``country``'s stored submissions, newest first (no failure rows)."""
    out = []
    for receipt in sorted((lake.root / "raw" / country).glob("*/receipt.json"), reverse=True):
        report = submission_report(lake, country, receipt.parent.name)
        if report is not None:
            out.append({k: report[k] for k in ("submission_id", "status", "n_failures")})
    return out


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

    @app.exception_handler(Exception)
    async def _internal(_request: Request, err: Exception) -> JSONResponse:
        error = internal_error(err)  # fallback; Starlette re-raises after this response
        return _error_response(error.status, error.code, error.message)


def internal_error(err: Exception) -> ApiError:
    """A 500 naming only a reference; the traceback goes to the server log."""
    ref = secrets.token_hex(4)
    log.error("internal error (ref %s)", ref, exc_info=err)
    return ApiError(500, "internal_error", f"internal error, reference {ref}; the inventory "
                    "team can look it up in the server log")  # fmt: skip


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
    app.state.lock = threading.Lock()
    _install_error_handlers(app)

    @app.get("/v1/health")
    def health() -> dict:
        return {"status": "ok", "api_version": API_VERSION}

    @app.post("/v1/submissions")
    async def post_submission(request: Request, country: str = Depends(require_country)):
        state = request.app.state
        with tempfile.TemporaryDirectory(prefix="soc-upload-", dir=state.upload_dir) as tmp:
            folder = Path(tmp) / "package"
            files = await receive_upload(request, folder, state.max_upload_bytes)
            try:
                report = await run_in_threadpool(_check_and_process, request, files, folder,
                                                 country)  # fmt: skip
            except ApiError:
                raise
            except Exception as err:  # answered as a handled 500, keeping the connection usable
                raise internal_error(err) from None
        return JSONResponse(report, status_code=201 if report["accepted"] else 422)

    @app.get("/v1/submissions")
    def get_submissions(country: str = Depends(require_country)) -> dict:
        return {"country": country, "submissions": list_submissions(app.state.lake, country)}

    @app.get("/v1/submissions/{submission_id}")
    def get_submission(submission_id: str, country: str = Depends(require_country)) -> dict:
        report = submission_report(app.state.lake, country, submission_id)
        if report is None:  # also for another country's id: existence is not revealed
            raise ApiError(404, "not_found", f"no submission {submission_id!r} for {country}")
        return report

    return app


def _rejected_unstored(country: str, failures: list[dict]) -> dict:
    return {"submission_id": None, "country": country, "accepted": False, "status": "rejected",
            "failures": failures, "n_failures": len(failures), "summary": {"stored": False},
            "receipt": None}  # fmt: skip


def _check_and_process(request: Request, files: list[Path], folder: Path, country: str) -> dict:
    state, token_id = request.app.state, getattr(request.state, "token_id", None)
    package = uploads.package_path(files, folder)
    limit = state.max_upload_bytes * UNPACK_RATIO
    try:
        declared = package_country(package, max_unpacked=limit)
    except PackageRejected as err:
        return _rejected_unstored(country, err.failures)
    if declared != country:
        log.warning("token %s (%s) sent a package for %s: refused, nothing stored",
                    token_id, country, declared)  # fmt: skip
        raise ApiError(403, "wrong_country", f"your token is for {country} but submission.yaml "
                       f"says {declared}; a token can only submit for its own country")  # fmt: skip
    submitter = f"api token {token_id} upload {secrets.token_hex(6)}"
    with state.lock:
        outcome = state.intake(package, state.lake.root, submitter)
    if outcome.get("country") != country:  # checked before storing: a mismatch is a bug
        raise RuntimeError(f"intake stored country {outcome.get('country')} for {country}")
    report = submission_report(state.lake, country, str(outcome.get("submission_id")))
    if report is None:
        raise RuntimeError(f"intake outcome {outcome} names no stored submission")
    return report


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
              *, max_upload_mb: float | None = None) -> None:  # fmt: skip
    """Serve the submission API (blocking; Ctrl-C stops) with :func:`app_from_env` settings."""
    import uvicorn

    from inventory.core import settings

    settings.configure_prefect_environment()
    uvicorn.run(app_from_env(lake_root, max_upload_mb=max_upload_mb), host=host, port=port)
