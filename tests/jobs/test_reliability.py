"""The guarantees of docs/guarantees.md for the queue, with real processes.

Workers run as `wolfit worker` (the woken `WolfitWorker`) or `arq src.jobs.WorkerSettings`
(stock arq) subprocesses on a Redis of the test's own (AOF on); each test runs with both
kinds, and side by side. The activity service runs in-process so the test can stop it,
start it again on the same database, and count what it stored. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job

from src.common.embedded_redis import EmbeddedRedis
from src.common.events import ActivityEvent
from src.common.settings import Settings
from src.jobs import (
    DeadLetterStore,
    QueueUnavailable,
    create_pool,
    enqueue_event,
    live_workers,
    recent_workers,
)
from src.jobs.queue.heartbeats import WorkerInfo
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import job_deserializer
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import (
    ARQ_WORKER,
    WOLFIT_WORKER,
    WorkerProcess,
    settings_env,
    wait_for,
    worker_process,
)

pytestmark = pytest.mark.slow

BOTH_COMMANDS = pytest.mark.parametrize(
    "command", [WOLFIT_WORKER, ARQ_WORKER], ids=["wolfit-worker", "arq"]
)


@pytest.fixture
def own_settings(activity: ActivityService, own_redis: EmbeddedRedis) -> Settings:
    """Settings for workers: the activity service, the test's own Redis, quick backoff."""
    return activity.settings.model_copy(
        update={
            "redis_url": own_redis.url,
            "delivery_backoff_base": 0.05,
            "delivery_backoff_cap": 1.0,
        }
    )


