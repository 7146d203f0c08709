"""The alerts page: open or all, newest first, paged; a bad state is a 400 page."""

from __future__ import annotations

from tests.web.ops.conftest import Ops


async def test_open_and_all_alerts(ops: Ops) -> None:
    await ops.alerts.raise_alert("queue_depth", "arq:queue", "The queue is too deep")
    await ops.alerts.raise_alert("forbidden", "mallory", "mallory was refused /admin")
    await ops.alerts.resolve("queue_depth", "arq:queue")
    every = await ops.site.page("/admin/alerts")
    assert every.index("mallory was refused") < every.index("The queue is too deep")
    assert "resolved" in every
    opened = await ops.site.page("/admin/alerts?state=open")
    assert "mallory was refused" in opened
    assert "The queue is too deep" not in opened
    one = await ops.site.page("/admin/alerts?limit=1")
    assert "1–1 of 2" in one
    assert "Next →" in one


async def test_bad_alert_queries_are_400_pages(ops: Ops) -> None:
    html = await ops.site.page("/admin/alerts?state=closed", status=400)
    assert "state must be one of open, all" in html
    html = await ops.site.page("/admin/alerts?limit=0", status=400)
    assert "limit must be a whole number from 1 to 200" in html
