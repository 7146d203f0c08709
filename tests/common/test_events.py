from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from src.common.events import LEGACY_EVENT_TYPE, ActivityEvent, EventInvalid, parse_event


def wire(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "post.vote",
        "user_id": 12,
        "username": "alice",
        "timestamp": "2026-11-22T10:01:11.457843+00:00",
        "details": "alice up-voted post 7",
        "data": {"post_id": 7, "direction": "up"},
        "request_id": "b3c2",
    }
    body.update(changes)
    return body


def test_a_full_event_round_trips_unchanged() -> None:
    body = wire()
    assert parse_event(body).to_json_dict() == body


def test_new_events_get_a_fresh_id_and_a_utc_timestamp() -> None:
    first = ActivityEvent.new("user.login", details="alice logged in", user_id=1)
    second = ActivityEvent.new("user.login", details="alice logged in", user_id=1)
    assert first.id != second.id
    assert first.id.version == 4
    assert first.timestamp.tzinfo is UTC


def test_naive_timestamps_are_utc_and_aware_ones_are_converted() -> None:
    naive = parse_event(wire(timestamp="2026-11-22T10:01:11"))
    assert naive.to_json_dict()["timestamp"] == "2026-11-22T10:01:11.000000+00:00"
    paris = datetime(2026, 11, 22, 11, 1, 11, tzinfo=timezone(timedelta(hours=1)))
    aware = ActivityEvent.new("x", details="d", timestamp=paris)
    assert aware.to_json_dict()["timestamp"] == "2026-11-22T10:01:11.000000+00:00"


def test_a_seed_era_body_gets_an_id_and_the_legacy_type() -> None:
    event = parse_event(
        {"user_id": 1, "username": "bob", "timestamp": "2026-11-22T10:00:00", "details": "hi"}
    )
    assert event.type == LEGACY_EVENT_TYPE
    assert isinstance(event.id, uuid.UUID)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "Post.Vote"}, "type"),
        ({"type": "x" * 65}, "type"),
        ({"user_id": "12"}, "user_id"),
        ({"user_id": True}, "user_id"),
        ({"user_id": 2**64}, "user_id"),
        ({"username": "u" * 65}, "username"),
        ({"details": "d" * 2001}, "details"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"id": "not-a-uuid"}, "id"),
        ({"data": {"blob": "x" * 9000}}, "data"),
        ({"data": [1, 2]}, "data"),
        ({"received_at": "2026-11-22T10:00:00"}, "received_at"),
        ({"username": {"$ne": "x"}}, "username"),
    ],
)
def test_each_limit_is_reported_on_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(EventInvalid) as caught:
        parse_event(wire(**changes))
    assert field in caught.value.fields


def test_missing_required_fields_are_each_named() -> None:
    with pytest.raises(EventInvalid) as caught:
        parse_event({"type": "x"})
    assert {"user_id", "username", "timestamp", "details"} <= set(caught.value.fields)


@pytest.mark.parametrize("body", [[], "event", 3, None])
def test_a_body_that_is_not_an_object_is_invalid(body: object) -> None:
    with pytest.raises(EventInvalid) as caught:
        parse_event(body)
    assert caught.value.fields == {"body": "must be a JSON object"}