@pytest.fixture
async def own_pool(own_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(own_settings)
    yield pool
    await pool.aclose()


def _events(count: int, prefix: str = "e") -> list[ActivityEvent]:
    return [
        ActivityEvent.new("post.create", details=f"{prefix}{n}", user_id=n, username="al")
        for n in range(count)
    ]


async def _enqueue(pool: ArqRedis, events: list[ActivityEvent]) -> None:
    for event in events:
        assert await enqueue_event(pool, event)


async def _all_stored(activity: ActivityService, events: list[ActivityEvent]) -> bool:
    return len(await activity.stored_ids()) >= len(events)


async def _assert_stored_exactly_once(
    activity: ActivityService, events: list[ActivityEvent]
) -> None:
    stored = await activity.stored_ids()
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert sorted(stored) == sorted(str(event.id) for event in events)


@BOTH_COMMANDS
async def test_an_outage_of_the_activity_service_loses_nothing(
    activity: ActivityService,
    own_settings: Settings,
    own_pool: ArqRedis,
    tmp_path: Path,
    command: list[str],
) -> None:
    await activity.stop()
    events = _events(200)
    await _enqueue(own_pool, events)
    env = settings_env(own_settings)
    with worker_process(command, env, tmp_path / "worker.log") as worker:

        async def each_failed_once() -> bool:
            keys = [f"wolfit:delivery:{event.id}" for event in events]
            return await own_pool.exists(*keys) == len(events)

        await wait_for(each_failed_once, timeout=30, what="every event to fail once")
        await activity.start()
        await wait_for(lambda: _all_stored(activity, events), timeout=30, what="the backlog")
        assert await worker.stop() == 0
    await _assert_stored_exactly_once(activity, events)
    assert await DeadLetterStore(own_pool).count() == 0
    assert {status for _, status in activity.posts} == {201}  # refused tries never arrived


@pytest.mark.parametrize(
    ("killed", "successor"),
    [(WOLFIT_WORKER, ARQ_WORKER), (ARQ_WORKER, WOLFIT_WORKER)],
    ids=["wolfit-worker-killed", "arq-killed"],
)
async def test_a_worker_killed_mid_delivery_loses_nothing(
    activity: ActivityService,
    own_settings: Settings,
    own_pool: ArqRedis,
    tmp_path: Path,
    killed: list[str],
    successor: list[str],
) -> None:
    await activity.stop()
    await activity.start(sleep_time=1.0)  # the service sleeps after saving: slow answers
    events = _events(40)
    await _enqueue(own_pool, events)
    env = settings_env(own_settings, WORKER_MAX_JOBS="20")
    with worker_process(killed, env, tmp_path / "first.log") as first:
        [victim] = await wait_for(lambda: live_workers(own_pool), timeout=20, what="a worker")

        async def deliveries_in_flight() -> bool:
            return len(activity.posts) == 0 and len(await activity.stored_ids()) >= 10

        await wait_for(deliveries_in_flight, timeout=20, what="deliveries in flight")
        first.kill()  # SIGKILL: no clean-up of any kind
        killed_at = time.monotonic()
        killed_on = datetime.now(UTC)
    in_progress = [key async for key in own_pool.scan_iter(match="arq:in-progress:*")]
    assert in_progress, "the worker held no delivery when it was killed"

    with worker_process(successor, env, tmp_path / "second.log") as second:

        async def victim_gone() -> bool:
            return victim.id not in [worker.id for worker in await live_workers(own_pool)]

        await wait_for(victim_gone, timeout=30, what="the killed worker to leave the live list")
        assert time.monotonic() - killed_at <= 30  # docs/worker.md: a heartbeat expires within 30 s
        # Its deliveries run again once arq's in-progress keys expire (job timeout + 10 s).
        await wait_for(lambda: _all_stored(activity, events), timeout=60, what="every event")

        async def queue_drained() -> bool:
            jobs = await own_pool.zrange("arq:queue", 0, -1)
            return not [job for job in jobs if not job.startswith(b"cron:")]

        # Generous: how soon they came back is checked below, on recorded times.
        await wait_for(queue_drained, timeout=90, what="the re-runs to finish")
        assert await second.stop() == 0
    await _assert_stored_exactly_once(activity, events)
    statuses = [status for _, status in activity.posts]
    assert 200 in statuses  # a killed delivery ran again; the service kept one copy
    # Every event is stored within a minute of the kill, on the service's own clock...
    latest = max(datetime.fromisoformat(item["received_at"]) for item in await activity.stored())
    assert latest - killed_on <= timedelta(seconds=60), (killed_on, latest)
    # ... and the deliveries the killed worker held (stored, but not yet answered) ran again
    # and ended within a minute of it, as arq recorded their second try.
    for key in in_progress:
        job_id = key.decode().removeprefix("arq:in-progress:")
        if job_id.startswith("cron:"):
            continue
        job = Job(job_id, own_pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
        result = await job.result_info()
        assert result is not None, job_id
        assert result.success, job_id
        assert result.finish_time - killed_on <= timedelta(seconds=60), (job_id, killed_on)


async def _enqueue_when_redis_answers(pool: ArqRedis, events: list[ActivityEvent]) -> None:
    for event in events:

        async def enqueued(event: ActivityEvent = event) -> bool:
            try:
                return await enqueue_event(pool, event)
            except QueueUnavailable:  # Redis still loading its AOF
                return False

        await wait_for(enqueued, timeout=20, what="Redis to take jobs again")


async def _hold_redis_down(
    pool: ArqRedis, worker: WorkerProcess, seconds: float, event: ActivityEvent
) -> None:
    """Keep Redis away for `seconds` (the outage under test), checking along the way that
    the producer refuses clearly and that the worker process stays up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with pytest.raises(QueueUnavailable, match=r"Redis at 127\.0\.0\.1:\d+ is unreachable"):
            await enqueue_event(pool, event)
        assert worker.alive(), worker.output()[-2000:]
        await asyncio.sleep(0.5)


async def _beating_since(pool: ArqRedis, moment: datetime) -> list[WorkerInfo]:
    """The live workers whose last beat is not older than `moment` (beats keep seconds)."""
    workers = await live_workers(pool)
    since = moment.replace(microsecond=0)
    return [worker for worker in workers if datetime.fromisoformat(worker.last_beat) >= since]


# `arq` logs this when a Redis failure ended its worker's run and it re-executed itself
# (same pid, a new heartbeat id). `wolfit worker` never restarts: its loop waits for Redis.
RESTART_LINE = re.compile(r"worker stopped on (\w+)")
# Past the wake listener's block (5 s) and a heartbeat interval (5 s). The heartbeat key
# (15 s TTL) may outlive it, so the worker's return is checked on a beat written after Redis.
REDIS_DOWN_SECONDS = 10


def _assert_went_on_or_restarted_for_a_claim(
    worker: WorkerProcess, before: WorkerInfo, beating: list[WorkerInfo], command: list[str]
) -> None:
    """The process never exited, and its run went on through the outage (same heartbeat id:
    the patient connection and, for `wolfit worker`, its loop waited). Stock arq alone may
    restart in place, when a claim's WATCH/EXEC was cut: the one failure its connection
    cannot retry and its `Worker` does not survive."""
    assert {info.pid for info in beating} == {before.pid} == {worker.pid}
    after = max(beating, key=lambda info: (info.started, info.last_beat))  # the newest run
    causes = RESTART_LINE.findall(worker.output())
    if command == WOLFIT_WORKER:
        assert after.id == before.id, "wolfit worker started a new run"
        assert causes == []
    elif after.id == before.id:
        assert causes == [], "the heartbeat id stayed but the worker logged a restart"
    else:
        assert causes, "a new heartbeat id in the same process, but no restart logged"
        assert set(causes) == {"WatchError"}, f"the worker's run ended on {causes}"


@BOTH_COMMANDS
@pytest.mark.parametrize("outage", ["restart", "crash"])
async def test_redis_going_away_under_a_running_worker_loses_nothing(
    activity: ActivityService,
    own_settings: Settings,
    own_pool: ArqRedis,
    own_redis: EmbeddedRedis,
    tmp_path: Path,
    command: list[str],
    outage: str,
) -> None:
    """`restart`: a clean SIGTERM restart (AOF flushed), back at once. `crash`: SIGKILL, away
    for 10 s, then back on the same port from its AOF. Either way the worker process lives
    through it, every event queued before and after is stored once, and the worker beats
    again; its heartbeat id says whether its run went on or it restarted itself."""
    await activity.stop()
    await activity.start(sleep_time=0.2)  # 20 at a time: 150 events take 1.5 s at least
    before, after = _events(150, "before"), _events(50, "after")
    await _enqueue(own_pool, before)
    env = settings_env(own_settings, WORKER_MAX_JOBS="20")
    with worker_process(command, env, tmp_path / "worker.log") as worker:
        [first] = await wait_for(lambda: live_workers(own_pool), timeout=20, what="a worker")

        async def some_delivered() -> bool:
            return len(await activity.stored_ids()) >= 20

        await wait_for(some_delivered, timeout=20, what="the first deliveries")
        if outage == "restart":
            own_redis.restart()  # SIGTERM (AOF flushed), then the same port and data
        else:
            own_redis.kill()  # SIGKILL: the AOF keeps what was written up to a second ago
            await _hold_redis_down(own_pool, worker, REDIS_DOWN_SECONDS, after[0])
            own_redis.start()
        back_on = datetime.now(UTC)
        assert await own_pool.zcard("arq:queue") > 50  # most events still queued
        await _enqueue_when_redis_answers(own_pool, after)
        await wait_for(
            lambda: _all_stored(activity, before + after), timeout=60, what="every event"
        )
        assert worker.alive()
        beating = await wait_for(
            lambda: _beating_since(own_pool, back_on), timeout=20, what="a beat after the outage"
        )
        _assert_went_on_or_restarted_for_a_claim(worker, first, beating, command)
        assert await worker.stop() == 0
    await _assert_stored_exactly_once(activity, before + after)


async def test_both_kinds_side_by_side_deliver_every_event_once(
    activity: ActivityService, own_settings: Settings, own_pool: ArqRedis, tmp_path: Path
) -> None:
    await activity.stop()
    await activity.start(sleep_time=0.02)  # deliveries overlap, so both workers take some
    events = _events(300)
    env = settings_env(own_settings, WORKER_MAX_JOBS="10")
    with (
        worker_process(WOLFIT_WORKER, env, tmp_path / "woken.log") as woken,
        worker_process(ARQ_WORKER, env, tmp_path / "stock.log") as stock,
    ):

        async def both_live() -> bool:
            return len(await live_workers(own_pool)) == 2

        await wait_for(both_live, timeout=20, what="both workers")
        await _enqueue(own_pool, events[::2])
        for event in events[1::2]:  # arq's own producer: no wake token
            await own_pool.enqueue_job("post_activity", event.to_json_dict(), _job_id=str(event.id))
        await wait_for(lambda: _all_stored(activity, events), timeout=60, what="every event")
        assert await woken.stop() == 0
        assert await stock.stop() == 0
    await _assert_stored_exactly_once(activity, events)
    assert [status for _, status in activity.posts] == [201] * len(events)  # none ran twice
    done = {worker.pid: worker.done for worker in await recent_workers(own_pool)}
    assert done[woken.pid] > 0
    assert done[stock.pid] > 0
    assert done[woken.pid] + done[stock.pid] == len(events)
