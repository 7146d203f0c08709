"""`/admin`: the overview. The page is drawn whole here; `admin.js` then polls
`/api/ops/overview` and updates its numbers, charts and alerts in place."""

from __future__ import annotations

from aiohttp import web

from src.web.admin.charts import latency_chart, throughput_chart
from src.web.admin.page import admin_page, query_int, render_page
from src.web.ops import ops_service

__all__ = ["add_routes"]

POLL_MS = 2000  # how often the page asks for fresh figures (the issue allows 2 s at most)


@admin_page("overview")
async def overview_page(request: web.Request) -> web.StreamResponse:
    """The queue, deliveries in the last hour, workers, the activity service and alerts;
    `?minutes=` (1..120, default 60) widens or narrows the charts."""
    minutes = query_int(request, "minutes", 60, 1, 120)
    overview = await ops_service(request).overview(minutes)
    context = {
        "overview": overview,
        "throughput_svg": throughput_chart(overview["series"]),
        "latency_svg": latency_chart(overview["series"]),
        "poll_ms": POLL_MS,
        "minutes": minutes,
    }
    return await render_page(request, "overview.html", "overview", context)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.overview` at `/admin`."""
    router.add_get("/admin", overview_page, name="admin.overview")
