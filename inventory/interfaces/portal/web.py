"""What every portal page shares: templates, the signed-in user, access checks, forms, errors."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from inventory.core.errors import (
    DamagedLakeError,
    LakeWriteError,
    LockTimeoutError,
    NotFoundError,
    UserError,
    as_user_error,
    user_error_types,
)
from inventory.core.settings import IPNetwork
from inventory.interfaces.errors import internal_error, user_error_status
from inventory.interfaces.portal import security
from inventory.interfaces.portal.security import Session
from inventory.interfaces.portal.store import StateStore
from inventory.lake import tokens
from inventory.lake.releases import ChangedReleaseFileError, PublishError

log = logging.getLogger("inventory.interfaces.portal")

PORTAL = "/portal"
HERE = Path(__file__).resolve().parent
FORM_MAX_BYTES = 64 * 1024  # a url-encoded form of the portal is a few hundred bytes
_ISO3_RE = re.compile(r"^[A-Z]{3}$")


class PortalError(Exception):
    """A user-facing refusal rendered as an HTML error page (status, title, message)."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class SignInRequired(Exception):
    """No valid session: answered with a redirect to the sign-in page."""


@dataclass
class PortalState:
    """Per-app portal state (``app.state.portal``): sessions, throttles and jobs live in the
    state store (:mod:`.store`), shared by every process serving the lake."""

    store: StateStore = field(default_factory=StateStore)
    sessions: security.SessionStore = field(init=False)
    signin_limiter: security.RateLimiter = field(init=False)
    trusted_proxies: list[IPNetwork] = field(default_factory=list)
    env: Environment = field(default_factory=lambda: Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
        trim_blocks=True, lstrip_blocks=True))  # fmt: skip
    jobs: Any = None  # inventory.interfaces.portal.jobs.JobRegistry

    def __post_init__(self) -> None:
        self.sessions = security.SessionStore(self.store)
        self.signin_limiter = security.RateLimiter(self.store)


def portal(request: Request) -> PortalState:
    return request.app.state.portal


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """An HTML page from ``templates/<template>`` (autoescaped), with the security headers."""
    session: Session | None = getattr(request.state, "session", None)
    html = (
        portal(request)
        .env.get_template(template)
        .render(session=session, csrf=session.csrf if session else "", portal=PORTAL, **context)
    )
    response = HTMLResponse(html, status_code=status)
    security.add_security_headers(response, private=session is not None)
    return response


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    security.add_security_headers(response, private=True)
    return response


def download(content: bytes, filename: str, media_type: str) -> Response:
    """A file download (attachment, never rendered inline), not cached."""
    response = Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip
    security.add_security_headers(response, private=True)
    return response


# ---------------------------------------------------------------------------- who is signed in
def current_session(request: Request) -> Session:
    """The signed-in session (its token still active), else :class:`SignInRequired`."""
    state = portal(request)
    session = state.sessions.get(request.cookies.get(security.SESSION_COOKIE))
    if session is None:
        raise SignInRequired()
    if not tokens.is_active(request.app.state.token_store, session.token_id):
        state.sessions.drop(session.session_id)  # the token was revoked: sign out now
        raise SignInRequired()
    request.state.session = session
    return session


SignedIn = Annotated[Session, Depends(current_session)]


def require_compiler(session: SignedIn) -> Session:
    if session.role != tokens.COMPILER:
        raise PortalError(403, "Compilers only", "This page is for the inventory compilers.")
    return session


def country_access(country: str, session: SignedIn) -> str:
    """The ISO3 code in the URL, if this session may see it (own country, or a compiler)."""
    code = country.upper()
    if not _ISO3_RE.match(code):
        raise PortalError(404, "Not found", "There is no such country page.")
    if session.role != tokens.COMPILER and session.country != code:
        log.warning("portal: token %s (%s) refused access to %s", session.token_id,
                    session.country, code)  # fmt: skip
        raise PortalError(403, "Not your country", f"You are signed in for {session.country}: "
                          f"you can only see and submit {session.country}'s data.")  # fmt: skip
    return code


