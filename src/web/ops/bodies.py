"""JSON that operators send (the ops API's bodies, the enqueue form's arguments), read so
that no input is a 500: text that is not strict JSON (`src.common.json_text`) is a 400, and a
charset other than UTF-8 (even one that does not exist) a 415, whose message says what was
wrong.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from src.common.json_text import JsonInvalid, decode_json
from src.web.ops.errors import OpsBadRequest, OpsUnsupportedMediaType

__all__ = ["parse_json", "read_json"]

_UTF8 = frozenset({"utf-8", "utf8"})


def parse_json(raw: str | bytes, what: str, hint: str = "", *, plural: bool = False) -> Any:
    """The value of the JSON text `raw`, or an `OpsBadRequest` saying why `what` (e.g. "the
    body", or "the arguments" with `plural`) is not JSON, followed by `hint` (what to send)."""
    try:
        return decode_json(raw, what, plural=plural)
    except JsonInvalid as exc:
        raise OpsBadRequest(f"{exc}{hint}") from None


async def read_json(request: web.Request, what: str = "the body", hint: str = "") -> Any:
    """The JSON value of the request body (see `parse_json`); a 415 for another charset."""
    charset = request.charset
    if charset is not None and charset.lower() not in _UTF8:
        raise OpsUnsupportedMediaType(
            f"send JSON in UTF-8: the Content-Type names charset {charset[:40]!r}"
        )
    return parse_json(await request.read(), what, hint)
