"""The overview page: the queue's numbers, the activity service, alerts and both charts,
drawn from a real Redis and a real worker's deliveries."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from src.jobs import enqueue_event
from tests.support.activity import event_body
from tests.support.waiting import eventually
from tests.web.admin.drain import queue_drained
from tests.web.ops.conftest import Ops


def _field(html: str, field: str) -> str:
    match = re.search(rf'data-field="{re.escape(field)}">([^<]*)<', html)
    assert match, f"no {field} on the page"
    return match.group(1).strip()


async def test_the_overview_shows_the_queue_and_open_alerts(ops: Ops) -> None:
    for _ in range(2):
        await enqueue_event(ops.pool, event_body())
    await ops.pool.enqueue_job("post_activity", event_body(), _job_id="later", _defer_by=600)
    await ops.alerts.raise_alert("queue_depth", "arq:queue", "The queue holds 4 jobs")
    html = await ops.site.page("/admin")
    assert _field(html, "queue.depth") == "4"  # three events and root's login
    assert _field(html, "queue.deferred") == "1"
    assert _field(html, "queue.live_workers") == "0"
    assert _field(html, "alerts.open") == "1"
    assert "The queue holds 4 jobs" in html
    assert html.count('<svg class="chart"') == 2
    assert 'data-overview="/api/ops/overview?minutes=60"' in html
    assert '<meta name="csrf-token" content="' in html
    assert 'class="active" aria-current="page">Overview<' in html


async def test_the_charts_show_what_the_worker_delivered(
    ops: Ops, worker: Callable[..., Any]
) -> None:
    events = [event_body() for _ in range(3)]
    for event in events:
        await enqueue_event(ops.pool, event)
    async with worker():
        await eventually(ops.activity.stored_ids, lambda ids: len(ids) >= 4, what="deliveries")
        await queue_drained(ops)
    html = await eventually(
        lambda: ops.site.page("/admin"), lambda page: _field(page, "last_hour.done") == "4"
    )
    assert '<rect class="bar-done"' in html
    assert "<title>4 done</title>" in html  # one minute, all four (root's login too)
    assert '<circle class="dot"' in html
    assert _field(html, "queue.depth") == "0"


async def test_the_chart_window_is_checked(ops: Ops) -> None:
    html = await ops.site.page("/admin?minutes=15")
    assert "last 15 minutes" in html
    assert "15 min ago" in html
    for bad in ("0", "121", "ten", "-5"):
        html = await ops.site.page(f"/admin?minutes={bad}", status=400)
        assert "minutes must be a whole number from 1 to 120" in html
