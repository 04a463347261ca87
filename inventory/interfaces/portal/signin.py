"""Sign-in with a token (exchanged for a session cookie) and sign-out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from inventory.interfaces.portal import security, web
from inventory.interfaces.portal.security import Session
from inventory.interfaces.portal.web import PORTAL, SignedIn, current_session
from inventory.lake import tokens

router = APIRouter(include_in_schema=False)


def _signed_in(request: Request) -> Session | None:
    try:
        return current_session(request)
    except web.SignInRequired:
        return None


@router.get("/")
@router.get("")
def portal_root(request: Request) -> Response:
    session = _signed_in(request)
    return web.redirect(web.home_of(session) if session else f"{PORTAL}/signin")


def _signin_page(request: Request, status: int = 200, error: str = "") -> Response:
    nonce = secrets.token_urlsafe(24)
    page = web.render(request, "signin.html", status=status, error=error,
                      signin_csrf=web.portal(request).sessions.presession_token(nonce))  # fmt: skip
    security.set_cookie(page, request, security.PRESESSION_COOKIE, nonce)
    return page


@router.get("/signin")
def signin_page(request: Request) -> Response:
    session = _signed_in(request)
    return web.redirect(web.home_of(session)) if session else _signin_page(request)


@router.post("/signin")
async def signin(request: Request) -> Response:
    state = web.portal(request)
    form = await web.read_form(request)
    nonce = request.cookies.get(security.PRESESSION_COOKIE)
    if not state.sessions.check_presession(nonce, web.first(form, "csrf_token")):
        return _signin_page(request, 403, "The sign-in form expired. Please try again.")
    client = security.client_address(request, state.trusted_proxies)
    submitted = web.first(form, "token")
    token_id = tokens.token_id_of(submitted)
    limits = [(security.ADDRESS_THROTTLE, client, "from your address")]
    if token_id:  # a real token id's secret is never tried faster than its throttle allows
        limits.append((security.TOKEN_THROTTLE, token_id, "with this token"))
    for throttle, key, where in limits:
        wait = state.signin_limiter.retry_after(throttle, key)
        if wait > 0:
            seconds = int(wait) + 1
            page = _signin_page(request, 429, f"Too many failed sign-ins {where}. Try again in "
                                f"{seconds} seconds.")  # fmt: skip
            page.headers["Retry-After"] = str(seconds)
            return page
    identity = await run_in_threadpool(tokens.identify, request.app.state.token_store, submitted)
    if identity is None:
        for throttle, key, _where in limits:
            state.signin_limiter.record(throttle, key)
        web.log.warning("portal: failed sign-in from %s (token id %s)", client, token_id)
        return _signin_page(request, 401, "This token is unknown or revoked. Ask the "
                            "inventory team for a new one.")  # fmt: skip
    state.signin_limiter.clear(security.TOKEN_THROTTLE, identity.token_id)
    old = request.cookies.get(security.SESSION_COOKIE)
    if old:
        state.sessions.drop(old)  # a new session id at every sign-in (no session fixation)
    session = state.sessions.create(identity.token_id, identity.role, identity.country)
    response = web.redirect(web.home_of(session))
    security.set_cookie(response, request, security.SESSION_COOKIE, session.session_id)
    security.clear_cookie(response, request, security.PRESESSION_COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request, session: SignedIn) -> Response:
    await web.checked_form(request, session)
    web.portal(request).sessions.drop(session.session_id)
    response = web.redirect(f"{PORTAL}/signin")
    security.clear_cookie(response, request, security.SESSION_COOKIE)
    return response
