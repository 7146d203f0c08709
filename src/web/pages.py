"""Error pages: every failure becomes a page that says what went wrong (JSON under /api/).

`NotFound` is a 404 and other `WebError`s a 400; HTTP errors keep their status; a database or
network failure is a 503 ("try again"), and anything unexpected a logged 500 that shows no
traceback.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from src.common.middleware import REQUEST_ID
from src.web.errors import NotFound, WebError
from src.web.templating import render

__all__ = ["error_pages_middleware", "render_error"]

log = logging.getLogger(__name__)

TITLES = {
    400: "That did not work",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    413: "Too large",
    500: "Something broke",
    503: "Try again in a moment",
}
DEFAULT_MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is no such page here.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is too large: forms may carry at most 1 MiB.",
    500: "Something went wrong on our side; it has been logged. Please try again.",
    503: "A service this page needs is not answering right now. Please try again shortly.",
}
# aiohttp's own texts for these are technical; ours say the same for people.
OWN_MESSAGES = frozenset({405, 413})


def _message(exc: web.HTTPException) -> str:
    text = exc.text or ""
    if exc.status in OWN_MESSAGES or not text or text.startswith(f"{exc.status}:"):
        return DEFAULT_MESSAGES.get(exc.status, exc.reason)
    return text


async def render_error(request: web.Request, status: int, message: str) -> web.StreamResponse:
    """The error page (or JSON body) for `status`."""
    if request.path.startswith("/api/"):
        return web.json_response({"error": message}, status=status)
    context = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": message,
        "request_id": request.get(REQUEST_ID),
    }
    try:
        return await render(request, "error.html", context, status=status)
    except Exception:
        # The page itself could not be drawn (the database behind the menu is down?).
        log.exception("could not render the %d page", status)
        return web.Response(text=f"{context['title']}: {message}", status=status)


@web.middleware
async def error_pages_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn exceptions into pages; redirects and successes pass through."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = await render_error(request, exc.status, _message(exc))
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except NotFound as exc:
        return await render_error(request, 404, str(exc))
    except WebError as exc:
        return await render_error(request, 400, str(exc))
    except (OperationalError, PoolTimeout, ConnectionError, TimeoutError) as exc:
        log.warning("%s %s: service unavailable: %s", request.method, request.path, exc)
        return await render_error(request, 503, DEFAULT_MESSAGES[503])
    except DBAPIError:
        log.exception("%s %s failed in the database", request.method, request.path)
        return await render_error(request, 500, DEFAULT_MESSAGES[500])
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return await render_error(request, 500, DEFAULT_MESSAGES[500])
