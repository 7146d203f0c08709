"""The ops service layer: what the ops JSON API and the dashboard pages both show and do.

Every method answers JSON-ready data (dicts of str, numbers, lists, None) and raises an
`OpsError` subclass for what the operator asked wrong (400), what does not exist (404), what
clashes (409) and a Redis that does not answer (503). Every listing reads one page from
Redis, never a whole queue or log. Get it with `ops_service(request)`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from src.jobs import (
    DeadLetterNotFound,
    DeadLetterStore,
    EnqueueOutcome,
    JobPayloadUnreadable,
    QueueUnavailable,
    StopOutcome,
    activity_health,
    cron_runs,
    cron_schedules,
    enqueue_job,
    job_story,
    jobs_in_progress,
    list_jobs,
    live_workers,
    minute_series,
    queue_stats,
    read_job_log,
    recent_results,
    recent_workers,
    stop_job,
)
from src.web.data import outbox
from src.web.database import Database
from src.web.ops.alerts.store import AlertStore
from src.web.ops.enqueue import ALLOWED_JOBS, prepare_job
from src.web.ops.errors import OpsBadRequest, OpsConflict, OpsNotFound, OpsUnavailable

__all__ = ["ALERT_STATES", "JOB_STATUSES", "MAX_LIMIT", "RETRY_ALL_BATCH", "OpsService"]

log = logging.getLogger(__name__)

JOB_STATUSES = ("queued", "deferred", "in_progress", "complete", "failed")
ALERT_STATES = ("open", "all")
MAX_LIMIT = 200
OVERVIEW_ALERTS = 20  # the newest open alerts the overview lists (it counts the rest)
MAX_ID = 200
# Dead letters one retry-all call re-queues: `DeadLetterStore.retry_many` takes the same few
# Redis round trips for any batch, plus some 0.1 ms of Python a letter, so a batch of 500
# keeps the call well within the 200 ms budget of every ops route; the caller repeats while
# `remaining` says more are left.
RETRY_ALL_BATCH = 500


def _page(total: int, offset: int, limit: int, items: list[Any]) -> dict[str, Any]:
    following = offset + limit
    return {
        "items": items,
        "total": total,
        "offset": offset,
        "limit": limit,
        "next_offset": following if following < total else None,
    }


def check_page(offset: int, limit: int) -> None:
    """`OpsBadRequest` unless 0 <= offset and 1 <= limit <= 200."""
    if offset < 0:
        raise OpsBadRequest("offset must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise OpsBadRequest(f"limit must be between 1 and {MAX_LIMIT}")


def _check_id(value: str, what: str) -> str:
    if not value or len(value) > MAX_ID:
        raise OpsNotFound(f"no {what} with id {value[:MAX_ID]!r}")
    return value


class OpsService:
    """The queue, jobs, dead letters, workers, schedules and alerts, for operators."""

    def __init__(
        self, redis: ArqRedis | None, database: Database, alerts: AlertStore | None = None
    ) -> None:
        self._redis = redis
        self.database = database
        self.alerts = alerts

    @property
    def redis(self) -> ArqRedis:
        if self._redis is None:
            raise OpsUnavailable("the queue is not configured: set REDIS_URL")
        return self._redis

    @contextlib.asynccontextmanager
    async def _queue(self) -> AsyncIterator[ArqRedis]:
        """The Redis of the queue; its failures become `OpsUnavailable` (503)."""
        try:
            yield self.redis
        except (RedisError, OSError, TimeoutError, QueueUnavailable) as exc:
            log.warning("ops: Redis does not answer: %s", exc)
            raise OpsUnavailable(
                f"the queue's Redis does not answer ({exc.__class__.__name__}); try again shortly"
            ) from exc
        except JobPayloadUnreadable as exc:  # a payload of another arq version (pickled)
            log.warning("ops: a job's payload cannot be decoded: %s", exc)
            raise OpsConflict(
                "a job's payload in Redis cannot be decoded (written by another version of "
                "arq, e.g. pickled instead of JSON?)"
            ) from exc

    # The overview -------------------------------------------------------------------

    async def outbox_backlog(self) -> int | None:
        """Events waiting in the web database's outbox; None if the database does not answer."""
        try:
            return await self.database.read(outbox.count)
        except Exception as exc:
            log.warning("ops: could not count the outbox: %s", exc)
            return None

    async def _open_alerts(self) -> dict[str, Any]:
        """How many alerts are open (in all and per kind) and the newest few: however many
        are open, the overview reads only these."""
        if self.alerts is None:
            return {"open": 0, "by_kind": {}, "items": []}
        page = await self.alerts.list("open", limit=OVERVIEW_ALERTS)
        return {
            "open": page.total,
            "by_kind": await self.alerts.open_counts(),
            "items": [alert.to_dict() for alert in page.items],
        }

    async def queue(self) -> dict[str, Any]:
        """Depth, ready, deferred, in progress, oldest wait, dead letters, live workers."""
        async with self._queue() as redis:
            stats = (await queue_stats(redis)).to_dict()
        return {**stats, "outbox_backlog": await self.outbox_backlog()}

    async def overview(self, minutes: int = 60) -> dict[str, Any]:
        """Everything the overview shows, with per-minute series for the charts."""
        if not 1 <= minutes <= 120:
            raise OpsBadRequest("minutes must be between 1 and 120")
        async with self._queue() as redis:
            stats = await queue_stats(redis)
            series = await minute_series(redis, minutes)
            checks = await activity_health(redis, limit=1)
            alerts = await self._open_alerts()
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "queue": stats.to_dict(),
            "last_hour": {
                "done": sum(minute.done for minute in series[-60:]),
                "failed": sum(minute.failed for minute in series[-60:]),
                "retried": sum(minute.retried for minute in series[-60:]),
            },
            "outbox_backlog": await self.outbox_backlog(),
            "activity": checks[0].to_dict() if checks else None,
            "alerts": alerts,
            "series": [minute.to_dict() for minute in series],
        }

    # Jobs ------------------------------------------------------------------------------

    async def jobs(self, status: str, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """One page of jobs in `status` (queued, deferred, in_progress, complete, failed)."""
        if status not in JOB_STATUSES:
            raise OpsBadRequest(
                f"status must be one of {', '.join(JOB_STATUSES)}", allowed=list(JOB_STATUSES)
            )
        check_page(offset, limit)
        async with self._queue() as redis:
            if status in ("queued", "deferred"):
                page = (await list_jobs(redis, status, offset=offset, limit=limit)).to_dict()  # type: ignore[arg-type]
            elif status == "in_progress":
                running = [job.to_dict() for job in await jobs_in_progress(redis)]
                page = {"items": running[offset : offset + limit], "total": len(running)}
            else:
                failed = status == "failed"
                page = (
                    await recent_results(
                        redis,
                        failed_only=failed,
                        delivered_only=not failed,
                        offset=offset,
                        limit=limit,
                    )
                ).to_dict()
        return {"status": status, **_page(page["total"], offset, limit, page["items"])}

    async def job(self, job_id: str) -> dict[str, Any]:
        """One job in full: its story (arguments, tries, times, result or error with the
        traceback, delivery tries, dead letter) and the log lines it wrote."""
        _check_id(job_id, "job")
        async with self._queue() as redis:
            story = await job_story(redis, job_id)
            if story.status == "not_found":
                raise OpsNotFound(f"no job with id {job_id!r} (finished jobs are kept an hour)")
            lines = await read_job_log(redis, job_id)
        return {**story.to_dict(), "log": lines}

    async def abort(self, job_id: str, *, operator: str) -> dict[str, Any]:
        """Stop a queued, deferred or running job; a delivery's event goes to the dead
        letters with reason `aborted` (retry or delete it there)."""
        _check_id(job_id, "job")
        async with self._queue() as redis:
            report = await stop_job(redis, job_id, operator=operator)
        if report.outcome is StopOutcome.not_found:
            raise OpsNotFound(f"no job with id {job_id!r}")
        if report.outcome is StopOutcome.finished:
            raise OpsConflict(f"job {job_id} has finished already: there is nothing to abort")
        if report.outcome is StopOutcome.unreadable:
            raise OpsConflict(
                f"job {job_id} is running, but its payload cannot be decoded here (written by "
                "another version of arq?): it was left running; stop it where it runs, or let "
                "it finish"
            )
        if report.outcome is StopOutcome.not_confirmed:
            raise OpsConflict(
                f"job {job_id} is running, but no worker confirmed the abort in time; "
                "it was left running (is its worker alive?)"
            )
        log.warning("job %s %s by %s", job_id, report.outcome.value, operator)
        return report.to_dict()

    async def enqueue(self, function: Any, args: Any, *, operator: str) -> dict[str, Any]:
        """Queue an allow-listed job (see `enqueue.ALLOWED_JOBS`)."""
        job = prepare_job(function, args)
        async with self._queue() as redis:
            outcome = await enqueue_job(redis, job.function, job.args, job_id=job.job_id)
        if outcome is EnqueueOutcome.already_queued:
            raise OpsConflict(f"a job with id {job.job_id} is queued or running already")
        if outcome is EnqueueOutcome.dead_lettered:
            raise OpsConflict(
                f"event {job.job_id} is in the dead-letter store: retry it there instead"
            )
        log.info("job %s (%s) enqueued by %s", job.job_id, job.function, operator)
        return {"job_id": job.job_id, "function": job.function, "args": job.args}

    @staticmethod
    def allowed_jobs() -> list[dict[str, str]]:
        """The allow-list, for the dashboard's enqueue form."""
        return [
            {"function": name, "description": job.description, "arguments": job.arguments}
            for name, job in ALLOWED_JOBS.items()
        ]

    # Dead letters ----------------------------------------------------------------------

    async def dead_letters(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """One page of parked events, newest first."""
        check_page(offset, limit)
        async with self._queue() as redis:
            page = await DeadLetterStore(redis).list(offset=offset, limit=limit)
        return _page(page.total, offset, limit, [entry.to_dict() for entry in page.items])

    async def dead_letter(self, event_id: str) -> dict[str, Any]:
        """One parked event with its error history."""
        _check_id(event_id, "dead letter")
        async with self._queue() as redis:
            entry = await DeadLetterStore(redis).get(event_id)
        if entry is None:
            raise OpsNotFound(f"no dead letter with id {event_id!r}")
        return entry.to_dict()

    async def retry_dead_letter(self, event_id: str, *, operator: str) -> dict[str, Any]:
        """Queue a parked event again (under its id); the entry goes once the job exists."""
        _check_id(event_id, "dead letter")
        async with self._queue() as redis:
            try:
                created = await DeadLetterStore(redis).retry(event_id)
            except DeadLetterNotFound:
                raise OpsNotFound(f"no dead letter with id {event_id!r}") from None
        log.info("dead letter %s retried by %s", event_id, operator)
        return {"id": event_id, "requeued": created}

    async def retry_all_dead_letters(
        self, *, operator: str, limit: int = RETRY_ALL_BATCH
    ) -> dict[str, Any]:
        """Queue the `limit` (at most `RETRY_ALL_BATCH`) oldest parked events again;
        `remaining` says how many are left (call again for the next batch)."""
        if not 1 <= limit <= RETRY_ALL_BATCH:
            raise OpsBadRequest(f"limit must be between 1 and {RETRY_ALL_BATCH}")
        async with self._queue() as redis:
            store = DeadLetterStore(redis)
            outcomes = await store.retry_many(await store.oldest_ids(limit))
            retried = sum(outcome == "requeued" for outcome in outcomes.values())
            already_queued = sum(outcome == "already_queued" for outcome in outcomes.values())
            remaining = await store.count()
        log.info("%d dead letters retried by %s (%d left)", retried, operator, remaining)
        return {"retried": retried, "already_queued": already_queued, "remaining": remaining}

    async def delete_dead_letter(self, event_id: str, *, operator: str) -> dict[str, Any]:
        """Drop a parked event for good."""
        _check_id(event_id, "dead letter")
        async with self._queue() as redis:
            deleted = await DeadLetterStore(redis).delete(event_id)
        if not deleted:
            raise OpsNotFound(f"no dead letter with id {event_id!r}")
        log.warning("dead letter %s deleted by %s", event_id, operator)
        return {"id": event_id, "deleted": True}

    # Workers, schedules, alerts --------------------------------------------------------

    async def workers(self) -> dict[str, Any]:
        """Live workers, and those that stopped or vanished in the last hour."""
        async with self._queue() as redis:
            live = await live_workers(redis)
            gone = await recent_workers(redis)
        return {
            "live": [worker.to_dict() for worker in live],
            "gone": [worker.to_dict() for worker in gone],
        }

    async def schedules(self) -> dict[str, Any]:
        """The workers' cron jobs: schedule in words, next run, last run and its outcome."""
        async with self._queue() as redis:
            items = []
            for schedule in await cron_schedules(redis):
                runs = await cron_runs(redis, schedule.name, limit=10)
                items.append({**schedule.to_dict(), "recent_runs": runs})
        return {"items": items}

    async def alert_list(
        self, state: str = "all", *, offset: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        """Alerts, newest first: `all` kept (the newest 1,000) or only the `open` ones."""
        if state not in ALERT_STATES:
            raise OpsBadRequest("state must be open or all", allowed=list(ALERT_STATES))
        check_page(offset, limit)
        if self.alerts is None:
            raise OpsUnavailable("alerts need the queue's Redis: set REDIS_URL")
        async with self._queue():
            page = await self.alerts.list(state, offset=offset, limit=limit)  # type: ignore[arg-type]
        return page.to_dict()
