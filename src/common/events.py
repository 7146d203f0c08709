"""The activity event (docs/activity-event.md): what the web app emits, the queue carries and the
activity service stores.

`ActivityEvent.new(...)` is how a producer makes one (a fresh uuid4 id, the idempotency key);
`parse_event(body)` is how a consumer checks one that arrived as JSON, with the limits the
contract sets, and `EventInvalid.fields` names each bad field for a `400` answer.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
)

__all__ = [
    "EVENT_TYPE_PATTERN",
    "LEGACY_EVENT_TYPE",
    "MAX_USERNAME",
    "ActivityEvent",
    "EventInvalid",
    "event_fields_from_errors",
    "format_timestamp",
    "parse_event",
    "parse_instant",
]

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
MAX_DETAILS = 2000
MAX_USERNAME = 64
MAX_DATA_BYTES = 8 * 1024
MAX_REQUEST_ID = 128
MAX_DATA_DEPTH = 32
LEGACY_EVENT_TYPE = "activity"

EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN)]
Username = Annotated[str, StringConstraints(max_length=MAX_USERNAME)]
Details = Annotated[str, StringConstraints(max_length=MAX_DETAILS)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REQUEST_ID)]
UserId = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]


ISO_8601_HINT = "must be an ISO 8601 date and time, e.g. 2026-11-22T10:01:11Z"
# Pydantic reads numbers, and numeric strings, as Unix time, guessing seconds or
# milliseconds; the contract says ISO 8601, so a number is an error rather than a guess.
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def _reject_numbers(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError(ISO_8601_HINT)
    return value


def _as_utc(value: datetime) -> datetime:
    """Naive means UTC (docs/activity-event.md); aware values are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is a valid ISO date whose UTC instant is not.
        raise ValueError("is out of range once converted to UTC") from None


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date and time (or date) as an aware UTC datetime, or `ValueError`.

    The same reading as an event's `timestamp`, for query filters such as `since`.
    """
    _reject_numbers(text)
    try:
        parsed = _DATETIME.validate_python(text)
    except ValidationError:
        raise ValueError(ISO_8601_HINT) from None
    return _as_utc(parsed)


def format_timestamp(value: datetime) -> str:
    """The one text form of a UTC instant that every store keeps, so timestamps sort as text.

    Naive values are UTC, as in events.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _data_depth(value: Any) -> int:
    """How deeply objects and arrays nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DATA_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class EventInvalid(ValueError):
    """A body that is not a valid event; `fields` maps each bad field to what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid event: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class ActivityEvent(BaseModel):
    """One user action, as it travels from the web app to the activity store."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: EventType = LEGACY_EVENT_TYPE
    user_id: UserId | None
    username: Username | None
    timestamp: datetime
    details: Details
    data: dict[str, Any] | None = None
    request_id: RequestId | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        return _reject_numbers(value)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("data")
    @classmethod
    def _small_data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if _data_depth(value) > MAX_DATA_DEPTH:
            raise ValueError(f"must nest at most {MAX_DATA_DEPTH} levels deep")
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            size = len(text.encode())
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (no lone surrogates)") from None
        except (TypeError, ValueError):  # NaN, Infinity or a Python object JSON cannot carry
            raise ValueError("must hold only JSON values (no NaN or Infinity)") from None
        if size > MAX_DATA_BYTES:
            raise ValueError(f"must be at most {MAX_DATA_BYTES} bytes as JSON")
        return value

    @field_serializer("id")
    def _id_text(self, value: uuid.UUID) -> str:
        return str(value)

    @field_serializer("timestamp")
    def _timestamp_text(self, value: datetime) -> str:
        return format_timestamp(value)

    @classmethod
    def new(
        cls,
        type: str,
        *,
        details: str,
        user_id: int | None = None,
        username: str | None = None,
        data: dict[str, Any] | None = None,
        request_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> ActivityEvent:
        """A new event with a fresh id, stamped now unless `timestamp` is given."""
        return cls(
            type=type,
            user_id=user_id,
            username=username,
            details=details,
            data=data,
            request_id=request_id,
            timestamp=timestamp or datetime.now(UTC),
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form (docs/activity-event.md): JSON-safe, `None` fields kept."""
        return self.model_dump(mode="json")


def event_fields_from_errors(error: ValidationError) -> dict[str, str]:
    """Pydantic's errors as `{"field": "what is wrong"}`, one message per field."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        fields.setdefault(name, message)
    return fields


def parse_event(body: Any) -> ActivityEvent:
    """The event in a decoded JSON body, or `EventInvalid` naming every bad field.

    A seed-era body (`user_id`, `username`, `timestamp`, `details`, no `id` or `type`) is
    accepted: it gets a fresh id, so it has no idempotency, and the type `"activity"`.
    """
    if not isinstance(body, dict):
        raise EventInvalid({"body": "must be a JSON object"})
    try:
        return ActivityEvent.model_validate(body)
    except ValidationError as exc:
        raise EventInvalid(event_fields_from_errors(exc)) from None
