"""`/admin/schedules`: the workers' cron jobs, with next run, last run and its outcome."""

from __future__ import annotations

from aiohttp import web

from src.web.admin.page import admin_page, render_page
from src.web.ops import ops_service

__all__ = ["add_routes"]


@admin_page("schedules")
async def schedules_page(request: web.Request) -> web.StreamResponse:
    """Every published cron job and its recent runs."""
    schedules = await ops_service(request).schedules()
    return await render_page(request, "schedules.html", "schedules", {"schedules": schedules})


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.schedules`."""
    router.add_get("/admin/schedules", schedules_page, name="admin.schedules")
