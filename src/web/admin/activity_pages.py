"""The activity pages of the operator dashboard: the log browser, its export, and chaos.

- `GET /admin/activity` (`admin.activity`): the filters of the activity API (`user_id`,
  `username`, `type`, `since`, `until`, `q`), a page of events newest first, a next-page
  link carrying the service's cursor and the filters, and export links. `?id=<uuid>` shows
  one event's whole JSON.
- `GET /admin/activity/export?format=csv|jsonl&<filters>` (`admin.activity_export`): the
  filtered log as a streamed download (`export`).
- `GET`/`POST /admin/chaos` (`admin.chaos`): the activity service's `SLEEP_TIME` and
  `FAIL_RATE`, and a form to change them (`chaos`).

Bad filters or form values are a 400 page naming the field, checked before the activity
service is asked; the service's own 400 becomes the same page; an activity service that
does not answer is a 503 page that says so.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from multidict import MultiMapping
from yarl import URL

from src.common.activity_client import ActivityClient, ActivityRejected, ActivityUnavailable
from src.web.admin.activity_filters import (
    DEFAULT_PAGE_SIZE,
    FILTER_FIELDS,
    ActivityFilters,
    FiltersInvalid,
    parse_cursor,
    parse_event_id,
    parse_filters,
    parse_page_size,
)
from src.web.admin.chaos import chaos_change, chaos_page, rejected_fields
from src.web.admin.export import EXPORT_FORMATS, stream_export
from src.web.admin.page import render_page
from src.web.app_keys import ACTIVITY_CLIENT

__all__ = ["add_routes"]

log = logging.getLogger(__name__)

UNAVAILABLE = (
    "The activity service is not answering, so the activity log cannot be shown right now. "
    "Check its health on the overview and try again shortly."
)
SUMMARY_LENGTH = 140


def _typed(query: MultiMapping[str]) -> dict[str, str]:
    """What the operator typed in the filter form, to show it again."""
    return {name: query.get(name, "") for name in FILTER_FIELDS}


def _summary(event: dict[str, Any]) -> str:
    """The details and the payload of an event, on one short line."""
    parts = [str(event.get("details") or "")]
    if event.get("data"):
        parts.append(json.dumps(event["data"], separators=(",", ":"), ensure_ascii=False))
    text = " · ".join(part for part in parts if part)
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _when(timestamp: object) -> str:
    """`2026-11-22 10:01:11` from a stored ISO timestamp (UTC)."""
    text = str(timestamp or "")
    return text[:19].replace("T", " ") if len(text) >= 19 else text


def _row(event: dict[str, Any], base: URL, filters: ActivityFilters) -> dict[str, Any]:
    return {
        "id": event.get("id"),
        "when": _when(event.get("timestamp")),
        "timestamp": event.get("timestamp"),
        "type": event.get("type"),
        "user_id": event.get("user_id"),
        "username": event.get("username"),
        "summary": _summary(event),
        "request_id": event.get("request_id"),
        "url": str(base.with_query({**filters.params(), "id": str(event.get("id"))})),
    }


def _context(request: web.Request, **extra: Any) -> dict[str, Any]:
    """What the template reads, with nothing shown yet: views fill in what they have."""
    return {
        "typed": _typed(request.query),
        "errors": {},
        "unavailable": None,
        "events": None,
        "event": None,
        "event_json": None,
        "next_url": None,
        "first_url": str(request.app.router["admin.activity"].url_for()),
        "export_urls": None,
        "cursor": None,
        "filtered": False,
        **extra,
    }


async def _invalid(
    request: web.Request, fields: dict[str, str], *, status: int = 400
) -> web.Response:
    """The browser again, the fields named in red, nothing listed."""
    context = _context(request, errors=fields)
    return await render_page(request, "activity.html", "activity", context, status=status)


async def _unavailable(request: web.Request, exc: ActivityUnavailable) -> web.Response:
    log.warning("%s %s: %s", request.method, request.path, exc)
    context = _context(request, unavailable=UNAVAILABLE)
    return await render_page(request, "activity.html", "activity", context, status=503)


def _urls(request: web.Request, filters: ActivityFilters, limit: int) -> dict[str, Any]:
    """The links that keep the filters: first page, export per format; `params` for more."""
    export = request.app.router["admin.activity_export"].url_for()
    params = filters.params()
    if limit != DEFAULT_PAGE_SIZE:
        params["limit"] = str(limit)
    return {
        "params": params,
        "first_url": str(request.app.router["admin.activity"].url_for().with_query(params)),
        "export_urls": {
            kind: str(export.with_query({"format": kind, **filters.params()}))
            for kind in EXPORT_FORMATS
        },
    }


async def activity_page(request: web.Request) -> web.StreamResponse:
    """A page of the activity log (newest first), or one event with `?id=`."""
    try:
        filters = parse_filters(request.query)
        limit = parse_page_size(request.query)
        cursor = parse_cursor(request.query)
        event_id = parse_event_id(request.query)
    except FiltersInvalid as exc:
        return await _invalid(request, exc.fields)
    client: ActivityClient = request.app[ACTIVITY_CLIENT]
    base = request.app.router["admin.activity"].url_for()
    urls = _urls(request, filters, limit)
    params = urls.pop("params")
    context = _context(request, cursor=cursor, filtered=filters.active, **urls)
    try:
        if event_id is not None:
            event = await client.get_activity(event_id)
            if event is None:
                return await _invalid(
                    request, {"id": f"no event has the id {event_id}"}, status=404
                )
            context["event"] = event
            context["event_json"] = json.dumps(event, indent=2, ensure_ascii=False)
        else:
            page = await client.list_activities(**filters.params(), limit=limit, cursor=cursor)
            context["events"] = [_row(item, base, filters) for item in page["items"]]
            if page.get("next_cursor"):
                next_query = {**params, "cursor": str(page["next_cursor"])}
                context["next_url"] = str(base.with_query(next_query))
    except ActivityRejected as exc:
        return await _invalid(request, rejected_fields(exc))
    except ActivityUnavailable as exc:
        return await _unavailable(request, exc)
    return await render_page(request, "activity.html", "activity", context)


async def activity_export(request: web.Request) -> web.StreamResponse:
    """The filtered log as a CSV or JSON lines download, streamed (see `export`)."""
    fields: dict[str, str] = {}
    kind = request.query.get("format", "csv") or "csv"
    if kind not in EXPORT_FORMATS or len(request.query.getall("format", [])) > 1:
        fields["format"] = f"must be one of {', '.join(EXPORT_FORMATS)}"
    try:
        filters = parse_filters(request.query)
    except FiltersInvalid as exc:
        fields.update(exc.fields)
    if fields:
        return await _invalid(request, fields)
    try:
        return await stream_export(
            request, request.app[ACTIVITY_CLIENT], filters, EXPORT_FORMATS[kind]
        )
    except ActivityRejected as exc:
        return await _invalid(request, rejected_fields(exc))
    except ActivityUnavailable as exc:
        return await _unavailable(request, exc)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register `admin.activity`, `admin.activity_export` and `admin.chaos` (GET and POST)."""
    router.add_get("/admin/activity", activity_page, name="admin.activity")
    # No HEAD: it would page through the whole log to send nothing.
    router.add_get(
        "/admin/activity/export", activity_export, name="admin.activity_export", allow_head=False
    )
    chaos = router.add_resource("/admin/chaos", name="admin.chaos")
    chaos.add_route("GET", chaos_page)
    chaos.add_route("POST", chaos_change)
