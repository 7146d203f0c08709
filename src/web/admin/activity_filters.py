"""The activity browser's filters (the activity API's, docs/activity-api.md), read from a
query string and checked.

The dashboard checks every filter itself, with the activity service's own rules, before it
asks the service: a bad value is a 400 page that names the field at once, and nothing the
browser typed reaches the service unchecked. (The service checks again; its own 400 is
turned into the same kind of page by the views.)

`ActivityFilters.params()` gives the filters back as query parameters, for the service and
for the links of the page (next page, export, one event), so every link keeps them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from multidict import MultiMapping

from src.common.events import EVENT_TYPE_PATTERN, MAX_USERNAME, parse_instant

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "FILTER_FIELDS",
    "MAX_CURSOR",
    "MAX_PAGE_SIZE",
    "MAX_Q",
    "ActivityFilters",
    "FiltersInvalid",
    "parse_cursor",
    "parse_event_id",
    "parse_filters",
    "parse_page_size",
]

FILTER_FIELDS = ("user_id", "username", "type", "since", "until", "q")
# The activity service's limits (src/activity/query.py): the same, so we refuse what it would.
MAX_PAGE_SIZE = 200
MAX_Q = 200
MAX_CURSOR = 200
DEFAULT_PAGE_SIZE = 50

_INT64 = re.compile(r"-?[0-9]{1,19}")
_SMALL_INT = re.compile(r"[0-9]{1,6}")
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)
_CURSOR = re.compile(r"[A-Za-z0-9_-]+")
_ISO_EXAMPLE = "an ISO 8601 date and time such as 2026-11-22T10:00:00Z"


class FiltersInvalid(ValueError):
    """Filters the browser refuses; `fields` maps each bad field to what to send instead."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid filters: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True, slots=True)
class ActivityFilters:
    """Checked filters, kept as the text the operator typed (the form shows them again)."""

    user_id: str | None = None
    username: str | None = None
    type: str | None = None
    since: str | None = None
    until: str | None = None
    q: str | None = None

    def params(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @property
    def active(self) -> bool:
        """Whether any filter narrows the log."""
        return bool(self.params())


def _single(query: MultiMapping[str], name: str, errors: dict[str, str]) -> str | None:
    """The one non-empty value of `name` (an empty form field counts as not given)."""
    values = query.getall(name, [])
    if len(values) > 1:
        errors[name] = "was given more than once; give it once"
        return None
    value = values[0].strip() if values else ""
    return value or None


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise ValueError(f"must be {_ISO_EXAMPLE}, or a date such as 2026-11-22") from None


def _check_filters(values: Mapping[str, str | None], errors: dict[str, str]) -> None:
    user_id, username, kind = values["user_id"], values["username"], values["type"]
    if user_id is not None and (
        not _INT64.fullmatch(user_id) or not -(2**63) <= int(user_id) < 2**63
    ):
        errors["user_id"] = "must be a whole number (a user id), such as 42"
    if username is not None and len(username) > MAX_USERNAME:
        errors["username"] = f"must be at most {MAX_USERNAME} characters"
    if kind is not None and not _EVENT_TYPE.fullmatch(kind):
        errors["type"] = "must be an event type such as post.vote (a-z, 0-9, _ . -)"
    q = values["q"]
    if q is not None and len(q) > MAX_Q:
        errors["q"] = f"must be at most {MAX_Q} characters"
    instants: dict[str, datetime] = {}
    for name in ("since", "until"):
        text = values[name]
        if text is None:
            continue
        try:
            instants[name] = _instant(text)
        except ValueError as exc:
            errors[name] = str(exc)
    if "since" in instants and "until" in instants and instants["since"] >= instants["until"]:
        errors["until"] = "must be later than since"


def parse_filters(query: MultiMapping[str]) -> ActivityFilters:
    """The checked filters of a query string, or `FiltersInvalid` naming every bad one.

    Parameters other than the filters are left to the caller (paging, format, id).
    """
    errors: dict[str, str] = {}
    values = {name: _single(query, name, errors) for name in FILTER_FIELDS}
    _check_filters(values, errors)
    if errors:
        raise FiltersInvalid(errors)
    return ActivityFilters(**values)


def parse_page_size(query: MultiMapping[str]) -> int:
    """`?limit=` (events per page, 1 to 200, default 50), or `FiltersInvalid`."""
    errors: dict[str, str] = {}
    text = _single(query, "limit", errors)
    if text is None and not errors:
        return DEFAULT_PAGE_SIZE
    if text is None or not _SMALL_INT.fullmatch(text) or not 1 <= int(text) <= MAX_PAGE_SIZE:
        errors.setdefault("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
        raise FiltersInvalid(errors)
    return int(text)


def parse_cursor(query: MultiMapping[str]) -> str | None:
    """`?cursor=` as the service issued it (opaque URL-safe text), or `FiltersInvalid`."""
    errors: dict[str, str] = {}
    text = _single(query, "cursor", errors)
    if not errors and (text is None or (len(text) <= MAX_CURSOR and _CURSOR.fullmatch(text))):
        return text
    errors.setdefault("cursor", "is not a cursor of this log; start again from the first page")
    raise FiltersInvalid(errors)


def parse_event_id(query: MultiMapping[str]) -> str | None:
    """`?id=` (one event to show) as a canonical UUID, or `FiltersInvalid`."""
    errors: dict[str, str] = {}
    text = _single(query, "id", errors)
    if errors:
        raise FiltersInvalid(errors)
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise FiltersInvalid({"id": "must be an event id (a UUID)"}) from None
