"""The activity app's middlewares: bearer-token auth, and one place that turns every error
into a JSON answer, so that no input produces an HTML page or a bare 500.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from src.activity.app_keys import ACTIVITY_METRICS, TOKEN
from src.activity.responses import json_error
from src.activity.store import StoreUnavailable
from src.common.metrics import route_label
from src.common.middleware import REQUEST_ID
from src.common.tokens import tokens_match

__all__ = ["RETRY_AFTER_STORE", "auth_middleware", "error_middleware"]

log = logging.getLogger(__name__)

# Seconds a client should wait when the store is down: long enough not to hammer a
# database that is coming back, short enough that an outage of seconds costs seconds.
RETRY_AFTER_STORE = 2
_BEARER_CHALLENGE = 'Bearer realm="wolfit-activity"'


def _needs_token(request: web.Request) -> bool:
    return route_label(request).startswith("/api/") or request.path.startswith("/api/")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`/api/` routes need `Authorization: Bearer $ACTIVITY_TOKEN`; others are open."""
    if _needs_token(request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise json_error(
                web.HTTPUnauthorized,
                "missing bearer token: send Authorization: Bearer $ACTIVITY_TOKEN",
                headers={"WWW-Authenticate": _BEARER_CHALLENGE},
            )
        if not tokens_match(request.app[TOKEN], token):
            raise json_error(
                web.HTTPUnauthorized,
                "wrong bearer token: use the ACTIVITY_TOKEN this service was started with",
                headers={"WWW-Authenticate": _BEARER_CHALLENGE + ', error="invalid_token"'},
            )
    return await handler(request)


def _message(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"no route {request.path!r}: the API is described at /api/openapi.json"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {request.path!r}; allowed: {allowed}"
    return exc.reason


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error as JSON: aiohttp's own (404, 405, 413...) and the store's (503)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {
            name: value
            for name, value in exc.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        return web.json_response(
            {"error": _message(request, exc)}, status=exc.status, headers=headers
        )
    except StoreUnavailable as exc:
        request.app[ACTIVITY_METRICS].store_unavailable.inc()
        log.warning("store unavailable: %s", exc)
        return web.json_response(
            {"error": "the activity store is unavailable; retry later", "detail": str(exc)},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_STORE)},
        )
    except Exception:
        log.exception("unhandled error answering %s %s", request.method, request.path)
        return web.json_response(
            {
                "error": "internal error; the service log has the details under this request id",
                "request_id": request.get(REQUEST_ID),
            },
            status=500,
        )
