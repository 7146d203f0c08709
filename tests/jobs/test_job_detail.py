"""One job's story and abort on a real Redis; jobs that run are in test_delivery.py."""

from __future__ import annotations

from arq.connections import ArqRedis

from src.jobs import (
    AbortOutcome,
    DeadLetter,
    DeadLetterStore,
    abort_job,
    enqueue_event,
    job_story,
)
from tests.jobs.test_inspection import _enqueue, _event, _finish


async def test_the_story_of_a_queued_job(pool: ArqRedis) -> None:
    event = _event()
    await enqueue_event(pool, event)
    story = await job_story(pool, str(event.id))
    assert (story.status, story.function, story.tries) == ("queued", "post_activity", 0)
    assert story.args == [event.to_json_dict()]
    assert story.enqueue_time is not None
    assert story.next_run is not None
    assert story.result is None
    assert story.error is None
    assert story.history == []


async def test_the_story_of_a_finished_job_has_its_times_and_result(pool: ArqRedis) -> None:
    await _finish(pool, "j1", success=False, result=RuntimeError("parked"))
    story = await job_story(pool, "j1")
    assert (story.status, story.success, story.tries) == ("failed", False, 2)
    assert story.error == {"type": "RuntimeError", "message": "parked", "traceback": ""}
    assert story.start_time is not None
    assert story.finish_time is not None


async def test_an_unknown_job_is_not_found(pool: ArqRedis) -> None:
    story = await job_story(pool, "nope")
    assert story.status == "not_found"
    assert await abort_job(pool, "nope") is AbortOutcome.not_found


async def test_a_dead_letter_outlives_its_job_in_the_story(pool: ArqRedis) -> None:
    entry = DeadLetter(id="j2", event={"id": "j2"}, error="HTTP 400", reason="rejected", tries=1)
    await DeadLetterStore(pool).add(entry)
    story = await job_story(pool, "j2")
    assert (story.status, story.tries, story.args) == ("failed", 1, [{"id": "j2"}])
    assert story.dead_letter == entry.to_dict()


async def test_an_abort_without_a_worker_stays_requested(pool: ArqRedis) -> None:
    [job_id] = await _enqueue(pool, 1, defer=600)
    assert await abort_job(pool, job_id, wait=0.2) is AbortOutcome.requested
    story = await job_story(pool, job_id)
    assert story.abort_requested is True
    assert story.status == "queued"  # arq moves an aborted deferred job to the front


async def test_aborting_a_finished_job_is_too_late(pool: ArqRedis) -> None:
    await _finish(pool, "j3", success=True, result={"delivered": True})
    assert await abort_job(pool, "j3") is AbortOutcome.finished
