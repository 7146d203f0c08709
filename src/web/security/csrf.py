"""CSRF protection for forms, in the shape of aiohttp-demos' blog.

A random token lives in the session; every form carries it in the hidden field `csrf_token`
(the Jinja global `csrf_token()`), and every unsafe request must send it back, in the form or
in the `X-CSRF-Token` header. A missing or wrong token is a 403 before the handler runs, so
nothing changes. Handlers authenticated otherwise (a bearer token, not a cookie) opt out with
`@csrf_exempt`.

The middleware reads the posted form once, with `read_form`, before any handler: a body that
is not readable form data is a 400 there, and the views reuse the form aiohttp cached.
Tokens are compared with `src.common.tokens.tokens_match`: a header may hold any bytes,
which aiohttp hands over as surrogates, and those must make a 403, not an encoding error.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from src.common.tokens import tokens_match
from src.web.forms import read_form
from src.web.security.sessions import load_session

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CsrfFailed",
    "csrf_exempt",
    "csrf_middleware",
    "csrf_token",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SESSION_KEY = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_EXEMPT_ATTRIBUTE = "__wolfit_csrf_exempt__"

F = TypeVar("F", bound=Callable[..., Any])


class CsrfFailed(web.HTTPForbidden):
    """The request came without the form's CSRF token, or with another one."""


def csrf_exempt(handler: F) -> F:
    """Mark a handler that authenticates without cookies, so CSRF cannot apply to it."""
    setattr(handler, _EXEMPT_ATTRIBUTE, True)
    return handler


async def csrf_token(request: web.Request) -> str:
    """The session's CSRF token, created on first use."""
    session = await load_session(request)
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


async def _sent_token(request: web.Request) -> str:
    # Read the form even when the header has the token, so an unreadable body is a 400
    # for every handler, whichever of the two the client used.
    form = await read_form(request)
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def _is_exempt(request: web.Request) -> bool:
    if request.match_info.http_exception is not None:
        return True  # no such route: the router's 404 or 405 is the better answer
    handler = request.match_info.handler
    return bool(getattr(handler, _EXEMPT_ATTRIBUTE, False))


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse unsafe requests whose CSRF token does not match the session's."""
    if request.method in _SAFE_METHODS or _is_exempt(request):
        return await handler(request)
    session = await load_session(request)
    expected = session.get(_SESSION_KEY)
    sent = await _sent_token(request)
    if not isinstance(expected, str) or not tokens_match(expected, sent):
        raise CsrfFailed(
            text="This form has expired or did not come from this site. "
            "Reload the page and try again."
        )
    return await handler(request)
