"""The activity event of SPEC section 4: what the web app emits, the queue carries and the
activity service stores.

`ActivityEvent.new(...)` is how a producer makes one (a fresh uuid4 id, the idempotency key);
`parse_event(body)` is how a consumer checks one that arrived as JSON, with the limits the
contract sets, and `EventInvalid.fields` names each bad field for a `400` answer.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_serializer,
    field_validator,
)

__all__ = [
    "LEGACY_EVENT_TYPE",
    "ActivityEvent",
    "EventInvalid",
    "event_fields_from_errors",
    "parse_event",
]

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"
MAX_DETAILS = 2000
MAX_USERNAME = 64
MAX_DATA_BYTES = 8 * 1024
MAX_REQUEST_ID = 128
LEGACY_EVENT_TYPE = "activity"

EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN)]
Username = Annotated[str, StringConstraints(max_length=MAX_USERNAME)]
Details = Annotated[str, StringConstraints(max_length=MAX_DETAILS)]
RequestId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REQUEST_ID)]
UserId = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]


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

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """Naive timestamps are UTC (SPEC section 4); aware ones are converted to UTC."""
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("data")
    @classmethod
    def _small_data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value, separators=(",", ":"))) > MAX_DATA_BYTES:
            raise ValueError(f"must be at most {MAX_DATA_BYTES} bytes as JSON")
        return value

    @field_serializer("id")
    def _id_text(self, value: uuid.UUID) -> str:
        return str(value)

    @field_serializer("timestamp")
    def _timestamp_text(self, value: datetime) -> str:
        # One fixed format, so stored timestamps sort as text in every store.
        return value.isoformat(timespec="microseconds")

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
        """The wire form of SPEC section 4: JSON-safe, `None` fields kept."""
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
