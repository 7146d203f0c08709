"""`/admin/workers`: each live worker and those that stopped or vanished in the last hour."""

from __future__ import annotations

from aiohttp import web

from src.web.admin.page import admin_page, render_page
from src.web.ops import ops_service

__all__ = ["add_routes"]


@admin_page("workers")
async def workers_page(request: web.Request) -> web.StreamResponse:
    """Host, pid, since, done, failed, running and last heartbeat of every worker."""
    workers = await ops_service(request).workers()
    return await render_page(request, "workers.html", "workers", {"workers": workers})


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.workers`."""
    router.add_get("/admin/workers", workers_page, name="admin.workers")
