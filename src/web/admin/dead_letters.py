"""`/admin/dead-letters`: parked events, one entry's error history, retry one or all, delete.

A retried event goes back on the queue under its own id, so the retry form leads to that
job's page, where the operator sees it delivered.
"""

from __future__ import annotations

from aiohttp import web

from src.web.admin.page import admin_page, operator, paging, redirect, render_page, set_notice
from src.web.ops import ops_service

__all__ = ["add_routes"]

ID = "{id:[^/]{1,200}}"


@admin_page("dead_letters")
async def dead_letters_page(request: web.Request) -> web.StreamResponse:
    """One page of parked events, newest first."""
    page = await ops_service(request).dead_letters(**paging(request))
    return await render_page(request, "dead_letters.html", "dead_letters", {"page": page})


@admin_page("dead_letters")
async def dead_letter_page(request: web.Request) -> web.StreamResponse:
    """One parked event: the event, why it failed, and every try."""
    entry = await ops_service(request).dead_letter(request.match_info["id"])
    return await render_page(request, "dead_letter.html", "dead_letters", {"entry": entry})


@admin_page("dead_letters")
async def retry(request: web.Request) -> web.StreamResponse:
    """Queue one parked event again, then follow its job."""
    event_id = request.match_info["id"]
    outcome = await ops_service(request).retry_dead_letter(event_id, operator=operator(request))
    done = "queued again" if outcome["requeued"] else "already queued"
    await set_notice(request, f"Event {event_id} {done}; this page shows its delivery.")
    raise redirect(request, "admin.job", id=event_id)


@admin_page("dead_letters")
async def retry_all(request: web.Request) -> web.StreamResponse:
    """Queue the oldest batch of parked events again (one batch per click: the page's
    script repeats the call until none are left; without it the notice says how many)."""
    outcome = await ops_service(request).retry_all_dead_letters(operator=operator(request))
    left = f" {outcome['remaining']} left: retry all again." if outcome["remaining"] else ""
    await set_notice(request, f"{outcome['retried']} dead letters queued again.{left}")
    raise redirect(request, "admin.dead_letters")


@admin_page("dead_letters")
async def delete(request: web.Request) -> web.StreamResponse:
    """Drop one parked event for good."""
    event_id = request.match_info["id"]
    await ops_service(request).delete_dead_letter(event_id, operator=operator(request))
    await set_notice(request, f"Dead letter {event_id} deleted.")
    raise redirect(request, "admin.dead_letters")


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.dead_letters`, `admin.dead_letter` and its three actions."""
    base = "/admin/dead-letters"
    router.add_get(base, dead_letters_page, name="admin.dead_letters")
    router.add_post(f"{base}/retry-all", retry_all, name="admin.dead_letters_retry_all")
    router.add_get(f"{base}/{ID}", dead_letter_page, name="admin.dead_letter")
    router.add_post(f"{base}/{ID}/retry", retry, name="admin.dead_letter_retry")
    router.add_post(f"{base}/{ID}/delete", delete, name="admin.dead_letter_delete")
