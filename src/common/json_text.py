"""JSON text from outside (API bodies, form fields), read strictly and never as a crash.

Python's `json` lets through what other JSON parsers refuse (`NaN`, `Infinity`, numbers too
large for a float, duplicate keys) and, besides a syntax error, raises `RecursionError` for
deep nesting (`[[[[...`) and `ValueError` for an integer of thousands of digits. Here each
of these is a `JsonInvalid` whose message is a sentence about what was sent ("the body nests
too deeply to be read"), which the services answer as a 400. The activity service and the
web app's ops API both read JSON this way.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

__all__ = ["JsonInvalid", "decode_json"]


class JsonInvalid(ValueError):
    """Text that is not strict JSON in UTF-8; the message says where and why."""


class _Refused(ValueError):
    """A value strict JSON does not allow (raised inside the parser's hooks)."""


def _reject_constant(name: str) -> NoReturn:
    raise _Refused(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def decode_json(raw: str | bytes, what: str = "the body", *, plural: bool = False) -> Any:
    """The value of the strict JSON text `raw` (UTF-8 if bytes), or `JsonInvalid` saying why
    `what` ("the body", or "the arguments" with `plural`) is not."""
    be, nest, hold = ("are", "nest", "hold") if plural else ("is", "nests", "holds")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise JsonInvalid(f"{what} {be} not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        problem = f"{be} not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        problem = f"{nest} too deeply to be read"
    except _Refused as exc:
        problem = f"{be} not strict JSON: {exc}"
    except ValueError:  # an integer longer than Python's 4,300 digits
        problem = f"{hold} a number too long to be read"
    raise JsonInvalid(f"{what} {problem}")
