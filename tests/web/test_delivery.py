"""Events of the web app through the real suite: the web app, Redis, an arq worker of
`src.jobs` and the activity service, each action stored exactly once, with its request id.

The activity service runs on a real port (`aiohttp_server`); the worker runs in this process
(arq's `Worker` with `src.jobs.worker_settings`) except in the Redis outage test, which runs
`wolfit worker` as a child process, as operators do.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from arq.worker import Worker, create_worker

from src.activity import create_app as create_activity_app
from src.common.activity_client import ActivityClient
from src.common.embedded_redis import EmbeddedRedis
from src.common.settings import Settings, env_name
from src.jobs.worker.runner import close_worker
from src.jobs.worker.settings import worker_settings
from src.web.app_keys import DATABASE
from src.web.data.outbox import OutboxRecord
from src.web.events.recorder import EventRecorder
from tests.conftest import TEST_TOKEN
from tests.support.outbox import all_outbox_rows
from tests.support.site_client import SiteClient
from tests.support.waiting import eventually
from tests.web.conftest import AppFactory, app_of


class Suite:
    """Handles on the running services, and what the activity service stored."""

    def __init__(self, settings: Settings, client: ActivityClient) -> None:
        self.settings = settings
        self.client = client

    async def events(self, username: str) -> list[dict[str, Any]]:
        """Every stored event of `username`, oldest first."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            filters: dict[str, str | int] = {"username": username, "limit": 200}
            if cursor:
                filters["cursor"] = cursor
            page = await self.client.list_activities(**filters)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items[::-1]

    async def wait_for_events(self, username: str, count: int) -> list[dict[str, Any]]:
        """The events of `username` once there are `count` of them (and not more)."""
        events = await eventually(
            lambda: self.events(username),
            lambda found: len(found) >= count,
            what=f"{count} stored events of {username}",
        )
        assert len(events) == count, [event["type"] for event in events]
        return events


async def outbox_rows(site: SiteClient) -> list[OutboxRecord]:
    return await app_of(site)[DATABASE].read(all_outbox_rows)


async def outbox_empty(site: SiteClient) -> None:
    await eventually(lambda: outbox_rows(site), lambda rows: rows == [], what="an empty outbox")


@pytest.fixture
def suite_settings(web_settings: Settings, redis_url: str) -> Settings:
    """Quick retries, so a test never waits long for the worker's backoff."""
    return web_settings.model_copy(
        update={
            "redis_url": redis_url,
            "delivery_backoff_base": 0.05,
            "delivery_backoff_cap": 0.5,
        }
    )


