"""Pages of a country: templates, upload, submission history and reports, published results.

Every route takes the country from the URL and checks it against the session
(:func:`web.country_access`): a contact point sees only its own country, a compiler every
country (read-only: only contact points upload).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from inventory.engine.reporting_tables import published_schema
from inventory.intake.manifest import APPROACH_LABELS, TIERS
from inventory.interfaces.portal import history, jobs, web
from inventory.interfaces.portal.security import Session
from inventory.interfaces.portal.web import PORTAL, Country, PortalError, SignedIn
from inventory.interfaces.uploads import submission_report
from inventory.lake import releases, tokens
from inventory.validation import templates
from inventory.validation.rules import SPECS

router = APIRouter(include_in_schema=False)
FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
REFRESH_S = 2  # progress pages reload themselves this often
DRAFT_FIELDS = ("contact_name", "contact_email", "first_year", "last_year", "tier", "approach")


def _lake(request: Request):
    return request.app.state.lake


def _country_url(country: str, path: str = "") -> str:
    return f"{PORTAL}/c/{country}{path}"


@router.get("/c/{country}")
def country_home(request: Request, country: Country):
    subs = history.submission_history(_lake(request), country)
    published = country in history.published_countries(_lake(request))
    return web.render(request, "country.html", country=country, latest=subs[0] if subs else None,
                      published=published)  # fmt: skip


# ---------------------------------------------------------------------------- templates
@router.get("/templates")
def template_list(request: Request, session: SignedIn):
    rules = {name: templates.column_rules(name) for name in SPECS}
    return web.render(request, "templates.html", rules=rules)


@router.get("/templates/{dataset}.{fmt}")
def template_file(dataset: str, fmt: str, session: SignedIn):
    if dataset not in SPECS or fmt not in ("xlsx", "csv"):
        raise PortalError(404, "Not found", "There is no such template.")
    if fmt == "csv":
        return web.download(templates.template_csv(dataset), f"{dataset}.csv", FORMATS["csv"])
    content = templates.template_xlsx(dataset, country=session.country)
    return web.download(content, f"{dataset}.xlsx", FORMATS["xlsx"])


@router.get("/c/{country}/submission.yaml")
def manifest_template(country: Country):
    text = templates.submission_yaml_template(country)
    return web.download(text.encode("utf-8"), "submission.yaml", "text/yaml; charset=utf-8")


# ---------------------------------------------------------------------------- upload
def _contact_only(session: Session) -> None:
    if session.role != tokens.CONTACT:
        raise PortalError(403, "Contact points only", "Only a country's contact point submits "
                          "its data; compilers can read every country's pages.")  # fmt: skip


@router.get("/c/{country}/upload")
def upload_page(request: Request, country: Country,
                session: SignedIn):  # fmt: skip
    _contact_only(session)
    draft = session.draft or {}
    return web.render(request, "upload.html", country=country, draft=draft,
                      zip_form=session.new_form_id(), files_form=session.new_form_id(),
                      tiers=TIERS, approaches=APPROACH_LABELS,
                      limit_mb=request.app.state.max_upload_bytes / 2**20)  # fmt: skip


@router.post("/c/{country}/upload/manifest")
async def save_draft(request: Request, country: Country,
                     session: SignedIn):  # fmt: skip
    _contact_only(session)
    form = await web.checked_form(request, session)
    session.draft = {name: web.first(form, name)[:200] for name in DRAFT_FIELDS}
    return web.redirect(_country_url(country, "/upload#files"))


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def write_manifest(folder: Path, files: list[Path], draft: dict, country: str) -> Path:
    """``submission.yaml`` from the manifest form and the files' datasets (by name or header)."""
    datasets = {path: templates.dataset_of_file(path) for path in files}
    unknown = sorted(p.name for p, d in datasets.items() if d is None)
    if unknown:
        raise PortalError(422, "Which dataset is this file?", f"Could not tell the dataset of "
                          f"{', '.join(unknown)}: name each file after its dataset (e.g. "
                          "land_areas.csv) or start from the portal's templates.")  # fmt: skip
    manifest = {
        "format_version": 1, "country": country,
        "contact": {"name": draft.get("contact_name", ""), "email": draft.get("contact_email", "")},
        "years": [_number(draft.get("first_year", "")), _number(draft.get("last_year", ""))],
        "tier": _number(draft.get("tier", "")), "approach": _number(draft.get("approach", "")),
        "files": {d: p.relative_to(folder).as_posix() for p, d in datasets.items()},
    }  # fmt: skip
    path = folder / "submission.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def _with_manifest(files: list[Path], folder: Path, session: Session, country: str) -> list[Path]:
    has_manifest = any(p.name == "submission.yaml" for p in files)
    if has_manifest or (len(files) == 1 and files[0].suffix.lower() == ".zip"):
        return files
    if session.draft is None:
        raise PortalError(422, "Describe the submission first", "Fill in and save the "
                          "submission form (contact, years, tier, approach) before sending "
                          "data files, or include submission.yaml.")  # fmt: skip
    return [*files, write_manifest(folder, files, session.draft, country)]


