"""The workers page (live, and gone in the last hour) and the schedules page, from a real
worker's heartbeats and cron runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.helpers import WOLFIT_WORKER, settings_env, worker_process
from tests.support.waiting import eventually
from tests.web.admin.drain import queue_drained
from tests.web.ops.conftest import Ops


async def test_workers_live_then_gone(ops: Ops, worker: Callable[..., Any]) -> None:
    assert "No live worker" in await ops.site.page("/admin/workers")
    async with worker():
        html = await eventually(
            lambda: ops.site.page("/admin/workers"), lambda page: "1 live" in page
        )
        assert f'<td class="num">{os.getpid()}</td>' in html
        assert "No worker stopped or vanished in the last hour." in html
        await queue_drained(ops)
    html = await eventually(lambda: ops.site.page("/admin/workers"), lambda page: "0 live" in page)
    assert 'class="badge state-stopped">stopped<' in html


async def test_schedules_show_next_and_last_run(ops: Ops, worker: Callable[..., Any]) -> None:
    assert "No schedules published" in await ops.site.page("/admin/schedules")
    async with worker():
        html = await eventually(
            lambda: ops.site.page("/admin/schedules"),
            lambda page: 'class="badge outcome-ok">ok<' in page,
        )
        await queue_drained(ops)
    assert "cron:check_activity_health" in html
    assert "every 10 seconds" in html
    assert "Next run" in html
    assert "not run yet" not in html


@pytest.mark.slow
async def test_a_killed_worker_shows_as_vanished(ops: Ops, tmp_path: Path) -> None:
    """SIGKILL: no goodbye, so not "stopped"; once its heartbeat expires (15 s) it vanished."""
    with worker_process(
        WOLFIT_WORKER, settings_env(ops.settings), tmp_path / "worker.log"
    ) as process:
        await eventually(
            lambda: ops.site.page("/admin/workers"), lambda page: "1 live" in page, timeout=30
        )
        pid = process.pid
        process.kill()
    html = await eventually(
        lambda: ops.site.page("/admin/workers"),
        lambda page: "0 live" in page,
        timeout=30,
        interval=0.5,
        what="the killed worker's heartbeat to expire",
    )
    assert 'class="badge state-vanished">vanished<' in html
    assert f'<td class="num">{pid}</td>' in html
    assert "state-stopped" not in html
