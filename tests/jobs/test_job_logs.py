"""Per-job log capture: only the running job's records, batched, capped, and read back."""

from __future__ import annotations

import logging

from arq.connections import ArqRedis

from src.jobs import read_job_log
from src.jobs.worker.job_log_capture import JobLogCapture

log = logging.getLogger("tests.jobs.job_logs")


async def test_lines_are_captured_per_job_and_written_in_one_batch(pool: ArqRedis) -> None:
    capture = JobLogCapture(pool, flush_interval=3600, max_lines=3)
    logging.getLogger().addHandler(capture)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    try:
        log.info("outside any job")  # not captured
        token = capture.begin("job-a")
        log.info("a says %s", "hello")
        logging.getLogger("arq.worker").info("arq chatter")  # left out
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("a failed")
        capture.end(token)
        token = capture.begin("job-b")
        for number in range(5):
            log.warning("b line %d", number)
        capture.end(token)
        assert await read_job_log(pool, "job-a") == []  # nothing written until the flush
        assert await capture.write_out() == 2
    finally:
        logging.getLogger().removeHandler(capture)
        logging.getLogger().setLevel(previous)
    a_lines = await read_job_log(pool, "job-a")
    assert [line["message"] for line in a_lines] == ["a says hello", "a failed"]
    assert "ValueError: boom" in a_lines[1]["traceback"]
    assert a_lines[1]["level"] == "ERROR"
    b_lines = await read_job_log(pool, "job-b")
    assert [line["message"] for line in b_lines] == ["b line 2", "b line 3", "b line 4"]
    assert await pool.ttl("wolfit:job-log:job-a") > 0
