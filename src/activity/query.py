"""Query strings of the activity API, checked and typed before any store sees them.

`parse_activity_query` turns `GET /api/activities?...` into an `ActivityQuery`; a parameter
that is unknown (`username[$ne]`), repeated or malformed is a `QueryInvalid` naming it, so
nothing a client writes in a URL reaches a database as anything but a literal value.
An empty value (`?username=`) counts as not given, as HTML forms send it.

Cursors are opaque to clients: URL-safe base64 of the last `(timestamp, id)` of a page.
They are checked, not signed: a forged but well-formed cursor is only a position.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from src.activity.store import ActivityQuery, Position
from src.common.events import MAX_USERNAME, parse_instant

__all__ = [
    "ACTIVITY_PARAMETERS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_MINUTES",
    "QueryInvalid",
    "decode_cursor",
    "encode_cursor",
    "parse_activity_query",
    "parse_stats_minutes",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_Q = 200
DEFAULT_MINUTES = 60
MAX_MINUTES = 24 * 60
MAX_CURSOR = 200
ACTIVITY_PARAMETERS = ("user_id", "username", "type", "since", "until", "q", "limit", "cursor")

_INT64 = re.compile(r"-?[0-9]{1,19}")
_SMALL_INT = re.compile(r"[0-9]{1,6}")
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_STORED_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00")
_OFFSET_AFTER_SPACE = re.compile(r" (\d{2}:?\d{2})$")


class QueryInvalid(ValueError):
    """A query string the API refuses; `fields` maps each bad parameter to what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid query: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def _single_values(params: Any, allowed: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each known parameter's one non-empty value, and errors for unknown or repeated ones."""
    allowed = tuple(allowed)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for key in dict.fromkeys(params.keys()):
        given = params.getall(key)
        if key not in allowed:
            errors[key] = f"unknown parameter; known ones are {', '.join(allowed)}"
        elif len(given) > 1:
            errors[key] = "given more than once"
        elif not _is_text(given[0]):
            errors[key] = "must be valid UTF-8 text"
        elif given[0] != "":
            values[key] = given[0]
    return values, errors


def _is_text(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        # `+00:00` left unencoded in a URL arrives as ` 00:00`: read it as meant.
        repaired = _OFFSET_AFTER_SPACE.sub(r"+\1", text)
        if repaired == text:
            raise
        return parse_instant(repaired)


def encode_cursor(position: Position) -> str:
    """The opaque `next_cursor` that continues a listing after `position`."""
    raw = json.dumps([position.timestamp, position.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """The position a cursor of `encode_cursor` holds; `ValueError` for anything else."""
    if len(cursor) > MAX_CURSOR:
        raise ValueError("is not a cursor this service issued")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        timestamp, event_id = json.loads(raw)
        if not (
            isinstance(timestamp, str)
            and isinstance(event_id, str)
            and _STORED_TIMESTAMP.fullmatch(timestamp)
            and str(uuid.UUID(event_id)) == event_id
        ):
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("is not a cursor this service issued") from None
    return Position(timestamp, event_id)


def parse_activity_query(params: Mapping[str, str]) -> ActivityQuery:
    """The typed search of `GET /api/activities`, or `QueryInvalid` naming every bad parameter."""
    values, errors = _single_values(params, ACTIVITY_PARAMETERS)
    typed: dict[str, Any] = {}

    def check(name: str, convert: Any) -> None:
        if name in values:
            try:
                typed[name] = convert(values[name])
            except ValueError as exc:
                errors[name] = str(exc)

    check("user_id", _user_id)
    check("username", _username)
    check("type", _event_type)
    check("since", _instant)
    check("until", _instant)
    check("q", _q)
    check("limit", _limit)
    if "cursor" in values:
        try:
            typed["after"] = decode_cursor(values["cursor"])
        except ValueError as exc:
            errors["cursor"] = str(exc)
    since, until = typed.get("since"), typed.get("until")
    if since is not None and until is not None and since >= until:
        errors["until"] = "must be later than since"
    if errors:
        raise QueryInvalid(errors)
    return ActivityQuery(**typed)


def parse_stats_minutes(params: Mapping[str, str]) -> int:
    """The window of `GET /api/stats` in minutes (`?minutes=`, default 60, at most a day)."""
    values, errors = _single_values(params, ("minutes",))
    if errors:
        raise QueryInvalid(errors)
    if "minutes" not in values:
        return DEFAULT_MINUTES
    text = values["minutes"]
    if not _SMALL_INT.fullmatch(text) or not 1 <= int(text) <= MAX_MINUTES:
        raise QueryInvalid({"minutes": f"must be a whole number from 1 to {MAX_MINUTES}"})
    return int(text)


def _user_id(text: str) -> int:
    if not _INT64.fullmatch(text) or not -(2**63) <= int(text) < 2**63:
        raise ValueError("must be an integer (a user id)")
    return int(text)


def _username(text: str) -> str:
    if len(text) > MAX_USERNAME:
        raise ValueError(f"must be at most {MAX_USERNAME} characters")
    return text


def _event_type(text: str) -> str:
    if not _EVENT_TYPE.fullmatch(text):
        raise ValueError("must be an event type such as post.vote (a-z, 0-9, _ . -)")
    return text


def _q(text: str) -> str:
    if len(text) > MAX_Q:
        raise ValueError(f"must be at most {MAX_Q} characters")
    return text


def _limit(text: str) -> int:
    if not _SMALL_INT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)
