"""What every dashboard page shares: drawing it in the admin layout, reading its query
values, one-shot notices after a form, and turning `OpsError`s into pages.

A bad query value is an `OpsBadRequest` (400) whose message says what to send; a Redis that
does not answer is an `OpsUnavailable` (503). `admin_page` draws both as the dashboard's
error page, so no page ever answers a 500 or a traceback for them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from src.web.ops import OPS_PRINCIPAL, OpsBadRequest, OpsError
from src.web.security.sessions import load_session
from src.web.templating import render

__all__ = [
    "PageHandler",
    "admin_page",
    "operator",
    "paging",
    "query_choice",
    "query_int",
    "redirect",
    "render_page",
    "set_notice",
]

log = logging.getLogger(__name__)

PageHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_NOTICE = "admin_notice"
MAX_OFFSET = 10_000_000
STATUS_TITLES = {
    400: "That request cannot be answered",
    404: "Not found",
    409: "Not possible right now",
    503: "A service is not answering",
}


async def set_notice(request: web.Request, text: str) -> None:
    """Keep `text` in the session for the next page (after a form's redirect)."""
    session = await load_session(request)
    session[_NOTICE] = text


async def _pop_notice(request: web.Request) -> str | None:
    session = await load_session(request)
    text = session.pop(_NOTICE, None) if _NOTICE in session else None
    return text if isinstance(text, str) else None


async def render_page(
    request: web.Request,
    template: str,
    section: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """The dashboard page `template` with its nav entry `section` marked active."""
    full = {"section": section, "notice": await _pop_notice(request), **(context or {})}
    return await render(request, f"admin/{template}", full, status=status)


def redirect(request: web.Request, route: str, **parts: str) -> web.HTTPSeeOther:
    """A 303 to the named dashboard route (after a form POST)."""
    return web.HTTPSeeOther(str(request.app.router[route].url_for(**parts)))


def operator(request: web.Request) -> str:
    """Who is operating, for the logs: the admin's name (the guard put it there)."""
    principal = request.get(OPS_PRINCIPAL)
    return "an operator" if principal is None else f"{principal.name} ({principal.via})"


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The whole number `name` from the query, or a 400 that says which numbers are allowed."""
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
        raise OpsBadRequest(f"{name} must be a whole number from {low} to {high}, not {raw[:40]!r}")
    return int(raw)


def query_choice(request: web.Request, name: str, choices: Sequence[str], default: str) -> str:
    """One of `choices` from the query, or a 400 that lists them."""
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if raw not in choices:
        raise OpsBadRequest(f"{name} must be one of {', '.join(choices)}, not {raw[:40]!r}")
    return raw


def paging(request: web.Request, limit: int = 50) -> dict[str, int]:
    """`offset` and `limit` from the query (limit 1..200)."""
    return {
        "offset": query_int(request, "offset", 0, 0, MAX_OFFSET),
        "limit": query_int(request, "limit", limit, 1, 200),
    }


async def error_page(request: web.Request, error: OpsError, section: str) -> web.Response:
    """The dashboard's page for an `OpsError`: its status, and its sentence."""
    context = {"status": error.status, "title": STATUS_TITLES.get(error.status, "Error")}
    return await render_page(
        request, "error.html", section, {**context, "message": str(error)}, status=error.status
    )


def admin_page(section: str) -> Callable[[PageHandler], PageHandler]:
    """Draw the handler's `OpsError`s as dashboard error pages (400, 404, 409, 503)."""

    def decorate(handler: PageHandler) -> PageHandler:
        @functools.wraps(handler)
        async def answer(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except OpsError as exc:
                if exc.status >= 500:
                    log.warning("%s %s: %s", request.method, request.path, exc)
                return await error_page(request, exc, section)

        return answer

    return decorate
