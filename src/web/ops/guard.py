"""The admin guard: `/admin` and everything under it, and the ops API, are for admins only.

- `/admin...` (the dashboard pages): an admin session. A visitor gets a 403 page with a
  log-in link (back to the page after), a logged-in non-admin a 403 page.
- `/api/ops/...` (JSON): an admin session, or `Authorization: Bearer $OPS_TOKEN` (compared in
  constant time). A wrong or malformed token is a 401; a bearer token while `OPS_TOKEN` is
  not set is a 401 that says so; a visitor or non-admin without a token is a 403.
  Cookie-authenticated unsafe calls (POST, DELETE...) must carry the session's CSRF token in
  the `X-CSRF-Token` header (the dashboard's pages have it); bearer calls need none.

Every 403 records an `auth.forbidden` event and raises a `forbidden` alert. The guard runs
before the router's 404, so a visitor cannot probe which admin pages exist.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from src.common.middleware import request_id
from src.common.tokens import tokens_match
from src.web.app_keys import EVENT_RECORDER, SETTINGS
from src.web.auth import current_user
from src.web.data.users import UserRecord
from src.web.events import builders
from src.web.ops.app_keys import OPS_ALERTS, OPS_PRINCIPAL, Principal
from src.web.security.csrf import CSRF_HEADER, csrf_token
from src.web.templating import render

__all__ = ["ADMIN_PREFIX", "OPS_API_PREFIX", "ops_guard_middleware"]

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin"
OPS_API_PREFIX = "/api/ops"
SIDE_EFFECT_TIMEOUT = 2.0
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _area(path: str) -> str | None:
    for prefix, area in ((ADMIN_PREFIX, "pages"), (OPS_API_PREFIX, "api")):
        if path == prefix or path.startswith(prefix + "/"):
            return area
    return None


def _unauthorized(message: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(
        text=message, headers={"WWW-Authenticate": 'Bearer realm="wolfit ops"'}
    )


def _bearer(request: web.Request) -> Principal:
    """The OPS_TOKEN principal, or a 401 saying what is wrong with the header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized('Send the token as "Authorization: Bearer <OPS_TOKEN>".')
    expected = request.app[SETTINGS].ops_token
    if expected is None:
        raise _unauthorized(
            "The ops API takes no bearer token: OPS_TOKEN is not set on this server. "
            "Log in as an admin, or set OPS_TOKEN."
        )
    if not tokens_match(expected, token.strip()):
        raise _unauthorized("Wrong ops token.")
    return Principal("token", "ops-token")


async def _note_forbidden(request: web.Request, user: UserRecord | None) -> None:
    """The `auth.forbidden` event and the `forbidden` alert; neither may fail the answer."""
    event = builders.access_forbidden(
        user,
        method=request.method,
        path=request.path,
        remote=request.remote,
        request_id=request_id(request),
    )
    subject = user.username if user is not None else f"visitor@{request.remote or 'unknown'}"
    try:
        async with asyncio.timeout(SIDE_EFFECT_TIMEOUT):
            await request.app[EVENT_RECORDER].record(event)
    except Exception as exc:
        log.warning("could not record the auth.forbidden event: %s", exc)
    alerts = request.app.get(OPS_ALERTS)
    if alerts is not None:
        try:
            async with asyncio.timeout(SIDE_EFFECT_TIMEOUT):
                await alerts.forbidden(subject, request.method, request.path)
        except Exception as exc:
            log.warning("could not raise the forbidden alert: %s", exc)


async def _forbidden_answer(
    request: web.Request, area: str, user: UserRecord | None
) -> web.Response:
    await _note_forbidden(request, user)
    if area == "api":
        message = (
            "The ops API is for admins: log in as an admin or send the OPS_TOKEN."
            if user is None
            else f"{user.username} is not an admin: the ops API is for admins only."
        )
        return web.json_response({"error": message}, status=403)
    login = request.app.router["login"].url_for().with_query(next=request.path_qs)
    context = {
        "status": 403,
        "title": "Admins only",
        "message": (
            "The operator dashboard is for admins. Log in with an admin account."
            if user is None
            else f"You are logged in as {user.username}, who is not an admin."
        ),
        "login_url": str(login) if user is None else None,
    }
    return await render(request, "admin_forbidden.html", context, status=403)


async def _check_csrf(request: web.Request) -> None:
    expected = await csrf_token(request)
    sent = request.headers.get(CSRF_HEADER, "")
    if not tokens_match(expected, sent):
        raise web.HTTPForbidden(
            text=f"Send the session's CSRF token in the {CSRF_HEADER} header "
            "(cookie-authenticated calls that change something need it)."
        )


@web.middleware
async def ops_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let admins (and, for the API, the OPS_TOKEN) through; refuse everyone else."""
    area = _area(request.path)
    if area is None:
        return await handler(request)
    if area == "api" and "Authorization" in request.headers:
        request[OPS_PRINCIPAL] = _bearer(request)
        return await handler(request)
    user = await current_user(request)
    if user is None or not user.is_admin:
        return await _forbidden_answer(request, area, user)
    request[OPS_PRINCIPAL] = Principal("session", user.username)
    if area == "api" and request.method not in _SAFE_METHODS:
        await _check_csrf(request)
    return await handler(request)
