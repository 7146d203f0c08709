"""`post_activity` against the real activity service, run by a real arq worker.

Each test runs the service in-process (`src.activity.create_app` on SQLite) and a worker
built from `worker_settings` in the same event loop; waits are on conditions, with deadlines.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from src.common.activity_client import ActivityClient
from src.common.events import ActivityEvent
from src.common.settings import Settings
from src.jobs import (
    AbortOutcome,
    DeadLetterStore,
    abort_job,
    activity_health,
    cron_runs,
    enqueue_event,
    job_story,
    live_workers,
    minute_series,
    recent_results,
)
from src.jobs.queue.delivery_story import read_story
from src.jobs.worker.retry_delay import backoff_ceiling
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import running_worker, wait_for


def _event(n: int = 0, **changes: Any) -> ActivityEvent:
    fields: dict[str, Any] = {
        "details": f"alice up-voted post {n}",
        "user_id": 1,
        "username": "alice",
        "data": {"post_id": n},
        "request_id": f"req-{n}",
        **changes,
    }
    return ActivityEvent.new("post.vote", **fields)


def _with(activity: ActivityService, **changes: Any) -> Settings:
    return activity.settings.model_copy(update=changes)


async def _finished(pool: ArqRedis, job_id: str) -> str | None:
    status = (await job_story(pool, job_id)).status
    return status if status in ("complete", "failed") else None


async def test_an_event_is_delivered_once_with_its_request_id(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    event = _event()
    assert await enqueue_event(pool, event)
    assert not await enqueue_event(pool, event)
    async with running_worker(activity.settings, worker_class):
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the delivery")
        [worker] = await live_workers(pool)
    stored = await activity.call("get_activity", str(event.id))
    assert stored is not None
    assert stored["details"] == event.details
    assert await activity.stored_ids() == [str(event.id)]
    assert activity.posts == [("req-0", 201)]
    story = await job_story(pool, str(event.id))
    assert (story.status, story.tries) == ("complete", 1)
    assert story.result == {
        "delivered": True,
        "created": True,
        "status": 201,
        "tries": 1,
        "history": [story.result["history"][0]],
    }
    assert story.result["history"][0]["outcome"] == "delivered"
    assert await read_story(pool, str(event.id)) == []  # a first-try success writes no story
    assert worker.loop == "asyncio"  # in-process; the `arq` command runs uvloop (test_worker)


async def test_retries_back_off_to_the_cap_and_arq_waits_each_recorded_delay(
    activity: ActivityService,
    pool: ArqRedis,
    monkeypatch: pytest.MonkeyPatch,
    worker_class: type[Worker],
) -> None:
    # Bounds doubling from 0.05 s reach the 0.3 s cap on the 4th try (0.4 clamped) and stay.
    # The service's Retry-After (1 s) would hide the jitter under a sub-second cap: 0.1 s
    # keeps a floor to honour and the test fast.
    base, cap, retry_after, failures = 0.05, 0.3, 0.1, 6
    monkeypatch.setattr("src.activity.api.RETRY_AFTER_CHAOS", retry_after)
    await activity.stop()
    await activity.start(fail_rate=1.0)  # every POST: 503 with Retry-After: 0.1
    event = _event()
    await enqueue_event(pool, event)
    settings = _with(activity, delivery_backoff_base=base, delivery_backoff_cap=cap)
    async with running_worker(settings, worker_class):

        async def enough_failures() -> bool:
            return len(await read_story(pool, str(event.id))) >= failures

        await wait_for(enough_failures, timeout=30, what=f"{failures} failed tries")
        assert await activity.call("set_chaos", fail_rate=0.0) == {"sleep_time": 0, "fail_rate": 0}
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the delivery")

    story = await read_story(pool, str(event.id))
    *retries, delivered = story
    assert [record["try"] for record in story] == list(range(1, len(story) + 1))
    assert (delivered["outcome"], delivered["status"]) == ("delivered", 201)
    ceilings = [record["ceiling"] for record in retries]
    # The jitter's bound doubles, then stays at the cap.
    assert ceilings[:failures] == pytest.approx([0.05, 0.1, 0.2, 0.3, 0.3, 0.3])
    assert ceilings == [backoff_ceiling(n, base=base, cap=cap) for n in range(1, len(retries) + 1)]
    for record in retries:
        assert (record["outcome"], record["status"]) == ("retry", 503)
        assert (record["retry_after"], record["delay_source"]) == (retry_after, "retry-after")
        # Each wait: Retry-After, plus a draw under the bound, clamped to the cap (4 decimals).
        assert retry_after - 1e-4 <= record["delay"] <= min(cap, retry_after + record["ceiling"])
    # arq deferred each retry by the recorded delay: the next try ended no sooner. ("at" is
    # cut to milliseconds and arq's defer to whole ms, hence the 2 ms.)
    times = [datetime.fromisoformat(record["at"]) for record in story]
    for record, at, next_at in zip(retries, times, times[1:], strict=False):
        assert (next_at - at).total_seconds() >= record["delay"] - 0.002, record
    assert (await job_story(pool, str(event.id))).result["history"] == story
    assert await activity.stored_ids() == [str(event.id)]
    assert [status for _, status in activity.posts] == [503] * len(retries) + [201]


async def test_a_400_parks_the_event_without_a_retry(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    # The service and the worker validate with the same schema, so a 400 needs a service of
    # another version; one stricter about `details` is emulated in front of the real one.
    from aiohttp import web

    @web.middleware
    async def stricter(request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json()
        if "forbidden" in body.get("details", ""):
            return web.json_response(
                {"error": "invalid event", "fields": {"details": "no"}}, status=400
            )
        return await handler(request)

    await activity.stop()
    app = activity.app()
    app.middlewares.insert(1, stricter)  # behind the recording middleware, so it sees the 400
    await activity.start(app)
    event = _event(details="a forbidden word")
    await enqueue_event(pool, event)
    async with running_worker(activity.settings, worker_class):
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the job to end")
    assert activity.posts == [("req-0", 400)]  # one try: a 400 is not retried
    entry = await DeadLetterStore(pool).get(str(event.id))
    assert entry is not None
    assert (entry.reason, entry.tries, entry.status) == ("rejected", 1, 400)
    assert entry.error.endswith("HTTP 400: invalid event")
    assert entry.event == event.to_json_dict()
    assert [record["outcome"] for record in entry.history] == ["dead_letter"]
    story = await job_story(pool, str(event.id))
    assert story.status == "failed"
    assert story.error is not None
    assert story.error["type"] == "EventDeadLettered"
    assert story.dead_letter == entry.to_dict()


async def test_a_409_conflict_is_not_retried_either(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    event = _event()
    await activity.call("post_event", event.to_json_dict())
    clash = event.model_copy(update={"details": "other content, same id"})
    await enqueue_event(pool, clash)
    async with running_worker(activity.settings, worker_class):
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the job to end")
    entry = await DeadLetterStore(pool).get(str(event.id))
    assert entry is not None
    assert (entry.reason, entry.tries, entry.status) == ("rejected", 1, 409)
    assert (await activity.call("get_activity", str(event.id)))["details"] == event.details


async def test_used_up_tries_park_the_event_and_a_retry_delivers_it_once(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    await activity.stop()
    await activity.start(fail_rate=1.0)
    event = _event()
    await enqueue_event(pool, event)
    settings = _with(activity, delivery_max_tries=3, delivery_backoff_cap=0.05)
    store = DeadLetterStore(pool)
    async with running_worker(settings, worker_class):
        await wait_for(lambda: store.get(str(event.id)), timeout=10, what="the dead letter")
        entry = await store.get(str(event.id))
        assert entry is not None
        assert (entry.reason, entry.tries, entry.status) == ("exhausted", 3, 503)
        assert [record["outcome"] for record in entry.history] == ["retry", "retry", "dead_letter"]
        assert "HTTP 503" in entry.error
        assert await activity.stored_ids() == []

        await activity.call("set_chaos", fail_rate=0.0)
        assert await store.retry(str(event.id)) is True
        assert await store.get(str(event.id)) is None

        async def delivered() -> bool:
            return (await job_story(pool, str(event.id))).status == "complete"

        await wait_for(delivered, timeout=10, what="the retried delivery")
    assert await activity.stored_ids() == [str(event.id)]
    assert await store.count() == 0
    outcomes = [record["outcome"] for record in await read_story(pool, str(event.id))]
    assert outcomes == ["retry", "retry", "dead_letter", "requeued", "delivered"]


async def test_a_malformed_job_argument_is_parked_not_retried(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    await pool.enqueue_job("post_activity", ["not", "an", "event"], _job_id="bad-1")
    async with running_worker(activity.settings, worker_class):
        await wait_for(lambda: _finished(pool, "bad-1"), timeout=10, what="the job to end")
    entry = await DeadLetterStore(pool).get("bad-1")
    assert entry is not None
    assert (entry.reason, entry.tries) == ("invalid", 1)
    assert (
        entry.error
        == "the job's argument is not a valid event: invalid event: body: must be a JSON object"
    )
    assert activity.posts == []


async def test_a_slow_answer_times_out_and_the_next_try_finds_it_stored(
    activity: ActivityService,
    pool: ArqRedis,
    monkeypatch: pytest.MonkeyPatch,
    worker_class: type[Worker],
) -> None:
    monkeypatch.setattr("src.jobs.worker.delivery.ATTEMPT_TIMEOUT", 0.3)
    await activity.stop()
    await activity.start(sleep_time=0.6)  # the service sleeps after saving
    event = _event()
    await enqueue_event(pool, event)
    settings = _with(activity, delivery_backoff_cap=0.05)
    async with running_worker(settings, worker_class):
        await wait_for(lambda: read_story(pool, str(event.id)), timeout=10, what="a timeout")
        await activity.call("set_chaos", sleep_time=0.0)
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the delivery")
    story = await job_story(pool, str(event.id))
    assert story.status == "complete"
    assert story.result["created"] is False  # the first try had stored it
    first = story.result["history"][0]
    assert (first["outcome"], first["error"]) == ("retry", "no answer within 0.3s")
    assert await activity.stored_ids() == [str(event.id)]


async def test_an_unexpected_error_becomes_a_retry(
    activity: ActivityService,
    pool: ArqRedis,
    monkeypatch: pytest.MonkeyPatch,
    worker_class: type[Worker],
) -> None:
    calls = 0
    post_event = ActivityClient.post_event

    async def flaky(self: ActivityClient, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug nobody foresaw")
        return await post_event(self, *args, **kwargs)

    monkeypatch.setattr(ActivityClient, "post_event", flaky)
    event = _event()
    await enqueue_event(pool, event)
    async with running_worker(_with(activity, delivery_backoff_cap=0.05), worker_class):
        await wait_for(lambda: _finished(pool, str(event.id)), timeout=10, what="the delivery")
    story = await job_story(pool, str(event.id))
    assert (story.status, story.tries) == ("complete", 2)
    assert story.history[0]["error"] == "unexpected RuntimeError: a bug nobody foresaw"
    assert await activity.stored_ids() == [str(event.id)]


async def test_aborting_a_queued_job_keeps_it_from_running(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    event = _event()
    job = await pool.enqueue_job(
        "post_activity", event.to_json_dict(), _job_id=str(event.id), _defer_by=600
    )
    assert job is not None
    async with running_worker(activity.settings, worker_class):
        assert await abort_job(pool, str(event.id), wait=5) is AbortOutcome.aborted
    story = await job_story(pool, str(event.id))
    assert story.status == "failed"
    assert story.error == {"type": "CancelledError", "message": "aborted", "traceback": ""}
    assert await activity.call("get_activity", str(event.id)) is None
    assert activity.posts == []


async def test_aborting_a_running_delivery_cancels_it(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    await activity.stop()
    await activity.start(sleep_time=5)
    event = _event()
    await enqueue_event(pool, event)
    async with running_worker(activity.settings, worker_class):

        async def in_flight() -> bool:
            return (await job_story(pool, str(event.id))).status == "in_progress"

        await wait_for(in_flight, timeout=10, what="the delivery to start")
        assert await abort_job(pool, str(event.id), wait=5) is AbortOutcome.aborted
        assert (await job_story(pool, str(event.id))).status == "failed"


async def test_the_health_check_records_the_service_up_then_down(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    async with running_worker(activity.settings, worker_class):  # the cron runs at start-up
        [up] = await wait_for(lambda: activity_health(pool), timeout=10, what="a health check")
    assert (up.ok, up.store, up.error) == (True, "sqlite", None)
    assert up.latency >= 0
    await activity.stop()
    async with running_worker(activity.settings, worker_class):

        async def two_checks() -> bool:
            return len(await activity_health(pool)) == 2

        await wait_for(two_checks, timeout=10, what="a second health check")
    down = (await activity_health(pool))[0]
    assert down.ok is False
    assert down.error is not None
    assert "GET http://127.0.0.1" in down.error


async def test_the_health_check_repeats_on_its_schedule(
    activity: ActivityService,
    pool: ArqRedis,
    monkeypatch: pytest.MonkeyPatch,
    worker_class: type[Worker],
) -> None:
    # Every 2 s instead of every 10 s; stock arq enqueues cron jobs on each poll, the woken
    # worker on its own full pass (heart_beat), so both must see the schedule come round.
    monkeypatch.setattr("src.jobs.worker.settings.HEALTH_CHECK_SECONDS", set(range(0, 60, 2)))
    async with running_worker(activity.settings, worker_class) as worker:

        async def three_runs() -> list[dict[str, Any]]:
            runs = await cron_runs(pool, "cron:check_activity_health")
            return runs if len(runs) >= 3 else []

        runs = await wait_for(three_runs, timeout=10, what="two scheduled health checks")
        checks = await activity_health(pool)
    startup, *scheduled = reversed(runs)  # newest first
    assert all(run["outcome"] == "ok" for run in runs)
    assert len(checks) >= len(runs)  # each run recorded its check
    # arq's cron job id carries the time it was due: on the schedule (arq's cron fires at
    # `microsecond` past the second), one slot after another.
    [cron_job] = worker.cron_jobs
    due = [int(run["job_id"].rsplit(":", 1)[1]) for run in scheduled]
    assert all(ms % 2000 == cron_job.microsecond // 1000 for ms in due), due
    assert [later - earlier for earlier, later in pairwise(due)] == [2000] * (len(due) - 1)
    assert due[0] - int(startup["job_id"].rsplit(":", 1)[1]) <= 2000  # the first slot after
    for run, ms in zip(scheduled, due, strict=True):  # ... start-up, and none ran early
        assert datetime.fromisoformat(run["started"]).timestamp() * 1000 >= ms - 1


async def test_heartbeats_count_what_the_worker_did(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    events = [_event(n) for n in range(5)]
    for event in events:
        await enqueue_event(pool, event)
    await pool.enqueue_job("post_activity", {"junk": True}, _job_id="junk")
    async with running_worker(activity.settings, worker_class) as worker:
        for event in events:
            await wait_for(
                lambda e=event: _finished(pool, str(e.id)), timeout=10, what="deliveries"
            )
        await wait_for(lambda: _finished(pool, "junk"), timeout=10, what="the junk job")
        context = worker.ctx["wolfit"]
        await context.heartbeat.beat()
        [beat] = await live_workers(pool)
    assert (beat.done, beat.failed, beat.running) == (5, 1, 0)
    finished = await recent_results(pool)
    assert {job.job_id for job in finished.items} == {str(e.id) for e in events} | {"junk"}
    [failed] = (await recent_results(pool, failed_only=True)).items
    assert (failed.job_id, failed.status) == ("junk", "failed")
    assert failed.error is not None
    assert failed.error["type"] == "EventDeadLettered"
    assert sum(minute.done for minute in await minute_series(pool, minutes=2)) == 5
    assert sorted(await activity.stored_ids()) == sorted(str(e.id) for e in events)
