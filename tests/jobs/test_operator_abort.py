"""`stop_job` without a worker: a queued or deferred job is taken out at once and its event
parked; other functions are not parked; finished and unknown jobs are said to be so.
(Running jobs are aborted through the ops API in tests/web/ops/test_api.py.)"""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix

from src.jobs import DeadLetterStore, StopOutcome, enqueue_event, stop_job
from tests.jobs.test_inspection import _event, _finish


async def test_a_deferred_job_is_removed_and_its_event_parked(pool: ArqRedis) -> None:
    event = _event()
    await pool.enqueue_job(
        "post_activity", event.to_json_dict(), _job_id=str(event.id), _defer_by=600
    )
    report = await stop_job(pool, str(event.id), operator="root")
    assert (report.outcome, report.parked) == (StopOutcome.removed, True)
    assert await pool.zcard("arq:queue") == 0
    entry = await DeadLetterStore(pool).get(str(event.id))
    assert entry is not None
    assert (entry.reason, entry.error) == ("aborted", "aborted by root while queued")
    assert entry.history[-1]["outcome"] == "aborted"
    # Retrying it queues it again (no abort flag lingers to cancel the new job).
    assert await DeadLetterStore(pool).retry(str(event.id)) is True
    assert await pool.zcard("arq:abort") == 0


async def test_other_functions_are_removed_without_a_dead_letter(pool: ArqRedis) -> None:
    await pool.enqueue_job("check_activity_health", _job_id="h1")
    report = await stop_job(pool, "h1")
    assert (report.outcome, report.parked) == (StopOutcome.removed, False)
    assert await DeadLetterStore(pool).count() == 0


async def test_finished_unknown_and_unconfirmed(pool: ArqRedis) -> None:
    await _finish(pool, "done", success=True, result={"delivered": True})
    assert (await stop_job(pool, "done")).outcome is StopOutcome.finished
    assert (await stop_job(pool, "nope")).outcome is StopOutcome.not_found
    # Claimed by a worker that never answers: the abort request is withdrawn.
    event = _event()
    await enqueue_event(pool, event)
    await pool.set(in_progress_key_prefix + str(event.id), b"1", px=60_000)
    report = await stop_job(pool, str(event.id), wait=0.2)
    assert report.outcome is StopOutcome.not_confirmed
    assert await pool.zcard("arq:abort") == 0
    assert await DeadLetterStore(pool).count() == 0
