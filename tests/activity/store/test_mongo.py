"""What the MongoDB store promises beyond the contract, checked on mongomock-motor (a fake)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import mongomock.collection
import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo.errors import ExecutionTimeout, OperationFailure

from src.activity.store import ActivityQuery, StoreUnavailable, mongo, store_from_url
from src.activity.store.mongo import DEFAULT_DATABASE, MongoStore, _client_options
from src.common.events import parse_event
from tests.support.activity import event_body, mongomock_outage


@pytest.fixture
def client() -> Any:
    return AsyncMongoMockClient()


@pytest.fixture
async def store(client: Any) -> AsyncIterator[MongoStore]:
    opened = MongoStore(client=client, database="activity_test")
    await opened.open()
    yield opened
    await opened.close()


async def test_the_event_id_has_a_unique_index_and_each_filter_one(
    store: MongoStore, client: Any
) -> None:
    indexes = await client["activity_test"]["events"].index_information()
    assert indexes["event_id_unique"]["unique"] is True
    assert indexes["event_id_unique"]["key"] == [("id", 1)]
    for name, first_key in [
        ("by_user_id", "user_id"),
        ("by_username", "username"),
        ("by_type", "type"),
    ]:
        assert indexes[name]["key"][0] == (first_key, 1)
        assert indexes[name]["key"][1:] == [("timestamp", -1), ("id", -1)]


async def test_data_is_kept_as_json_text(store: MongoStore, client: Any) -> None:
    body = event_body(data={"$set": {"a.b": 1}})
    await store.add(parse_event(body))
    document = await client["activity_test"]["events"].find_one({"id": body["id"]})
    assert document["data_json"] == '{"$set": {"a.b": 1}}'
    assert "data" not in document


async def test_indexes_are_made_before_the_first_write_after_an_outage(client: Any) -> None:
    store = MongoStore(client=client, database="activity_test")
    with mongomock_outage():
        await store.open()
        with pytest.raises(StoreUnavailable, match="ServerSelectionTimeoutError"):
            await store.add(parse_event(event_body()))
    assert "event_id_unique" not in await client["activity_test"]["events"].index_information()
    body = event_body()
    assert (await store.add(parse_event(body))).created
    assert "event_id_unique" in await client["activity_test"]["events"].index_information()
    assert not (await store.add(parse_event(body))).created


async def test_without_a_database_name_the_default_one_is_used(client: Any) -> None:
    store = MongoStore(client=client)
    await store.open()
    await store.add(parse_event(event_body()))
    assert await client[DEFAULT_DATABASE]["events"].count_documents({}) == 1


def test_the_url_selects_the_mongodb_store_without_connecting() -> None:
    store = store_from_url("mongodb://db.invalid:27017/activity")
    assert isinstance(store, MongoStore)
    assert store.kind == "mongodb"


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("mongodb://db:27017/activity", "activity"),
        ("mongodb://u:p@db1,db2/prod_events?replicaSet=rs0", "prod_events"),
        ("mongodb://db:27017/?tls=true", DEFAULT_DATABASE),
        ("mongodb://db", DEFAULT_DATABASE),
    ],
)
def test_the_database_is_the_one_the_url_names(url: str, database: str) -> None:
    assert MongoStore(url).database == database


def test_a_store_takes_a_url_or_a_client_not_both(client: Any) -> None:
    with pytest.raises(ValueError, match="either"):
        MongoStore("mongodb://x", client=client)
    with pytest.raises(ValueError, match="either"):
        MongoStore()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mongodb://db/x", {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000}),
        ("mongodb://db/x?serverSelectionTimeoutMS=500", {"connectTimeoutMS": 2000}),
        ("mongodb://db/x?serverselectiontimeoutms=5&connecttimeoutms=5", {}),
    ],
)
def test_short_timeouts_apply_unless_the_url_sets_them(url: str, expected: dict[str, int]) -> None:
    assert _client_options(url) == expected


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationFailure("Regular expression is invalid", code=51091), False),
        (OperationFailure("unknown operator: $nope", code=2), False),
        (OperationFailure("interrupted at shutdown", code=11600), True),
        (OperationFailure("not primary", code=10107), True),
        (OperationFailure("Authentication failed.", code=18), True),
        (ExecutionTimeout("operation exceeded time limit", code=50), True),
    ],
    ids=["bad-regex", "bad-operator", "shutdown", "not-primary", "auth", "time-limit"],
)
async def test_only_a_server_that_cannot_serve_now_is_store_unavailable(
    store: MongoStore, monkeypatch: pytest.MonkeyPatch, error: Exception, unavailable: bool
) -> None:
    """A refused query is a bug to report (500), not an outage that clients retry (503)."""

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(mongomock.collection.Collection, "find_one", failing)
    with pytest.raises(StoreUnavailable if unavailable else OperationFailure):
        await store.get(str(uuid.uuid4()))


async def test_events_stored_before_the_search_field_get_it_and_are_found(client: Any) -> None:
    """Events once kept only `details`, searched with a case-insensitive regex."""
    body = event_body(details="Straße 5")
    legacy = {**body, "received_at": "2026-11-22T10:01:12.000000+00:00", "data_json": None}
    del legacy["data"]
    await client["activity_test"]["events"].insert_one(legacy)
    store = MongoStore(client=client, database="activity_test")
    await store.open()
    found = await store.find(ActivityQuery(q="STRASSE"))
    assert [event["id"] for event in found] == [body["id"]]
    assert "details_search" not in found[0]
    document = await client["activity_test"]["events"].find_one({"id": body["id"]})
    assert document["details_search"] == "strasse 5"


async def test_the_search_field_is_added_in_batches_to_every_old_event(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mongo, "UPGRADE_BATCH", 2)
    events = client["activity_test"]["events"]
    bodies = [event_body(details=f"Old Event {n}") for n in range(5)]
    for body in bodies:
        legacy = {**body, "received_at": "2026-11-22T10:01:12.000000+00:00", "data_json": None}
        del legacy["data"]
        await events.insert_one(legacy)
    store = MongoStore(client=client, database="activity_test")
    await store.open()
    assert len(await store.find(ActivityQuery(q="old event"))) == 5
    assert await events.count_documents({"details_search": {"$exists": False}}) == 0