Compiler = Annotated[Session, Depends(require_compiler)]
Country = Annotated[str, Depends(country_access)]


def home_of(session: Session) -> str:
    if session.role == tokens.COMPILER:
        return f"{PORTAL}/compiler"
    return f"{PORTAL}/c/{session.country}"


# ---------------------------------------------------------------------------- forms
async def read_form(request: Request) -> dict[str, list[str]]:
    """A url-encoded form body, at most :data:`FORM_MAX_BYTES` (streamed, then parsed)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        raise PortalError(415, "Unexpected form", "Send the form from the portal's page.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise PortalError(413, "Form too large", "The form is larger than the portal takes.")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


async def checked_form(request: Request, session: Session) -> dict[str, list[str]]:
    """The form of a signed-in user after its CSRF token is checked."""
    form = await read_form(request)
    if not security.check_csrf(session, first(form, "csrf_token")):
        log.warning("portal: CSRF token missing or wrong (token %s)", session.token_id)
        raise PortalError(403, "Form expired", "The form was not sent from this session's "
                          "page (or it expired). Reload the page and try again.")  # fmt: skip
    return form


def first(form: dict[str, list[str]], name: str, default: str = "") -> str:
    values = form.get(name) or [default]
    return values[0].strip()


# ---------------------------------------------------------------------------- errors
# Page titles of user errors, by their most specific class listed here.
USER_ERROR_TITLES: dict[type[UserError], str] = {
    PublishError: "Not published", NotFoundError: "Not found", LockTimeoutError: "Busy",
    DamagedLakeError: "A data file cannot be read",
    ChangedReleaseFileError: "A published file was changed",
    LakeWriteError: "The data lake cannot be written",
}  # fmt: skip


def error_page(request: Request, status: int, title: str, message: str,
               action: str | None = None) -> HTMLResponse:  # fmt: skip
    return render(request, "error.html", status=status, title=title, message=message,
                  action=action)  # fmt: skip


def user_error_page(request: Request, err: UserError) -> HTMLResponse:
    """The one page of a user's mistake on a portal page: its message and its action."""
    title = next((USER_ERROR_TITLES[c] for c in type(err).__mro__ if c in USER_ERROR_TITLES),
                 "Please check")  # fmt: skip
    return error_page(request, user_error_status(err), title, err.message, err.action)


def install_error_handlers(app: Any) -> None:
    """HTML answers for the portal's refusals; JSON for the API is left as it is."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from inventory.interfaces.uploads import ApiError

    @app.exception_handler(PortalError)
    async def _portal_error(request: Request, err: PortalError) -> HTMLResponse:
        return error_page(request, err.status, err.title, err.message)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _err: SignInRequired) -> Response:
        return redirect(f"{PORTAL}/signin")

    api_http, api_error = app.exception_handlers[StarletteHTTPException], app.exception_handlers[
        ApiError]  # fmt: skip

    async def _http_error(request: Request, err: Any) -> Response:
        if not request.url.path.startswith(PORTAL):
            return await api_http(request, err)
        title = {404: "Not found", 405: "Not allowed"}.get(err.status_code, "Error")
        return error_page(request, err.status_code, title, str(err.detail))

    async def _upload_error(request: Request, err: Any) -> Response:
        if not request.url.path.startswith(PORTAL):
            return await api_error(request, err)
        return error_page(request, err.status, "Upload refused", err.message)

    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ApiError, _upload_error)

    api_user_error = app.exception_handlers[UserError]  # the API's one handler of them all

    async def _user_error(request: Request, err: Exception) -> Response:
        if not request.url.path.startswith(PORTAL):
            return await api_user_error(request, err)
        user_error = as_user_error(err)
        if user_error is None:
            return error_page(request, 500, "Internal error", internal_error(err).message)
        return user_error_page(request, user_error)

    for kind in user_error_types():
        app.add_exception_handler(kind, _user_error)
