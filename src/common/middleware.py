"""aiohttp middlewares both HTTP services share."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from src.common.logging import request_id_var

__all__ = ["REQUEST_ID", "REQUEST_ID_HEADER", "request_id_middleware"]

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = web.RequestKey("request_id", str)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(request: web.Request) -> str | None:
    """The id the request-id middleware gave this request, for the events it produces."""
    return request.get(REQUEST_ID)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tie every log line of a request to one id: the caller's `X-Request-ID`, or a new one.

    The id is echoed in the response so a client can quote it; an id with characters that
    could forge log lines or headers is replaced, not trusted.
    """
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        request_id_var.reset(token)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response
