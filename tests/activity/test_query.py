from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from multidict import MultiDict

from src.activity.query import (
    QueryInvalid,
    decode_cursor,
    encode_cursor,
    parse_activity_query,
    parse_stats_minutes,
)
from src.activity.store import ActivityQuery, Position

POSITION = Position("2026-11-22T10:01:11.457843+00:00", "8a1d6f3e-0000-4000-8000-000000000000")


def query(*pairs: tuple[str, str]) -> ActivityQuery:
    return parse_activity_query(MultiDict(pairs))


def test_no_parameters_is_the_first_page_of_everything() -> None:
    assert query() == ActivityQuery(limit=50)


def test_every_filter_is_typed() -> None:
    parsed = query(
        ("user_id", "-7"),
        ("username", "alice"),
        ("type", "post.vote"),
        ("since", "2026-11-22T11:00:00+01:00"),
        ("until", "2026-11-23"),
        ("q", "voted"),
        ("limit", "200"),
        ("cursor", encode_cursor(POSITION)),
    )
    assert parsed == ActivityQuery(
        user_id=-7,
        username="alice",
        type="post.vote",
        since=datetime(2026, 11, 22, 10, tzinfo=UTC),
        until=datetime(2026, 11, 23, tzinfo=UTC),
        q="voted",
        limit=200,
        after=POSITION,
    )


def test_every_bad_parameter_is_named_at_once() -> None:
    with pytest.raises(QueryInvalid) as caught:
        query(("user_id", "x"), ("limit", "0"), ("username[$ne]", "x"), ("type", "A"))
    assert set(caught.value.fields) == {"user_id", "limit", "username[$ne]", "type"}


def test_a_repeated_parameter_is_refused() -> None:
    with pytest.raises(QueryInvalid) as caught:
        query(("q", "a"), ("q", "b"))
    assert caught.value.fields == {"q": "given more than once"}


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(QueryInvalid) as caught:
        query(("username", "\ud800"))
    assert "username" in caught.value.fields


@pytest.mark.parametrize("user_id", ["٣", "+1", " 1", "1_000", "9223372036854775808"])
def test_user_ids_are_plain_64_bit_integers(user_id: str) -> None:
    with pytest.raises(QueryInvalid):
        query(("user_id", user_id))


def test_the_cursor_round_trips() -> None:
    cursor = encode_cursor(POSITION)
    assert "=" not in cursor
    assert decode_cursor(cursor) == POSITION


def forge(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!!",
        "a" * 300,
        forge({"$gt": ""}),
        forge(["2026-11-22T10:01:11.457843+00:00"]),
        forge(["2026-11-22", POSITION.id]),
        forge([POSITION.timestamp, "not-a-uuid"]),
        forge([POSITION.timestamp, POSITION.id.upper()]),
        forge([POSITION.timestamp, 5]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_tampered_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor(cursor)


def test_stats_minutes() -> None:
    assert parse_stats_minutes(MultiDict()) == 60
    assert parse_stats_minutes(MultiDict([("minutes", "1440")])) == 1440
    for bad in ("0", "1441", "-5", "1e3", ""):
        if bad == "":
            assert parse_stats_minutes(MultiDict([("minutes", bad)])) == 60
            continue
        with pytest.raises(QueryInvalid):
            parse_stats_minutes(MultiDict([("minutes", bad)]))
