"""The handlers of the activity API (docs/activity-api.md). Thin: they check input, call the
store, and shape answers; domain errors become HTTP answers here or in `error_middleware`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from aiohttp import web

from src.activity.app_keys import ACTIVITY_METRICS, CHAOS, CLOCK, STORE
from src.activity.bodies import read_json
from src.activity.chaos import ChaosInvalid
from src.activity.middlewares import RETRY_AFTER_STORE
from src.activity.minute_stats import minute_stats
from src.activity.openapi import openapi_json
from src.activity.query import (
    QueryInvalid,
    encode_cursor,
    parse_activity_query,
    parse_stats_minutes,
)
from src.activity.responses import json_error
from src.activity.store import IdConflict, Position, StoreUnavailable
from src.common.events import EventInvalid, parse_event
from src.common.runner import loop_name

__all__ = [
    "get_activity",
    "get_chaos",
    "get_openapi",
    "get_stats",
    "healthz",
    "list_activities",
    "post_activity",
    "put_chaos",
]

log = logging.getLogger(__name__)

# A client told to retry after a deliberate failure should come back soon: the failure
# says nothing about the service's health.
RETRY_AFTER_CHAOS = 1


async def post_activity(request: web.Request) -> web.Response:
    """Store one event: 201 new, 200 the same again, 409 same id with other content."""
    body = await read_json(request)
    metrics = request.app[ACTIVITY_METRICS]
    try:
        event = parse_event(body)
    except EventInvalid as exc:
        metrics.rejected.inc()
        raise json_error(web.HTTPBadRequest, "invalid event", fields=exc.fields) from None
    chaos = request.app[CHAOS]
    if chaos.should_fail():
        metrics.chaos_failures.inc()
        raise json_error(
            web.HTTPServiceUnavailable,
            "failing on purpose (FAIL_RATE); retry later",
            headers={"Retry-After": str(RETRY_AFTER_CHAOS)},
        )
    try:
        added = await request.app[STORE].add(event)
    except IdConflict as exc:
        metrics.conflicts.inc()
        log.warning("event %s conflicts with the stored one", exc.event_id)
        raise json_error(
            web.HTTPConflict,
            f"another event is stored with id {exc.event_id}; a new event needs a new id",
            stored=exc.stored,
        ) from None
    (metrics.stored if added.created else metrics.duplicates).inc()
    if chaos.sleep_time > 0:
        await asyncio.sleep(chaos.sleep_time)
    location = request.app.router["activity"].url_for(id=added.event["id"])
    return web.json_response(
        added.event, status=201 if added.created else 200, headers={"Location": str(location)}
    )


async def list_activities(request: web.Request) -> web.Response:
    """One page of events, newest first, and the cursor of the next page (or null)."""
    try:
        query = parse_activity_query(request.query)
    except QueryInvalid as exc:
        raise json_error(web.HTTPBadRequest, "invalid query", fields=exc.fields) from None
    found = await request.app[STORE].find(query)
    items = found[: query.limit]
    next_cursor = None
    if len(found) > query.limit:
        last = items[-1]
        next_cursor = encode_cursor(Position(last["timestamp"], last["id"]))
    return web.json_response({"items": items, "next_cursor": next_cursor})


async def get_activity(request: web.Request) -> web.Response:
    """The stored event with this id (any UUID spelling), or 404."""
    raw = request.match_info["id"]
    try:
        event_id = str(uuid.UUID(raw))
    except ValueError:
        event = None
    else:
        event = await request.app[STORE].get(event_id)
    if event is None:
        raise json_error(web.HTTPNotFound, f"no event with id {raw!r}")
    return web.json_response(event)


async def get_stats(request: web.Request) -> web.Response:
    """Counts per type and per minute over the last `minutes` (by event timestamp)."""
    try:
        minutes = parse_stats_minutes(request.query)
    except QueryInvalid as exc:
        raise json_error(web.HTTPBadRequest, "invalid query", fields=exc.fields) from None
    store = request.app[STORE]
    now = request.app[CLOCK]()
    until = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    since = until - timedelta(minutes=minutes)
    counts = await store.count_by_minute(since, until)
    stats = minute_stats(counts, since, minutes)
    stats["stored_total"] = await store.count()
    return web.json_response(stats)


async def get_chaos(request: web.Request) -> web.Response:
    """The simulated latency and failure rate in force."""
    return web.json_response(request.app[CHAOS].as_dict())


async def put_chaos(request: web.Request) -> web.Response:
    """Change `sleep_time`, `fail_rate` or both, at once for the following requests."""
    body = await read_json(request)
    chaos = request.app[CHAOS]
    try:
        chaos.update(body)
    except ChaosInvalid as exc:
        raise json_error(web.HTTPBadRequest, "invalid chaos settings", fields=exc.fields) from None
    log.info("chaos set: sleep_time=%s fail_rate=%s", chaos.sleep_time, chaos.fail_rate)
    return web.json_response(chaos.as_dict())


async def healthz(request: web.Request) -> web.Response:
    """200 when the store accepts writes, 503 otherwise; no token needed. `loop` says
    whether the service runs on uvloop, as `wolfit activity` makes it."""
    store = request.app[STORE]
    answer = {
        "service": "activity",
        "store": store.kind,
        "loop": loop_name(),
        **request.app[CHAOS].as_dict(),
    }
    try:
        await store.ping()
    except StoreUnavailable as exc:
        return web.json_response(
            {"status": "unavailable", **answer, "error": str(exc)},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_STORE)},
        )
    return web.json_response({"status": "ok", **answer})


async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of this API."""
    return web.Response(text=openapi_json(), content_type="application/json")
