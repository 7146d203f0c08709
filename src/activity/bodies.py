"""Request bodies of the activity API: JSON only, UTF-8, at most 64 KiB, strictly parsed.

Strict means what Python's `json` module lets through and other JSON parsers do not is a
400 here: `NaN`, `Infinity`, numbers too large for a float, duplicate keys, and nesting
deep enough to exhaust the parser's stack.
"""

from __future__ import annotations

import json
import math
from functools import partial
from typing import Any, NoReturn

from aiohttp import web

from .responses import json_error

__all__ = ["MAX_BODY_BYTES", "BodyInvalid", "decode_json", "read_json"]

MAX_BODY_BYTES = 64 * 1024


class BodyInvalid(ValueError):
    """A body that is not strict JSON; the message says where and why."""


def _reject_constant(name: str) -> NoReturn:
    raise BodyInvalid(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyInvalid(f"the number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BodyInvalid(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def decode_json(raw: bytes) -> Any:
    """The value of a strict JSON document in UTF-8, or `BodyInvalid` saying why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyInvalid(f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise BodyInvalid(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BodyInvalid("the body nests too deeply") from None
    except ValueError as exc:  # BodyInvalid, or an integer with thousands of digits
        raise BodyInvalid(
            str(exc) if isinstance(exc, BodyInvalid) else "a number is too long"
        ) from None


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
    except BodyInvalid as exc:
        raise json_error(web.HTTPBadRequest, str(exc), fields={"body": str(exc)}) from None
