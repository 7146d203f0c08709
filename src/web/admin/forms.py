"""Reading the dashboard's own small forms (enqueue): fields in, `OpsBadRequest` out."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from src.web.forms import read_form
from src.web.ops import OpsBadRequest, parse_json

__all__ = ["enqueue_form"]

MAX_ARGS = 64 * 1024


async def enqueue_form(request: web.Request) -> tuple[str, Any]:
    """The function and the parsed arguments of the enqueue form (arguments as JSON)."""
    form = await read_form(request)
    function = form.get("function")
    raw = form.get("args", "") or "[]"
    if not isinstance(function, str) or not function:
        raise OpsBadRequest("choose the function to enqueue")
    if not isinstance(raw, str) or len(raw) > MAX_ARGS:
        raise OpsBadRequest(f"the arguments must be JSON text of at most {MAX_ARGS} bytes")
    hint = '; send a JSON array such as [] or [{"id": ...}]'
    return function, parse_json(raw, "the arguments", hint, plural=True)