@router.post("/c/{country}/upload")
async def upload(request: Request, country: Country, session: SignedIn, form: str = ""):
    """Receive a package (zip, or files + the saved manifest form) and process it in the
    background; the one-time form id in the URL is checked before the body is read."""
    _contact_only(session)
    if not session.use_form_id(form):
        raise PortalError(403, "Form expired", "This upload form was already used or has "
                          "expired. Open the upload page again.")  # fmt: skip
    spool = Path(tempfile.mkdtemp(prefix="soc-portal-", dir=request.app.state.upload_dir))
    request.state.token_id = session.token_id  # names the token in the receipt's submitter
    try:
        received = await jobs.receive_package(request, spool)
        if received.refusal is not None:  # too large, not multipart: kept in raw/, then refused
            await run_in_threadpool(jobs.refuse_package, request, received, country)
        received.files = _with_manifest(received.files, received.folder, session, country)
    except BaseException:
        shutil.rmtree(spool, ignore_errors=True)
        raise
    job = web.portal(request).jobs.new("upload", country)
    jobs.in_background(jobs.run_upload, job, request, received, spool)
    return web.redirect(_country_url(country, f"/uploads/{job.job_id}"))


@router.get("/c/{country}/uploads/{job_id}")
def upload_state(request: Request, job_id: str, country: Country):
    job = web.portal(request).jobs.get(job_id, "upload")
    if job is None or job.country != country:
        raise PortalError(404, "Not found", "No such upload (the portal follows the newest "
                          "500 jobs; see Submissions).")  # fmt: skip
    report = job.result.get("report") or {}
    if job.state == jobs.COMPLETED and report.get("submission_id"):
        return web.redirect(_country_url(country, f"/submissions/{report['submission_id']}"))
    if job.state == jobs.COMPLETED:  # refused before storing: nothing in raw/
        return _report_page(request, country, report)
    return web.render(request, "upload_state.html", country=country, job=job,
                      refresh=None if job.done else REFRESH_S)  # fmt: skip


# ---------------------------------------------------------------------------- submissions
@router.get("/c/{country}/submissions")
def submissions(request: Request, country: Country):
    rows = history.submission_history(_lake(request), country)
    return web.render(request, "submissions.html", country=country, rows=rows)


def _report(request: Request, country: str, submission_id: str) -> dict:
    report = submission_report(_lake(request), country, submission_id)
    if report is None:
        raise PortalError(404, "Not found", f"{country} has no submission {submission_id}.")
    return report


def _report_page(request: Request, country: str, report: dict):
    releases_ = history.releases_using(_lake(request), country).get(
        report.get("submission_id") or "", [])  # fmt: skip
    return web.render(request, "report.html", country=country, report=report,
                      receipt=history.receipt_of(report), releases=releases_,
                      groups=history.group_failures(report.get("failures") or []))  # fmt: skip


@router.get("/c/{country}/submissions/{submission_id}")
def submission_page(request: Request, submission_id: str, country: Country):
    return _report_page(request, country, _report(request, country, submission_id))


@router.get("/c/{country}/submissions/{submission_id}/report.{fmt}")
def report_download(request: Request, submission_id: str, fmt: str,
                    country: Country):  # fmt: skip
    if fmt not in ("csv", "xlsx"):
        raise PortalError(404, "Not found", "Reports download as CSV or XLSX.")
    frame = history.failures_frame(_report(request, country, submission_id))
    content = history.table_bytes(frame, fmt, sheet="problems")
    return web.download(content, f"report-{submission_id}.{fmt}", FORMATS[fmt])


@router.get("/c/{country}/submissions/{submission_id}/receipt.json")
def receipt_download(request: Request, submission_id: str, country: Country):
    import json

    receipt = history.receipt_of(_report(request, country, submission_id))
    content = json.dumps(receipt, indent=2, sort_keys=True).encode("utf-8")
    return web.download(content, f"receipt-{submission_id}.json", "application/json")


# ---------------------------------------------------------------------------- results
@router.get("/c/{country}/results")
def results(request: Request, country: Country):
    from inventory.reporting import dashboard

    lake = _lake(request)
    panel, tables = "", []
    current = releases.current_release(lake)
    if current is not None and country in history.published_countries(lake):
        panel = dashboard.country_panels(dashboard.published_tables(lake), country)
        tables = [t for t in releases.PUBLISHED_TABLES
                  if (current / t / f"country={country}").is_dir()]  # fmt: skip
    summaries = {t: published_schema.table_summary(t) for t in tables}
    return web.render(request, "results.html", country=country, panel=panel, tables=tables,
                      summaries=summaries, release=current.name if current else None)  # fmt: skip


@router.get("/c/{country}/results/{table}.{fmt}")
def result_download(request: Request, table: str, fmt: str,
                    country: Country) -> Response:  # fmt: skip
    if table not in releases.PUBLISHED_TABLES or fmt not in FORMATS:
        raise PortalError(404, "Not found", "There is no such published table or format.")
    frame = history.country_table(_lake(request), table, country)
    if frame.empty:
        raise PortalError(404, "Not published", f"{table} has no published rows for {country}.")
    try:
        content = history.table_bytes(frame, fmt, sheet=table)
    except ValueError as err:
        raise PortalError(413, "Too large for a spreadsheet", str(err)) from None
    return web.download(content, f"{table}_{country}.{fmt}", FORMATS[fmt])
