from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from src.common.events import (
    LEGACY_EVENT_TYPE,
    MAX_DATA_BYTES,
    ActivityEvent,
    EventInvalid,
    format_timestamp,
    parse_event,
    parse_instant,
)
from tests.support.activity import event_body


def test_a_full_event_round_trips_unchanged() -> None:
    body = event_body()
    assert parse_event(body).to_json_dict() == body


def test_new_events_get_a_fresh_id_and_a_utc_timestamp() -> None:
    first = ActivityEvent.new("user.login", details="alice logged in", user_id=1)
    second = ActivityEvent.new("user.login", details="alice logged in", user_id=1)
    assert first.id != second.id
    assert first.id.version == 4
    assert first.timestamp.tzinfo is UTC


def test_naive_timestamps_are_utc_and_aware_ones_are_converted() -> None:
    naive = parse_event(event_body(timestamp="2026-11-22T10:01:11"))
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
        ({"username": "\ud800"}, "username"),
        ({"timestamp": 1700000000}, "timestamp"),
        ({"timestamp": "1700000000"}, "timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        ({"timestamp": "9999-12-31T23:59:59-01:00"}, "timestamp"),
        ({"data": {"text": "\ud800"}}, "data"),
        ({"data": {"x": float("nan")}}, "data"),
        ({"data": {"when": datetime(2026, 1, 1)}}, "data"),
        ({"data": {"deep": json.loads("[" * 40 + "]" * 40)}}, "data"),
    ],
)
def test_each_limit_is_reported_on_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(EventInvalid) as caught:
        parse_event(event_body(**changes))
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


def test_data_may_nest_32_levels_and_weigh_8_kib_in_utf8() -> None:
    assert parse_event(event_body(data={"deep": json.loads("[" * 31 + "]" * 31)})).data is not None
    padding = MAX_DATA_BYTES - len('{"x":""}')
    assert parse_event(event_body(data={"x": "a" * padding})).data is not None
    with pytest.raises(EventInvalid):
        parse_event(event_body(data={"x": "é" * (padding // 2 + 1)}))


def test_instants_read_like_event_timestamps() -> None:
    assert parse_instant("2026-11-22T11:00:00+01:00") == datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert parse_instant("2026-11-22") == datetime(2026, 11, 22, tzinfo=UTC)
    for bad in ("yesterday", "1700000000", "0001-01-01T00:00:00+05:00"):
        with pytest.raises(ValueError, match=r"ISO 8601|out of range"):
            parse_instant(bad)


def test_timestamps_have_one_text_form_that_sorts() -> None:
    naive = datetime(2026, 11, 22, 10, 1, 11)
    assert format_timestamp(naive) == "2026-11-22T10:01:11.000000+00:00"
    paris = datetime(2026, 11, 22, 11, 1, 11, 5, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(paris) == "2026-11-22T10:01:11.000005+00:00"
    assert format_timestamp(datetime(999, 1, 1)) < format_timestamp(datetime(2026, 1, 1))
