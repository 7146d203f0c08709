"""`post_activity`: deliver one event to the activity service, or park it as a dead letter.

Outcomes (docs/worker.md): 2xx, done. Connection error, timeout, 408, 429 or 5xx: retry
after full-jitter backoff or the service's `Retry-After`. Other 4xx: no retry. Tries used up,
or a non-retryable answer: the dead-letter store.

The dead-letter path always wins over arq's own failure handling, which would drop the event:
arq's `max_tries` for this function is out of reach, every error (even an unexpected one) is
caught here and becomes a retry or a dead letter, the whole delivery runs under deadlines that
end before arq's job timeout, and a dead letter that cannot be written (Redis away) turns into
a retry. Only after the event is safely parked does the job fail, so arq records it as failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any, NoReturn

from arq.worker import Retry

from src.common.activity_client import ActivityRejected, ActivityUnavailable, Delivery
from src.common.events import EventInvalid, parse_event
from src.common.logging import request_id_var
from src.jobs.queue.dead_letters import DeadLetter
from src.jobs.queue.delivery_story import append_try, try_record
from src.jobs.queue.errors import EventDeadLettered
from src.jobs.worker.context import CLIENT_TIMEOUT, CONTEXT_KEY, WorkerContext
from src.jobs.worker.retry_delay import retry_delay

__all__ = [
    "ARQ_MAX_TRIES",
    "JOB_TIMEOUT",
    "Failure",
    "post_activity",
]

log = logging.getLogger(__name__)

ATTEMPT_TIMEOUT = CLIENT_TIMEOUT + 1.0  # the POST, including waiting for a pooled connection
BOOKKEEPING_TIMEOUT = 2.0  # each write of the story or the dead letter
JOB_TIMEOUT = 15  # arq's limit: above ATTEMPT_TIMEOUT + 2 * BOOKKEEPING_TIMEOUT
ARQ_MAX_TRIES = 1_000_000  # never reached: DELIVERY_MAX_TRIES decides, here
INTERRUPTED_GRACE = 2  # tries past the limit that may end with no outcome (worker killed)
PARK_RETRY_DELAY = 5.0  # when the dead letter cannot be written: Redis is away, try again


class Failure:
    """A try that did not store the event: whether a later try may succeed, and why."""

    __slots__ = ("error", "retry_after", "retryable", "status")

    def __init__(
        self,
        error: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.error = error
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def _request_id(event: Any, job_id: str) -> str:
    if isinstance(event, dict) and isinstance(event.get("request_id"), str):
        return str(event["request_id"])
    return job_id


async def _attempt(
    context: WorkerContext, event: dict[str, Any], request_id: str
) -> Delivery | Failure:
    try:
        async with asyncio.timeout(ATTEMPT_TIMEOUT):
            return await context.client.post_event(event, request_id=request_id)
    except ActivityRejected as exc:
        return Failure(str(exc), retryable=False, status=exc.status)
    except ActivityUnavailable as exc:
        return Failure(str(exc), retryable=True, status=exc.status, retry_after=exc.retry_after)
    except TimeoutError:
        return Failure(f"no answer within {ATTEMPT_TIMEOUT:g}s", retryable=True)
    except Exception as exc:  # a bug or a surprise must not lose the event: retry, then park
        log.exception("unexpected error while delivering")
        return Failure(f"unexpected {type(exc).__name__}: {exc}", retryable=True)


async def post_activity(ctx: dict[str, Any], event: Any, **options: Any) -> dict[str, Any]:
    """Deliver `event` (the job's argument) and answer what happened; see the module doc.

    Raises arq's `Retry` to try again later, and `EventDeadLettered` once the event is parked.
    `options`: `requeued=True` (from `DeadLetterStore.retry`) continues the event's delivery
    story from its first try; unknown options are ignored, so a newer producer may add some.
    """
    context: WorkerContext = ctx[CONTEXT_KEY]
    job_id: str = ctx["job_id"]
    job_try: int = ctx["job_try"]
    token = request_id_var.set(_request_id(event, job_id))
    context.stats.started(job_id)
    try:
        return await _deliver(
            context, job_id, job_try, event, ctx["enqueue_time"], bool(options.get("requeued"))
        )
    except (Retry, EventDeadLettered):
        raise
    except Exception as exc:  # our own bookkeeping failed in a way nobody foresaw
        log.exception("delivery of job %s failed unexpectedly; it will run again", job_id)
        delay = retry_delay(
            job_try,
            base=context.settings.delivery_backoff_base,
            cap=context.settings.delivery_backoff_cap,
            rng=context.rng,
        )
        context.stats.retrying(job_id)
        raise Retry(defer=delay.seconds) from exc
    finally:
        context.stats.finished(job_id)
        request_id_var.reset(token)


async def _deliver(
    context: WorkerContext,
    job_id: str,
    job_try: int,
    event: Any,
    enqueued: datetime,
    requeued: bool,
) -> dict[str, Any]:
    settings = context.settings
    max_tries = settings.delivery_max_tries
    try:
        parse_event(event)
    except EventInvalid as exc:
        error = f"the job's argument is not a valid event: {exc}"
        await _park(context, job_id, job_try, event, "invalid", Failure(error, retryable=False))
    if job_try > max_tries + INTERRUPTED_GRACE:
        error = (
            f"tries {max_tries + 1} to {job_try - 1} ended without an outcome "
            "(worker killed or stopped during the delivery)"
        )
        await _park(context, job_id, job_try, event, "interrupted", Failure(error, retryable=True))

    started = time.monotonic()
    outcome = await _attempt(context, event, _request_id(event, job_id))
    duration = time.monotonic() - started

    if isinstance(outcome, Delivery):
        has_story = job_try > 1 or requeued
        return await _delivered(context, job_id, job_try, outcome, duration, enqueued, has_story)
    if not outcome.retryable:
        await _park(context, job_id, job_try, event, "rejected", outcome, duration)
    if job_try >= max_tries:
        await _park(context, job_id, job_try, event, "exhausted", outcome, duration)

    delay = retry_delay(
        job_try,
        base=settings.delivery_backoff_base,
        cap=settings.delivery_backoff_cap,
        retry_after=outcome.retry_after,
        rng=context.rng,
    )
    record = try_record(
        job_try,
        "retry",
        duration=duration,
        status=outcome.status,
        error=outcome.error,
        delay=delay.seconds,
        ceiling=delay.ceiling,
        delay_source=delay.source,
        retry_after=outcome.retry_after,
    )
    try:
        async with asyncio.timeout(BOOKKEEPING_TIMEOUT):
            await append_try(context.redis, job_id, record)
    except Exception:  # the story is for people; the retry itself must happen regardless
        log.warning("could not record try %d of job %s", job_try, job_id, exc_info=True)
    context.stats.retrying(job_id)
    log.info(
        "delivery of event %s failed (try %d of %d): %s; next try in %.2fs",
        job_id,
        job_try,
        max_tries,
        outcome.error,
        delay.seconds,
    )
    raise Retry(defer=delay.seconds)


async def _delivered(
    context: WorkerContext,
    job_id: str,
    job_try: int,
    delivery: Delivery,
    duration: float,
    enqueued: datetime,
    has_story: bool,
) -> dict[str, Any]:
    status = 201 if delivery.created else 200
    record = try_record(job_try, "delivered", duration=duration, status=status)
    history = [record]
    if has_story:  # a first-try success needs no story beyond its result
        try:
            async with asyncio.timeout(BOOKKEEPING_TIMEOUT):
                history = await append_try(context.redis, job_id, record, read_back=True)
        except Exception:
            log.warning("could not record the delivery of job %s", job_id, exc_info=True)
    latency = (datetime.now(UTC) - enqueued).total_seconds()
    context.stats.delivered(job_id, latency)
    if job_try > 1:
        log.info("event %s delivered on try %d", job_id, job_try)
    return {
        "delivered": True,
        "created": delivery.created,
        "status": status,
        "tries": job_try,
        "history": history,
    }


async def _park(
    context: WorkerContext,
    job_id: str,
    job_try: int,
    event: Any,
    reason: str,
    failure: Failure,
    duration: float = 0.0,
) -> NoReturn:
    """Put the event in the dead-letter store, then fail the job; retry if Redis says no."""
    record = try_record(
        job_try, "dead_letter", duration=duration, status=failure.status, error=failure.error
    )
    try:
        async with asyncio.timeout(2 * BOOKKEEPING_TIMEOUT):
            history = await append_try(context.redis, job_id, record, read_back=True)
            await context.dead_letters.add(
                DeadLetter(
                    id=job_id,
                    event=event,
                    error=failure.error,
                    reason=reason,
                    tries=job_try,
                    status=failure.status,
                    history=history,
                    retried=sum(1 for item in history if item.get("outcome") == "requeued"),
                )
            )
    except Exception as exc:
        log.error(
            "could not park event %s in the dead-letter store (%s); it stays queued",
            job_id,
            exc,
        )
        context.stats.retrying(job_id)
        raise Retry(defer=PARK_RETRY_DELAY) from exc
    context.stats.dead_lettered(job_id)
    log.warning(
        "event %s parked in the dead-letter store after %d tries (%s): %s",
        job_id,
        job_try,
        reason,
        failure.error,
    )
    raise EventDeadLettered(
        f"parked in the dead-letter store after {job_try} tries ({reason}): {failure.error}"
    ) from None
