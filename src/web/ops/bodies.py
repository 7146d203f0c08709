"""JSON that operators send (the ops API's bodies, the enqueue form's arguments), read so
that no input is a 500: besides a syntax error, Python's `json` raises `RecursionError` for
deep nesting (`[[[[...`), `ValueError` for an integer of thousands of digits, and a charset
that does not exist is a `LookupError`. Each is a 400 (a charset other than UTF-8 a 415)
whose message says what was wrong.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import OpsBadRequest, OpsUnsupportedMediaType

__all__ = ["parse_json", "read_json"]

_UTF8 = frozenset({"utf-8", "utf8"})


def parse_json(raw: str | bytes, what: str, hint: str = "", *, plural: bool = False) -> Any:
    """The value of the JSON text `raw`, or an `OpsBadRequest` saying why `what` (e.g. "the
    body", or "the arguments" with `plural`) is not JSON, followed by `hint` (what to send)."""
    be, nest, hold = ("are", "nest", "hold") if plural else ("is", "nests", "holds")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise OpsBadRequest(f"{what} {be} not UTF-8 (byte {exc.start}){hint}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"{be} not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        problem = f"{nest} too deeply to be read"
    except ValueError:  # an integer longer than Python's 4,300 digits
        problem = f"{hold} a number too long to be read"
    raise OpsBadRequest(f"{what} {problem}{hint}")


async def read_json(request: web.Request, what: str = "the body", hint: str = "") -> Any:
    """The JSON value of the request body (see `parse_json`); a 415 for another charset."""
    charset = request.charset
    if charset is not None and charset.lower() not in _UTF8:
        raise OpsUnsupportedMediaType(
            f"send JSON in UTF-8: the Content-Type names charset {charset[:40]!r}"
        )
    return parse_json(await request.read(), what, hint)
