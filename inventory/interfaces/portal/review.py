"""Compiler pages of the review: candidates with what they change, approve or return.

The same domain functions as the CLI (``soc-inventory review``, ``approve``, ``return``) and
the HTTP API (``/v1/review``): :mod:`inventory.harmonise.review`. An approval that drops strata
or years (or rows of the current release) is only taken with the confirmation box ticked; a
return needs a note, which the contact point sees on its submissions page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from inventory.core.errors import UserError
from inventory.harmonise import review
from inventory.interfaces.portal import web
from inventory.interfaces.portal.web import PORTAL, Compiler

router = APIRouter(prefix="/compiler/review", include_in_schema=False)


def _reviewer(request: Request, session: web.Session) -> str:
    return f"portal compiler token {session.token_id}"


def _candidates(request: Request) -> list[dict]:
    lake = request.app.state.lake
    out = []
    for row in review.candidates(lake):
        summary = review.change_summary(lake, row["country"], row["submission_id"])
        out.append({**row, "lines": review.describe(summary), "drops": summary["drops"]})
    return out


def _page(request: Request, status: int = 200, error: UserError | None = None,
          done: str = "") -> web.HTMLResponse:  # fmt: skip
    return web.render(request, "review.html", status=status, rows=_candidates(request),
                      error=error, done=done)  # fmt: skip


@router.get("")
def review_page(request: Request, session: Compiler):
    return _page(request)


@router.post("/{submission_id}")
async def decide(request: Request, submission_id: str, session: Compiler):
    form = await web.checked_form(request, session)
    lake = request.app.state.lake
    decision = web.first(form, "decision")
    try:
        country = await run_in_threadpool(review.country_of_submission, lake, submission_id)
        if decision == "approve":
            await run_in_threadpool(lambda: review.approve(
                lake, country, submission_id, by=_reviewer(request, session),
                confirm_drop=web.first(form, "confirm_drop") == "yes",
                note=web.first(form, "note")))  # fmt: skip
            done = f"Approved: {country} submission {submission_id} is the current input."
        elif decision == "return":
            await run_in_threadpool(lambda: review.return_submission(
                lake, country, submission_id, by=_reviewer(request, session),
                note=web.first(form, "note")))  # fmt: skip
            done = f"Returned {country} submission {submission_id} to its contact point."
        else:
            raise web.PortalError(400, "Unexpected form", "Choose Approve or Return.")
    except UserError as err:
        return _page(request, 422, err)
    web.log.info("portal: %s %s by token %s", decision, submission_id, session.token_id)
    return _page(request, done=done)


__all__ = ["router", "PORTAL"]
