"""The store contract: every test runs on SQLite, on mongomock-motor (a fake MongoDB), and on
a real MongoDB when MONGODB_TEST_URL is set (skipped with that reason otherwise)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from src.activity.store import (
    ActivityQuery,
    ActivityStore,
    IdConflict,
    MinuteCount,
    Position,
    StoreUnavailable,
)
from src.common.events import parse_event
from tests.support.activity import event_body, store_outage


async def add(store: ActivityStore, **changes: Any) -> dict[str, Any]:
    added = await store.add(parse_event(event_body(**changes)))
    assert added.created
    return added.event


def at(minute: int, second: int = 0) -> str:
    return f"2026-11-22T10:{minute:02d}:{second:02d}+00:00"


async def test_a_new_event_is_stored_with_received_at(opened_store: ActivityStore) -> None:
    body = event_body()
    added = await opened_store.add(parse_event(body))
    assert added.created
    assert added.event == {**body, "received_at": added.event["received_at"]}
    received = datetime.fromisoformat(added.event["received_at"])
    assert abs((datetime.now(UTC) - received).total_seconds()) < 60
    assert await opened_store.get(body["id"]) == added.event
    assert await opened_store.count() == 1


async def test_the_same_event_again_answers_the_stored_one(opened_store: ActivityStore) -> None:
    body = event_body()
    first = await opened_store.add(parse_event(body))
    again = await opened_store.add(parse_event(body))
    assert not again.created
    assert again.event == first.event  # including the first received_at
    assert await opened_store.count() == 1


@pytest.mark.parametrize(
    "spelling",
    [
        {"timestamp": "2026-11-22T10:01:11.457843Z"},
        {"timestamp": "2026-11-22T11:01:11.457843+01:00"},
        {"timestamp": "2026-11-22T10:01:11.457843"},
        {"data": {"direction": "up", "post_id": 7.0}},
    ],
    ids=["Z", "other-offset", "naive", "float-key-order"],
)
async def test_equivalent_encodings_are_the_same_event(
    opened_store: ActivityStore, spelling: dict[str, Any]
) -> None:
    body = event_body()
    await opened_store.add(parse_event(body))
    again = await opened_store.add(parse_event({**body, **spelling}))
    assert not again.created
    assert await opened_store.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"details": "something else"}, {"user_id": 13}, {"data": None}, {"type": "post.create"}],
)
async def test_other_content_under_a_stored_id_conflicts(
    opened_store: ActivityStore, change: dict[str, Any]
) -> None:
    body = event_body()
    first = await opened_store.add(parse_event(body))
    with pytest.raises(IdConflict) as caught:
        await opened_store.add(parse_event({**body, **change}))
    assert caught.value.stored == first.event
    assert await opened_store.get(body["id"]) == first.event


async def test_concurrent_adds_of_one_id_store_it_once(opened_store: ActivityStore) -> None:
    event = parse_event(event_body())
    results = await asyncio.gather(*(opened_store.add(event) for _ in range(50)))
    assert sum(result.created for result in results) == 1
    assert len({result.event["received_at"] for result in results}) == 1
    assert await opened_store.count() == 1


async def test_concurrent_adds_of_many_ids_store_each(opened_store: ActivityStore) -> None:
    events = [parse_event(event_body()) for _ in range(60)]
    results = await asyncio.gather(*(opened_store.add(event) for event in events))
    assert all(result.created for result in results)
    assert await opened_store.count() == 60


async def test_any_json_data_round_trips_exactly(opened_store: ActivityStore) -> None:
    data = {
        "$gt": "",
        "a.b": [1, 2.5, None, True, {"$where": "sleep(1)"}],
        "big": 2**70,
        "text": "émoji 🎉 \u0000 nul",
        "": {},
    }
    stored = await add(opened_store, data=data)
    assert stored["data"] == data
    fetched = await opened_store.get(stored["id"])
    assert fetched is not None
    assert fetched["data"] == data


async def test_get_of_an_unknown_id_is_none(opened_store: ActivityStore) -> None:
    assert await opened_store.get("8a1d6f3e-0000-4000-8000-000000000000") is None


async def test_find_lists_newest_first_with_ties_broken_by_id(
    opened_store: ActivityStore,
) -> None:
    same_time = [await add(opened_store, timestamp=at(5)) for _ in range(3)]
    older = await add(opened_store, timestamp=at(1))
    newer = await add(opened_store, timestamp=at(9))
    found = await opened_store.find(ActivityQuery())
    ties = sorted((event["id"] for event in same_time), reverse=True)
    assert [event["id"] for event in found] == [newer["id"], *ties, older["id"]]


async def test_find_returns_one_more_than_the_limit(opened_store: ActivityStore) -> None:
    for minute in range(5):
        await add(opened_store, timestamp=at(minute))
    assert len(await opened_store.find(ActivityQuery(limit=3))) == 4
    assert len(await opened_store.find(ActivityQuery(limit=5))) == 5


async def test_pages_after_a_position_cover_everything_once(opened_store: ActivityStore) -> None:
    for minute in range(4):
        for _ in range(2):  # pairs of equal timestamps straddle page ends
            await add(opened_store, timestamp=at(minute))
    everything = await opened_store.find(ActivityQuery(limit=100))
    seen: list[str] = []
    after = None
    while True:
        page = await opened_store.find(ActivityQuery(limit=3, after=after))
        seen += [event["id"] for event in page[:3]]
        if len(page) <= 3:
            break
        after = Position(page[2]["timestamp"], page[2]["id"])
    assert seen == [event["id"] for event in everything]
    assert len(seen) == 8


async def test_filters_match_exactly(opened_store: ActivityStore) -> None:
    alice = await add(opened_store, user_id=1, username="alice", type="user.login")
    bob = await add(opened_store, user_id=2, username="bob", type="post.vote")
    anonymous = await add(opened_store, user_id=None, username=None, type="auth.forbidden")

    async def ids(**filters: Any) -> set[str]:
        return {event["id"] for event in await opened_store.find(ActivityQuery(**filters))}

    assert await ids(user_id=1) == {alice["id"]}
    assert await ids(username="bob") == {bob["id"]}
    assert await ids(type="auth.forbidden") == {anonymous["id"]}
    assert await ids(user_id=1, type="post.vote") == set()
    assert await ids(username="ALICE") == set()


@pytest.mark.parametrize("literal", ["$ne", '{"$gt": ""}', "alice' OR '1'='1", ".*"])
async def test_filter_values_are_literals_never_operators(
    opened_store: ActivityStore, literal: str
) -> None:
    await add(opened_store, username="alice", details="alice logged in")
    marked = await add(opened_store, username=literal[:64], details=f"by {literal}")
    by_name = await opened_store.find(ActivityQuery(username=literal))
    assert [event["id"] for event in by_name] == [marked["id"]]
    by_text = await opened_store.find(ActivityQuery(q=literal))
    assert [event["id"] for event in by_text] == [marked["id"]]


async def test_since_is_inclusive_and_until_exclusive(opened_store: ActivityStore) -> None:
    stored = {minute: await add(opened_store, timestamp=at(minute)) for minute in range(4)}
    query = ActivityQuery(since=datetime.fromisoformat(at(1)), until=datetime.fromisoformat(at(3)))
    found = await opened_store.find(query)
    assert [event["id"] for event in found] == [stored[2]["id"], stored[1]["id"]]


@pytest.mark.parametrize(
    ("q", "matches"),
    [
        ("UP-VOTED", True),  # case-insensitive
        ("voted post", True),  # across words
        ("p", True),  # shorter than a trigram
        ("Ép", True),  # short and not ASCII
        ("éPÉE", True),
        ("down", False),
        ('"', True),
        ("%", True),
        ("_", False),
        ("\x00", False),
    ],
)
async def test_q_finds_text_in_details(opened_store: ActivityStore, q: str, matches: bool) -> None:
    wanted = await add(opened_store, details='alice up-voted post 7 "épée" at 50%')
    await add(opened_store, details="bob wrote a comment")
    found = await opened_store.find(ActivityQuery(q=q))
    assert ([event["id"] for event in found] == [wanted["id"]]) is matches
    if not matches:
        assert found == []


# One rule on every store (src/activity/store/search_text.py): `q` matches when its folded
# form (case, accents and compatibility forms folded, NUL as U+FFFD) is within the folded
# `details`; control characters are matched literally.
TEXT_CASES = [
    ("İstanbul'da buluşalım", "istanbul", True),
    ("İstanbul'da buluşalım", "İSTANBUL", True),
    ("meet in istanbul", "İstanbul", True),
    ("Straße 5", "STRASSE", True),
    ("Strasse 5", "straße", True),
    ("café crème", "CAFE CREME", True),
    ("ΣΊΣΥΦΟΣ", "σίσυφος", True),
    ("ﬁne print", "fine", True),
    ("ab\x00cd", "b\x00c", True),
    ("ab\x00cd", "\x00", True),
    ("ab\x00cd", "cd", True),
    ("ab\x00cd", "abc", False),
    ("tab\there", "b\th", True),
    ("tab\there", "b h", False),
    ("bell \x07 rings", "\x07 r", True),
    ("plain text", "\x01", False),
    ("Straße 5", "strase", False),
]


@pytest.mark.parametrize(("details", "q", "matches"), TEXT_CASES)
async def test_q_folds_case_and_accents_the_same_on_every_store(
    opened_store: ActivityStore, details: str, q: str, matches: bool
) -> None:
    wanted = await add(opened_store, details=details)
    await add(opened_store, details="nothing to see")
    found = await opened_store.find(ActivityQuery(q=q))
    assert [event["id"] for event in found] == ([wanted["id"]] if matches else [])


async def test_count_by_minute_groups_by_type_within_the_window(
    opened_store: ActivityStore,
) -> None:
    await add(opened_store, type="post.vote", timestamp=at(1, 5))
    await add(opened_store, type="post.vote", timestamp=at(1, 59))
    await add(opened_store, type="user.login", timestamp=at(1, 30))
    await add(opened_store, type="post.vote", timestamp=at(2, 0))
    await add(opened_store, type="post.vote", timestamp=at(0, 59))  # before the window
    await add(opened_store, type="post.vote", timestamp=at(3, 0))  # at its exclusive end
    counts = await opened_store.count_by_minute(
        datetime.fromisoformat(at(1)), datetime.fromisoformat(at(3))
    )
    assert sorted(counts, key=lambda c: (c.minute, c.type)) == [
        MinuteCount("2026-11-22T10:01", "post.vote", 2),
        MinuteCount("2026-11-22T10:01", "user.login", 1),
        MinuteCount("2026-11-22T10:02", "post.vote", 1),
    ]


async def test_ping_answers_when_the_store_works(opened_store: ActivityStore) -> None:
    await opened_store.ping()


async def test_an_outage_is_store_unavailable_and_ends_by_itself(
    store_kind: str, opened_store: ActivityStore
) -> None:
    event = parse_event(event_body())
    with store_outage(store_kind, opened_store):
        with pytest.raises(StoreUnavailable):
            await opened_store.add(event)
        with pytest.raises(StoreUnavailable):
            await opened_store.ping()
    await opened_store.ping()
    assert (await opened_store.add(event)).created
    assert await opened_store.get(str(event.id)) is not None


async def test_a_store_down_at_start_opens_and_recovers(
    store_kind: str, store: ActivityStore
) -> None:
    with store_outage(store_kind, store):
        await store.open()  # must not raise: the service starts and answers 503
        try:
            with pytest.raises(StoreUnavailable):
                await store.add(parse_event(event_body()))
        except BaseException:
            await store.close()
            raise
    try:
        assert (await store.add(parse_event(event_body()))).created
    finally:
        await store.close()
