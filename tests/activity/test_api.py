"""Every route and status code of docs/activity-api.md, through HTTP, on the SQLite store unless
a test says otherwise."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from src.activity.store import ActivityStore
from tests.activity.conftest import ClientFactory
from tests.support.activity import AUTH, event_body, make_store, store_outage

POST = "/api/activities"


@pytest.fixture
async def client(activity_client: ClientFactory) -> TestClient:
    return await activity_client()


async def stored_count(client: TestClient) -> int:
    response = await client.get("/api/stats", headers=AUTH)
    return int((await response.json())["stored_total"])


async def post_raw(
    client: TestClient, data: bytes | str, content_type: str = "application/json"
) -> Any:
    return await client.post(POST, data=data, headers={**AUTH, "Content-Type": content_type})


# -- POST /api/activities ---------------------------------------------------------------


async def test_a_new_event_is_201_with_the_stored_event(client: TestClient) -> None:
    body = event_body()
    response = await client.post(POST, json=body, headers=AUTH)
    assert response.status == 201
    stored = await response.json()
    assert stored == {**body, "received_at": stored["received_at"]}
    assert response.headers["Location"] == f"/api/activities/{body['id']}"
    fetched = await client.get(response.headers["Location"], headers=AUTH)
    assert await fetched.json() == stored


async def test_the_same_event_again_is_200_with_the_stored_event(client: TestClient) -> None:
    body = event_body()
    first = await (await client.post(POST, json=body, headers=AUTH)).json()
    again = await client.post(POST, json=body, headers=AUTH)
    assert again.status == 200
    assert await again.json() == first
    assert await stored_count(client) == 1


@pytest.mark.parametrize(
    "spelling",
    [
        {"timestamp": "2026-11-22T10:01:11.457843Z"},
        {"timestamp": "2026-11-22T10:01:11.457843"},
        {"timestamp": "2026-11-22T05:01:11.457843-05:00"},
    ],
)
async def test_an_equivalent_encoding_is_the_same_event(
    client: TestClient, spelling: dict[str, str]
) -> None:
    body = event_body()
    assert (await client.post(POST, json=body, headers=AUTH)).status == 201
    upper_id = {"id": body["id"].upper()}
    again = await client.post(POST, json={**body, **spelling, **upper_id}, headers=AUTH)
    assert again.status == 200
    assert await stored_count(client) == 1


async def test_other_content_under_a_stored_id_is_409(client: TestClient) -> None:
    body = event_body()
    first = await (await client.post(POST, json=body, headers=AUTH)).json()
    response = await client.post(POST, json={**body, "details": "changed"}, headers=AUTH)
    assert response.status == 409
    answer = await response.json()
    assert body["id"] in answer["error"]
    assert answer["stored"] == first
    fetched = await client.get(f"/api/activities/{body['id']}", headers=AUTH)
    assert (await fetched.json())["details"] == body["details"]


async def test_fifty_concurrent_posts_of_one_id_store_one_event(client: TestClient) -> None:
    body = event_body()
    responses = await asyncio.gather(
        *(client.post(POST, json=body, headers=AUTH) for _ in range(50))
    )
    statuses = sorted(response.status for response in responses)
    assert statuses == [200] * 49 + [201]
    answers = [await response.json() for response in responses]
    assert all(answer == answers[0] for answer in answers)
    assert await stored_count(client) == 1


async def test_the_burst_stores_one_event_on_mongodb_too(
    activity_client: ClientFactory, tmp_path: Path
) -> None:
    client = await activity_client(store=make_store("mongomock", tmp_path))
    body = event_body()
    responses = await asyncio.gather(
        *(client.post(POST, json=body, headers=AUTH) for _ in range(50))
    )
    assert sorted(response.status for response in responses) == [200] * 49 + [201]
    assert await stored_count(client) == 1


async def test_a_seed_era_body_gets_a_fresh_id_each_time(client: TestClient) -> None:
    seed = {"user_id": 1, "username": "bob", "timestamp": "2026-11-22T10:00:00", "details": "hi"}
    first = await client.post(POST, json=seed, headers=AUTH)
    second = await client.post(POST, json=seed, headers=AUTH)
    assert (first.status, second.status) == (201, 201)
    one, two = await first.json(), await second.json()
    assert one["id"] != two["id"]
    assert one["type"] == two["type"] == "activity"
    assert await stored_count(client) == 2


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b"{", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": 1e999}', "too large"),
        (b'{"id": "a", "id": "b"}', "appears twice"),
        (b"[" * 5000 + b"]" * 5000, "nests too deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", "too long"),
    ],
)
async def test_a_body_that_is_not_strict_json_is_400(
    client: TestClient, raw: bytes, hint: str
) -> None:
    response = await post_raw(client, raw)
    assert response.status == 400
    answer = await response.json()
    assert hint in answer["error"]
    assert "body" in answer["fields"]
    assert await stored_count(client) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "Not A Type"}, "type"),
        ({"user_id": "12"}, "user_id"),
        ({"username": {"$gt": ""}}, "username"),
        ({"timestamp": 1700000000}, "timestamp"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        ({"details": "d" * 2001}, "details"),
        ({"data": {"x": "y" * 9000}}, "data"),
        ({"data": "not an object"}, "data"),
        ({"received_at": "2026-11-22T10:00:00Z"}, "received_at"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
async def test_a_schema_error_is_400_naming_the_field(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    response = await client.post(POST, json=event_body(**changes), headers=AUTH)
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "invalid event"
    assert field in answer["fields"]
    assert await stored_count(client) == 0


async def test_a_body_that_is_not_an_object_is_400(client: TestClient) -> None:
    response = await client.post(POST, json=[event_body()], headers=AUTH)
    assert response.status == 400
    assert (await response.json())["fields"] == {"body": "must be a JSON object"}


async def test_a_body_of_exactly_64_kib_is_accepted_and_one_byte_more_is_413(
    client: TestClient,
) -> None:
    def padded(size: int) -> bytes:
        compact = json.dumps(event_body()).encode()
        return compact[:-1] + b" " * (size - len(compact)) + b"}"

    assert (await post_raw(client, padded(64 * 1024))).status == 201
    too_big = await post_raw(client, padded(64 * 1024 + 1))
    assert too_big.status == 413
    assert "65536 bytes" in (await too_big.json())["error"]
    assert await stored_count(client) == 1


async def test_a_large_chunked_body_is_413_too(client: TestClient) -> None:
    async def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024
        yield json.dumps(event_body()).encode()

    response = await client.post(
        POST, data=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status == 413
    assert await stored_count(client) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""],
)
async def test_a_body_that_is_not_json_is_415(client: TestClient, content_type: str) -> None:
    response = await post_raw(client, json.dumps(event_body()), content_type)
    assert response.status == 415
    assert "error" in await response.json()
    assert await stored_count(client) == 0


async def test_json_with_a_utf8_charset_is_accepted(client: TestClient) -> None:
    response = await post_raw(client, json.dumps(event_body()), "application/json; charset=UTF-8")
    assert response.status == 201


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer wrong-token-0123456789"],
)
async def test_without_the_right_token_it_is_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post(POST, json=event_body(), headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in (await response.json())["error"]
    for path in ("/api/activities", "/api/stats", "/api/chaos", "/api/openapi.json", "/api/x"):
        assert (await client.get(path, headers=headers)).status == 401


async def test_fail_rate_one_answers_503_before_saving(activity_client: ClientFactory) -> None:
    client = await activity_client(fail_rate=1.0)
    response = await client.post(POST, json=event_body(), headers=AUTH)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert "FAIL_RATE" in (await response.json())["error"]
    assert await stored_count(client) == 0


async def test_an_invalid_event_is_400_even_when_failing_on_purpose(
    activity_client: ClientFactory,
) -> None:
    client = await activity_client(fail_rate=1.0)
    response = await client.post(POST, json=event_body(type="BAD"), headers=AUTH)
    assert response.status == 400


@pytest.mark.parametrize("kind", ["sqlite", "mongomock"])
async def test_a_store_outage_is_503_and_the_service_recovers_by_itself(
    activity_client: ClientFactory, tmp_path: Path, kind: str
) -> None:
    store = make_store(kind, tmp_path)
    client = await activity_client(store=store)
    body = event_body()
    with store_outage(kind, store):
        response = await client.post(POST, json=body, headers=AUTH)
        assert response.status == 503
        assert response.headers["Retry-After"] == "2"
        assert "unavailable" in (await response.json())["error"]
        health = await client.get("/healthz")
        assert health.status == 503
        assert (await health.json())["status"] == "unavailable"
    # Retried as the worker would, the same event is stored once.
    response = await client.post(POST, json=body, headers=AUTH)
    assert response.status == 201
    assert (await client.get("/healthz")).status == 200
    assert await stored_count(client) == 1


async def test_sleep_time_delays_the_answer_without_blocking_the_loop(
    activity_client: ClientFactory, sqlite_store: ActivityStore
) -> None:
    client = await activity_client(sleep_time=0.3)
    body = event_body()
    started = time.perf_counter()
    post = asyncio.ensure_future(client.post(POST, json=body, headers=AUTH))
    # Once the event is stored, the handler is in its sleep: health must answer meanwhile.
    deadline = time.monotonic() + 5
    while await sqlite_store.get(body["id"]) is None:
        assert time.monotonic() < deadline, "the POST never stored its event"
        await asyncio.sleep(0.005)
    health = await client.get("/healthz")
    assert health.status == 200
    assert not post.done(), "GET /healthz waited for the sleeping POST"
    response = await post
    assert response.status == 201
    assert time.perf_counter() - started >= 0.3


# -- GET /api/activities ----------------------------------------------------------------


async def post_all(client: TestClient, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    stored = []
    for body in bodies:
        response = await client.post(POST, json=body, headers=AUTH)
        assert response.status == 201
        stored.append(await response.json())
    return stored


async def listing(client: TestClient, **params: str) -> dict[str, Any]:
    response = await client.get(POST, params=params, headers=AUTH)
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_the_list_is_newest_first_and_pages_with_a_cursor(client: TestClient) -> None:
    bodies = [event_body(timestamp=f"2026-11-22T10:{minute:02d}:00Z") for minute in range(7)]
    await post_all(client, *bodies)
    seen, params = [], {"limit": "3"}
    while True:
        page = await listing(client, **params)
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [body["id"] for body in reversed(bodies)]


async def test_the_default_page_is_50_events(client: TestClient) -> None:
    await post_all(client, *(event_body() for _ in range(51)))
    page = await listing(client)
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


async def test_each_filter_narrows_the_list(client: TestClient) -> None:
    alice, bob, old = await post_all(
        client,
        event_body(
            user_id=1,
            username="alice",
            type="user.login",
            details="alice logged in",
            timestamp="2026-11-22T10:02:00Z",
        ),
        event_body(
            user_id=2,
            username="bob",
            type="post.vote",
            details="bob up-voted post 3",
            timestamp="2026-11-22T10:01:00Z",
        ),
        event_body(
            user_id=2, username="bob", details="bob wrote", timestamp="2020-01-01T00:00:00Z"
        ),
    )

    async def ids(**params: str) -> list[str]:
        return [item["id"] for item in (await listing(client, **params))["items"]]

    assert await ids(user_id="1") == [alice["id"]]
    assert await ids(username="bob") == [bob["id"], old["id"]]
    assert await ids(type="user.login") == [alice["id"]]
    assert await ids(q="UP-VOTED") == [bob["id"]]
    assert await ids(since="2026-01-01") == [alice["id"], bob["id"]]
    assert await ids(until="2026-01-01T00:00:00+00:00") == [old["id"]]
    assert await ids(user_id="2", since="2026-01-01T00:00:00Z") == [bob["id"]]
    assert await ids(user_id="", username="") == [alice["id"], bob["id"], old["id"]]


async def test_an_unencoded_plus_in_a_time_filter_is_read_as_meant(client: TestClient) -> None:
    (old,) = await post_all(client, event_body(timestamp="2020-01-01T00:00:00Z"))
    response = await client.get("/api/activities?until=2021-01-01T00:00:00+00:00", headers=AUTH)
    assert [item["id"] for item in (await response.json())["items"]] == [old["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("username[$ne]=x", "username[$ne]"),
        ("user_id[$gt]=0", "user_id[$gt]"),
        ("sort=timestamp", "sort"),
        ("user_id=1&user_id=2", "user_id"),
        ("user_id=abc", "user_id"),
        ("user_id=1.5", "user_id"),
        ("user_id=99999999999999999999", "user_id"),
        ("type=Post.Vote", "type"),
        ("since=yesterday", "since"),
        ("since=1700000000", "since"),
        ("since=2026-01-02&until=2026-01-01", "until"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4IiwieSJd", "cursor"),
        ("username=" + "u" * 65, "username"),
        ("q=" + "q" * 201, "q"),
    ],
)
async def test_a_bad_filter_is_400_naming_it(client: TestClient, query: str, field: str) -> None:
    await post_all(client, event_body())
    response = await client.get(f"/api/activities?{query}", headers=AUTH)
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "invalid query"
    assert field in answer["fields"]


@pytest.mark.parametrize("kind", ["sqlite", "mongomock"])
async def test_a_nul_or_a_control_character_in_q_is_searched_literally(
    activity_client: ClientFactory, tmp_path: Path, kind: str
) -> None:
    """A NUL once reached SQLite's full-text index, which refused it as an unterminated
    string: a 503 with Retry-After, an outage counted, the read connection dropped."""
    client = await activity_client(store=make_store(kind, tmp_path / kind))
    wanted, _ = await post_all(
        client, event_body(details="ab\x00c rang \x07 twice"), event_body(details="abc")
    )
    for q in ("ab\x00c", "b\x00c r", "\x00", "\x07 tw"):
        response = await client.get(POST, params={"q": q}, headers=AUTH)
        assert response.status == 200, await response.text()
        assert [item["id"] for item in (await response.json())["items"]] == [wanted["id"]]
    assert (await listing(client, q="\x01"))["items"] == []
    metrics = await (await client.get("/metrics")).text()
    assert "activity_store_unavailable_total 0.0" in metrics


@pytest.mark.parametrize("value", ["$ne", '{"$gt": ""}', "' OR 1=1 --"])
async def test_operator_lookalikes_are_literal_strings(client: TestClient, value: str) -> None:
    await post_all(client, event_body(username="alice"))
    page = await listing(client, username=value)
    assert page == {"items": [], "next_cursor": None}


# -- GET /api/activities/{id} -----------------------------------------------------------


async def test_one_event_by_id_is_200_or_404(client: TestClient) -> None:
    (stored,) = await post_all(client, event_body())
    response = await client.get(f"/api/activities/{stored['id'].upper()}", headers=AUTH)
    assert response.status == 200
    assert await response.json() == stored
    for unknown in (str(uuid.uuid4()), "not-a-uuid", "%24ne"):
        response = await client.get(f"/api/activities/{unknown}", headers=AUTH)
        assert response.status == 404
        assert "no event" in (await response.json())["error"]


# -- GET /api/stats ---------------------------------------------------------------------


async def test_stats_count_per_type_and_minute(activity_client: ClientFactory) -> None:
    """The clock is fixed: events of "now" once fell in the next minute when the test ran
    across a minute boundary."""
    now = datetime(2026, 11, 22, 10, 30, 59, 999_999, tzinfo=UTC)
    client = await activity_client(clock=lambda: now)
    await post_all(
        client,
        event_body(type="post.vote", timestamp="2026-11-22T10:30:00Z"),
        event_body(type="post.vote", timestamp="2026-11-22T10:30:59.999999Z"),
        event_body(type="user.login", timestamp="2026-11-22T10:30:30Z"),
        event_body(type="user.login", timestamp="2026-11-22T10:26:00Z"),  # first minute
        event_body(type="user.login", timestamp="2026-11-22T10:25:59.999999Z"),  # before
        event_body(type="user.login", timestamp="2026-11-22T10:31:00Z"),  # after
    )
    response = await client.get("/api/stats", params={"minutes": "5"}, headers=AUTH)
    assert response.status == 200
    stats = await response.json()
    assert (stats["minutes"], stats["since"], stats["until"]) == (
        5,
        "2026-11-22T10:26:00+00:00",
        "2026-11-22T10:31:00+00:00",
    )
    assert stats["total"] == 4
    assert stats["stored_total"] == 6
    assert stats["by_type"] == {"post.vote": 2, "user.login": 2}
    assert [minute["minute"] for minute in stats["by_minute"]] == [
        f"2026-11-22T10:{minute}:00+00:00" for minute in range(26, 31)
    ]
    assert [minute["count"] for minute in stats["by_minute"]] == [1, 0, 0, 0, 3]
    assert stats["by_minute"][-1]["by_type"] == {"post.vote": 2, "user.login": 1}


async def test_stats_default_to_an_hour(client: TestClient) -> None:
    stats = await (await client.get("/api/stats", headers=AUTH)).json()
    assert stats["minutes"] == 60
    assert len(stats["by_minute"]) == 60


@pytest.mark.parametrize("query", ["minutes=0", "minutes=1441", "minutes=abc", "days=1"])
async def test_a_bad_stats_window_is_400(client: TestClient, query: str) -> None:
    response = await client.get(f"/api/stats?{query}", headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"] == "invalid query"


# -- /api/chaos -------------------------------------------------------------------------


async def test_chaos_changes_latency_and_failures_at_run_time(client: TestClient) -> None:
    current = await client.get("/api/chaos", headers=AUTH)
    assert await current.json() == {"sleep_time": 0.0, "fail_rate": 0.0}
    response = await client.put("/api/chaos", json={"fail_rate": 1}, headers=AUTH)
    assert response.status == 200
    assert await response.json() == {"sleep_time": 0.0, "fail_rate": 1.0}
    assert (await client.post(POST, json=event_body(), headers=AUTH)).status == 503
    response = await client.put(
        "/api/chaos", json={"fail_rate": 0, "sleep_time": 0.05}, headers=AUTH
    )
    assert await response.json() == {"sleep_time": 0.05, "fail_rate": 0.0}
    assert (await client.post(POST, json=event_body(), headers=AUTH)).status == 201
    health = await (await client.get("/healthz")).json()
    assert (health["sleep_time"], health["fail_rate"]) == (0.05, 0.0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sleep_time": -1}, "sleep_time"),
        ({"sleep_time": 61}, "sleep_time"),
        ({"sleep_time": "1"}, "sleep_time"),
        ({"sleep_time": True}, "sleep_time"),
        ({"fail_rate": 1.5}, "fail_rate"),
        ({"fail_rate": -0.1}, "fail_rate"),
        ({"fail_rate": None}, "fail_rate"),
        ({"speed": 1}, "speed"),
        ({}, "body"),
        ([0.1, 0.5], "body"),
    ],
)
async def test_bad_chaos_is_400_and_changes_nothing(
    client: TestClient, body: Any, field: str
) -> None:
    response = await client.put("/api/chaos", json=body, headers=AUTH)
    assert response.status == 400
    assert field in (await response.json())["fields"]
    current = await client.get("/api/chaos", headers=AUTH)
    assert await current.json() == {"sleep_time": 0.0, "fail_rate": 0.0}


async def test_a_partly_bad_chaos_body_changes_nothing(client: TestClient) -> None:
    response = await client.put("/api/chaos", json={"sleep_time": 1, "fail_rate": 2}, headers=AUTH)
    assert response.status == 400
    assert await (await client.get("/api/chaos", headers=AUTH)).json() == {
        "sleep_time": 0.0,
        "fail_rate": 0.0,
    }


# -- /healthz, /metrics, errors ---------------------------------------------------------


async def test_healthz_needs_no_token_and_names_the_store(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    health = await response.json()
    assert health["status"] == "ok"
    assert health["store"] == "sqlite"
    assert health["loop"] == "asyncio"  # pytest's loop; `wolfit activity` runs uvloop


async def test_healthz_names_mongodb(activity_client: ClientFactory, tmp_path: Path) -> None:
    client = await activity_client(store=make_store("mongomock", tmp_path))
    assert (await (await client.get("/healthz")).json())["store"] == "mongodb"


async def test_metrics_count_requests_and_events(client: TestClient) -> None:
    body = event_body()
    await client.post(POST, json=body, headers=AUTH)
    await client.post(POST, json=body, headers=AUTH)
    await client.post(POST, json={**body, "details": "other"}, headers=AUTH)
    await client.get(f"/api/activities/{uuid.uuid4()}", headers=AUTH)
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    for line in (
        'http_requests_total{method="POST",route="/api/activities",status="201"} 1.0',
        'http_requests_total{method="POST",route="/api/activities",status="200"} 1.0',
        'http_requests_total{method="POST",route="/api/activities",status="409"} 1.0',
        'http_requests_total{method="GET",route="/api/activities/{id}",status="404"} 1.0',
        "activity_events_stored_total 1.0",
        "activity_events_duplicate_total 1.0",
        "activity_events_conflict_total 1.0",
    ):
        assert line in text
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/activities"}'
        in text
    )


async def test_an_unknown_route_is_a_json_404(client: TestClient) -> None:
    response = await client.get("/nowhere")
    assert response.status == 404
    assert "no route" in (await response.json())["error"]


async def test_a_wrong_method_is_a_json_405_with_allow(client: TestClient) -> None:
    response = await client.delete(POST, headers=AUTH)
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) >= {"GET", "POST"}
    assert "not allowed" in (await response.json())["error"]


async def test_the_request_id_is_echoed(client: TestClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    rejected = await client.post(POST, json={}, headers={**AUTH, "X-Request-ID": "req-43"})
    assert rejected.headers["X-Request-ID"] == "req-43"
