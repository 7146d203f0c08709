"""`/admin/alerts`: alerts, newest first, all kept or only the open ones."""

from __future__ import annotations

from aiohttp import web

from src.web.admin.page import admin_page, paging, query_choice, render_page
from src.web.ops import ops_service
from src.web.ops.service import ALERT_STATES

__all__ = ["add_routes"]


@admin_page("alerts")
async def alerts_page(request: web.Request) -> web.StreamResponse:
    """One page of alerts in the chosen state (`open` or `all`)."""
    state = query_choice(request, "state", ALERT_STATES, "all")
    page = await ops_service(request).alert_list(state, **paging(request))
    return await render_page(request, "alerts.html", "alerts", {"state": state, "page": page})


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.alerts`."""
    router.add_get("/admin/alerts", alerts_page, name="admin.alerts")
