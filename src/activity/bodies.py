"""Request bodies of the activity API: JSON only, UTF-8, at most 64 KiB, strictly parsed.

Strict means what Python's `json` module lets through and other JSON parsers do not is a
400 here (`src.common.json_text`): `NaN`, `Infinity`, numbers too large for a float,
duplicate keys, and nesting deep enough to exhaust the parser's stack.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from src.activity.responses import json_error
from src.common.json_text import JsonInvalid, decode_json

__all__ = ["MAX_BODY_BYTES", "read_json"]

MAX_BODY_BYTES = 64 * 1024


async def read_json(request: web.Request) -> Any:
    """The JSON value of the request body, or the 415, 413 or 400 error to answer."""
    if request.content_type.lower() != "application/json":
        raise json_error(
            web.HTTPUnsupportedMediaType,
            f"send JSON with Content-Type: application/json (got {request.content_type})",
        )
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise json_error(web.HTTPUnsupportedMediaType, f"JSON must be UTF-8 (got {charset})")
    too_large = json_error(
        partial(web.HTTPRequestEntityTooLarge, MAX_BODY_BYTES),
        f"the body must be at most {MAX_BODY_BYTES} bytes",
    )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    try:
        return decode_json(raw)
    except JsonInvalid as exc:
        raise json_error(web.HTTPBadRequest, str(exc), fields={"body": str(exc)}) from None
