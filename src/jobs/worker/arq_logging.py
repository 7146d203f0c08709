"""arq's two INFO lines per job, quiet by default: they cost about a tenth of a delivery.

arq logs `→ job(args)` when a job starts and `← job ● result` when it ends. Through the
team's JSON logging that is two formatted, written lines per event, about 9% of the worker's
CPU at full speed, for nothing the worker's own lines, the job results and the dashboard do
not already say. `quiet_job_lines()` drops exactly those two lines; arq's other lines
(start-up, retries, aborts, failures, shutdown) stay.

They come back when arq's logger is at DEBUG (`wolfit worker -v`, `arq ... -v`), or from
Python with `JOB_LINES.show = True`.
"""

from __future__ import annotations

import logging

__all__ = ["ARQ_JOB_LINES", "JOB_LINES", "ArqJobLines", "quiet_job_lines"]

# arq 0.28's message templates for a job that starts and one that succeeds (arq/worker.py).
ARQ_JOB_LINES = frozenset({"%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s"})
_ARQ_WORKER_LOGGER = "arq.worker"


class ArqJobLines(logging.Filter):
    """Drops arq's per-job start and finish lines unless `show` is set or arq logs at DEBUG."""

    def __init__(self) -> None:
        super().__init__()
        self.show = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in ARQ_JOB_LINES or self.show:
            return True
        return logging.getLogger(_ARQ_WORKER_LOGGER).isEnabledFor(logging.DEBUG)


JOB_LINES = ArqJobLines()


def quiet_job_lines() -> None:
    """Install `JOB_LINES` on arq's worker logger (once per process)."""
    logger = logging.getLogger(_ARQ_WORKER_LOGGER)
    if JOB_LINES not in logger.filters:
        logger.addFilter(JOB_LINES)