@pytest.fixture
def start_activity(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> Callable[..., Awaitable[TestServer]]:
    async def start(settings: Settings, **changes: Any) -> TestServer:
        return await aiohttp_server(create_activity_app(settings.model_copy(update=changes)))

    return start


@pytest.fixture
async def start_worker() -> AsyncIterator[Callable[[Settings], Awaitable[Worker]]]:
    running: list[tuple[Worker, asyncio.Task[None]]] = []

    async def start(settings: Settings) -> Worker:
        worker = create_worker(worker_settings(settings), handle_signals=False)
        running.append((worker, asyncio.create_task(worker.async_run())))
        return worker

    yield start
    for worker, task in running:
        await close_worker(worker)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def suite(
    suite_settings: Settings,
    start_activity: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[Suite]:
    """Settings pointing at a running activity service, and a client of it."""
    server = await start_activity(suite_settings)
    settings = suite_settings.model_copy(
        update={"activity_url": str(server.make_url("")).rstrip("/")}
    )
    async with aiohttp.ClientSession() as session:
        yield Suite(settings, ActivityClient(session, settings.activity_url, TEST_TOKEN))


async def test_every_action_stores_exactly_one_event_with_its_request_id(
    suite: Suite,
    make_site: AppFactory,
    start_worker: Callable[[Settings], Awaitable[Worker]],
) -> None:
    await start_worker(suite.settings)
    site = await make_site(
        **suite.settings.model_dump(include={"redis_url", "activity_url"}), activity_mode="async"
    )

    expected: list[tuple[str, str]] = []  # (type, request id of the response)

    async def act(kind: str, response: aiohttp.ClientResponse, status: int = 303) -> None:
        assert response.status == status, (kind, response.status)
        expected.append((kind, response.headers["X-Request-ID"]))

    await act("user.register", await site.register("alice"))
    await act("user.logout", await site.logout())
    await act("user.login_failed", await site.login("alice", "not her password"), 401)
    await act("user.login", await site.login("alice", remember=True))
    response = await site.post("/submit", {"title": "Hi", "body": "x", "category": "general"})
    await act("post.create", response)
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    await act("comment.create", await site.comment(post_id, "first!"))
    await act("post.vote", await site.vote(post_id, "up"))
    await act("post.vote", await site.vote(post_id, "down"))
    await act("post.vote", await site.vote(post_id, "down"))
    await act("user.logout", await site.logout())

    stored = await suite.wait_for_events("alice", len(expected))
    assert [(e["type"], e["request_id"]) for e in stored] == expected
    assert len({e["id"] for e in stored}) == len(stored)
    assert {e["user_id"] for e in stored} == {1}
    votes = [e["data"] for e in stored if e["type"] == "post.vote"]
    assert [(v["previous"], v["current"], v["score"]) for v in votes] == [
        (None, "up", 1),
        ("up", "down", -1),
        ("down", None, 0),
    ]
    assert stored[2]["data"]["reason"] == "wrong_password"
    assert stored[3]["data"] == {"remember_me": True}
    await outbox_empty(site)
    metrics = await (await site.client.get("/metrics")).text()
    assert 'wolfit_web_events_total{outcome="enqueued",type="post.vote"} 3.0' in metrics


async def test_a_refused_form_stores_no_event(
    suite: Suite,
    make_site: AppFactory,
    start_worker: Callable[[Settings], Awaitable[Worker]],
) -> None:
    await start_worker(suite.settings)
    site = await make_site(
        **suite.settings.model_dump(include={"redis_url", "activity_url"}), activity_mode="async"
    )
    await site.register("alice")
    post_id = await site.submit()
    assert (await site.post(f"/p/{post_id}/vote", {"direction": "up"}, csrf="forged")).status == 403
    assert (await site.post("/submit", {"title": "x", "category": "y"}, csrf=None)).status == 403
    assert (await site.vote(post_id, "sideways")).status == 400
    await site.logout()  # the last event: once it is stored, everything before it is too
    stored = await suite.wait_for_events("alice", 3)
    assert [e["type"] for e in stored] == ["user.register", "post.create", "user.logout"]


async def test_a_crash_between_commit_and_enqueue_is_delivered_by_the_relay(
    suite: Suite,
    make_site: AppFactory,
    start_worker: Callable[[Settings], Awaitable[Worker]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await start_worker(suite.settings)
    site = await make_site(
        **suite.settings.model_dump(include={"redis_url", "activity_url"}), activity_mode="async"
    )
    await site.register("alice")
    post_id = await site.submit()
    await suite.wait_for_events("alice", 2)
    await outbox_empty(site)

    async def crashed(self: EventRecorder, event: object) -> None:
        """The process "dies" right after the commit: nothing is enqueued or marked."""

    monkeypatch.setattr(EventRecorder, "deliver", crashed)
    response = await site.vote(post_id, "up")
    assert response.status == 303
    (row,) = await outbox_rows(site)
    assert (row.event["type"], row.attempts, row.last_error) == ("post.vote", 0, None)

    stored = await suite.wait_for_events("alice", 3)  # the relay, after its grace period
    assert stored[-1]["id"] == row.id
    assert stored[-1]["request_id"] == response.headers["X-Request-ID"]
    await outbox_empty(site)


async def test_the_profile_shows_recent_activity(
    suite: Suite,
    make_site: AppFactory,
    start_worker: Callable[[Settings], Awaitable[Worker]],
    visitor: Callable[[SiteClient], Awaitable[SiteClient]],
) -> None:
    await start_worker(suite.settings)
    site = await make_site(
        **suite.settings.model_dump(include={"redis_url", "activity_url"}), activity_mode="async"
    )
    await site.register("alice")
    await site.submit("Alice writes")
    await site.logout()
    await site.login("alice")
    await suite.wait_for_events("alice", 4)

    own = await site.page("/u/alice")
    assert "alice posted &#39;Alice writes&#39; in c/general" in own
    assert "alice logged in" in own
    stranger = await visitor(site)
    public = await stranger.page("/u/alice")
    assert "alice posted &#39;Alice writes&#39; in c/general" in public
    assert "logged in" not in public
    assert "Logins are shown to alice only." in public


@pytest.mark.slow
async def test_sync_waits_for_a_slow_service_and_async_does_not(
    suite_settings: Settings,
    start_activity: Callable[..., Awaitable[TestServer]],
    make_site: AppFactory,
    start_worker: Callable[[Settings], Awaitable[Worker]],
) -> None:
    """SLEEP_TIME=0.5: a vote in sync mode takes at least 0.5 s and its event is stored when
    the answer comes; in async mode the vote does not wait (generous bound: under 0.5 s)."""
    server = await start_activity(suite_settings, sleep_time=0.5)
    urls = {
        "redis_url": suite_settings.redis_url,
        "activity_url": str(server.make_url("")).rstrip("/"),
    }
    await start_worker(suite_settings.model_copy(update=urls))
    async with aiohttp.ClientSession() as session:
        check = Suite(suite_settings, ActivityClient(session, urls["activity_url"], TEST_TOKEN))

        sync_site = await make_site(**urls, activity_mode="sync")
        await sync_site.register("sid")
        post_id = await sync_site.submit()
        started = time.perf_counter()
        assert (await sync_site.vote(post_id, "up")).status == 303
        sync_seconds = time.perf_counter() - started
        assert sync_seconds >= 0.5
        assert [e["type"] for e in await check.events("sid")][-1] == "post.vote"  # already

        async_site = await make_site(**urls, activity_mode="async")
        await async_site.register("ada")
        timings = []
        for direction in ("up", "up", "up"):
            started = time.perf_counter()
            assert (await async_site.vote(post_id, direction)).status == 303
            timings.append(time.perf_counter() - started)
        assert statistics.median(timings) < 0.5, timings
        await check.wait_for_events("ada", 4)  # delivered later, by the worker


def _worker_process_env(settings: Settings) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {env_name(f) for f in Settings.model_fields}
    }
    for field in (
        "redis_url",
        "activity_url",
        "activity_token",
        "delivery_backoff_base",
        "delivery_backoff_cap",
    ):
        env[env_name(field)] = str(getattr(settings, field))
    env["WOLFIT_VAR_DIR"] = str(settings.var_dir)
    return env


@pytest.mark.slow
async def test_redis_down_actions_succeed_and_every_event_arrives_once_when_it_is_back(
    suite: Suite,
    own_redis: EmbeddedRedis,
    make_site: AppFactory,
    tmp_path: Path,
) -> None:
    settings = suite.settings.model_copy(update={"redis_url": own_redis.url})
    log = (tmp_path / "worker.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "src.cli",
        "worker",
        env=_worker_process_env(settings),
        stdout=log,
        stderr=log,
    )
    try:
        site = await make_site(
            redis_url=own_redis.url, activity_url=settings.activity_url, activity_mode="async"
        )
        await site.register("alice")
        post_id = await site.submit()
        await suite.wait_for_events("alice", 2)

        own_redis.stop()
        request_ids = []
        for direction in ("up", "down", "down"):
            response = await site.vote(post_id, direction)
            assert response.status == 303
            request_ids.append(response.headers["X-Request-ID"])
        response = await site.comment(post_id, "written while Redis was down")
        assert response.status == 303
        request_ids.append(response.headers["X-Request-ID"])
        waiting = await outbox_rows(site)
        assert sorted(row.event["request_id"] for row in waiting) == sorted(request_ids)
        assert all(row.attempts >= 1 for row in waiting)
        assert len(await suite.events("alice")) == 2

        own_redis.start()
        stored = await suite.wait_for_events("alice", 6)
        assert [e["request_id"] for e in stored[2:]] == request_ids
        assert sorted(e["id"] for e in stored[2:]) == sorted(row.id for row in waiting)
        await outbox_empty(site)
    finally:
        worker.terminate()
        await worker.wait()
        log.close()
