"""Capturing the log lines each job writes, for the dashboard's job page.

arq's `on_job_start` hook puts the job's id (and the capture that owns it) in a context
variable; the job's task inherits it, so every record logged while the job runs carries it.
A `logging.Handler` on the root logger keeps those records in memory, per job, and a
background task writes them out every `flush_interval` seconds in one pipelined round trip
for all jobs: logging costs a job no Redis round trip of its own. Each job's lines go to a
capped list `wolfit:job-log:<id>` that expires with the delivery story.

arq's own per-job INFO lines ("→ job started", "← job done") are left out: they repeat what
the job's result says and would give every job a list; arq's warnings and errors are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from src.common.tasks import stop_task
from src.jobs.queue.job_logs import JOB_LOG_MAX_LINES, append_job_lines

__all__ = ["JobLogCapture"]

log = logging.getLogger(__name__)

MAX_PENDING_LINES = 20_000  # across jobs, while Redis does not take them
MAX_MESSAGE = 4000
_ARQ_CHATTER = "arq.worker"

# (job id, the capture that records it): several workers may share one process in tests.
_current: ContextVar[tuple[str, JobLogCapture] | None] = ContextVar("job_log", default=None)
_formatter = logging.Formatter()


def _line(record: logging.LogRecord) -> dict[str, Any]:
    line: dict[str, Any] = {
        "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage()[:MAX_MESSAGE],
    }
    if record.exc_info:
        line["traceback"] = _formatter.formatException(record.exc_info)[-MAX_MESSAGE:]
    return line


class JobLogCapture(logging.Handler):
    """Collects the records of running jobs and writes them to Redis in batches."""

    def __init__(
        self,
        redis: Redis,
        *,
        flush_interval: float = 0.5,
        max_lines: int = JOB_LOG_MAX_LINES,
        level: int = logging.INFO,
    ) -> None:
        super().__init__(level)
        self.redis = redis
        self.flush_interval = flush_interval
        self.max_lines = max_lines
        self._pending: defaultdict[str, list[str]] = defaultdict(list)
        self._pending_lines = 0
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        current = _current.get()
        if current is None or current[1] is not self:
            return
        if record.name == _ARQ_CHATTER and record.levelno < logging.WARNING:
            return
        if self._pending_lines >= MAX_PENDING_LINES:
            self._dropped += 1
            return
        try:
            raw = json.dumps(_line(record), separators=(",", ":"), default=str)
        except Exception:
            self.handleError(record)
            return
        self._pending[current[0]].append(raw)
        self._pending_lines += 1

    def begin(self, job_id: str) -> Any:
        """Mark the current context as running `job_id`; answers the token for `end`."""
        return _current.set((job_id, self))

    def end(self, token: Any) -> None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo
            _current.reset(token)

    async def write_out(self) -> int:
        """Write every pending line in one round trip; answers how many jobs were written."""
        pending, self._pending = self._pending, defaultdict(list)
        self._pending_lines = 0
        if not pending:
            return 0
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for job_id, lines in pending.items():
                    append_job_lines(pipe, job_id, lines, self.max_lines)
                await pipe.execute()
        except BaseException:
            for job_id, lines in pending.items():  # keep them for the next flush
                self._pending[job_id][:0] = lines
                self._pending_lines += len(lines)
            raise
        if self._dropped:
            log.warning("job log capture dropped %d lines while Redis was away", self._dropped)
            self._dropped = 0
        return len(pending)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.write_out()
            except Exception as exc:  # Redis away: lines wait (bounded) for the next flush
                log.debug("job log flush failed: %s", exc)

    def start(self) -> None:
        """Capture from now on, and flush in the background."""
        logging.getLogger().addHandler(self)
        self._task = asyncio.create_task(self._run(), name="job log flush")

    async def stop(self) -> None:
        """Stop capturing and write what is left."""
        logging.getLogger().removeHandler(self)
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        try:
            async with asyncio.timeout(2.0):
                await self.write_out()
        except Exception:
            log.warning("could not write the last job log lines")
