"""arq's two lines per job stay out of the worker's log unless asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from src.common.events import ActivityEvent
from src.jobs import enqueue_event, job_story
from src.jobs.worker.arq_logging import ARQ_JOB_LINES, JOB_LINES, quiet_job_lines
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import running_worker, wait_for

ARQ = logging.getLogger("arq.worker")


def _log_a_job() -> None:
    """What arq 0.28 logs for a job that starts, succeeds, and one that is retried."""
    ARQ.info("%6.2fs → %s(%s)%s", 0.01, "e1:post_activity", "{'id': 'e1'}", "")
    ARQ.info("%6.2fs ← %s ● %s", 0.02, "e1:post_activity", "{'delivered': True}")
    ARQ.info("%6.2fs ↻ %s retrying job in %0.2fs", 0.02, "e2:post_activity", 1.5)


@pytest.fixture
def quiet() -> Iterator[None]:
    quiet_job_lines()
    yield
    JOB_LINES.show = False


@pytest.mark.usefixtures("quiet")
def test_the_start_and_finish_lines_are_dropped_and_the_rest_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="arq"):
        _log_a_job()
    assert [record.getMessage() for record in caplog.records] == [
        "  0.02s ↻ e2:post_activity retrying job in 1.50s"
    ]


@pytest.mark.usefixtures("quiet")
def test_they_come_back_when_arq_logs_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="arq"):
        _log_a_job()
    assert [record.msg for record in caplog.records][:2] == sorted(ARQ_JOB_LINES, reverse=True)
    assert len(caplog.records) == 3


@pytest.mark.usefixtures("quiet")
def test_or_when_asked_for_from_python(caplog: pytest.LogCaptureFixture) -> None:
    JOB_LINES.show = True
    with caplog.at_level(logging.INFO, logger="arq"):
        _log_a_job()
    assert len(caplog.records) == 3


def test_installing_twice_filters_once() -> None:
    quiet_job_lines()
    quiet_job_lines()
    assert ARQ.filters.count(JOB_LINES) == 1


async def test_a_running_worker_keeps_them_out(
    activity: ActivityService,
    pool: ArqRedis,
    worker_class: type[Worker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = ActivityEvent.new("post.vote", details="al voted", user_id=1, username="al")
    await enqueue_event(pool, event)
    # The worker's start-up replaces the root's handlers: listen on arq's logger itself.
    ARQ.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="arq"):
            async with running_worker(activity.settings, worker_class):

                async def delivered() -> bool:
                    return (await job_story(pool, str(event.id))).status == "complete"

                await wait_for(delivered, timeout=10, what="the delivery")
    finally:
        ARQ.removeHandler(caplog.handler)
    arq_lines = [record.msg for record in caplog.records if record.name == "arq.worker"]
    assert any(line.startswith("shutdown on") for line in arq_lines)  # arq still logs...
    assert not ARQ_JOB_LINES & set(arq_lines)  # ...but not each job
