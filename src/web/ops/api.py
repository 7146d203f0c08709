"""The ops JSON API (docs/ops-api.md): thin handlers over `OpsService`.

Authentication and CSRF are the guard's (`guard.py`); here every `OpsError` becomes its
status with `{"error": ...}`, and bad query values or bodies are 400s that say what to send.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from src.web.ops.app_keys import OPS_PRINCIPAL, OPS_SERVICE
from src.web.ops.bodies import read_json
from src.web.ops.errors import OpsBadRequest, OpsError
from src.web.ops.openapi import openapi_document
from src.web.ops.service import RETRY_ALL_BATCH, OpsService
from src.web.security.csrf import csrf_exempt

__all__ = ["setup_api_routes"]

JsonHandler = Callable[[web.Request], Awaitable[Any]]
MAX_OFFSET = 10_000_000
ID = "{id:[^/]{1,200}}"
_BODY_EXAMPLE = '{"function": ..., "args": [...]}'


def ops_service(request: web.Request) -> OpsService:
    """The ops service of the app serving `request`."""
    return request.app[OPS_SERVICE]


def _operator(request: web.Request) -> str:
    principal = request.get(OPS_PRINCIPAL)
    return "an operator" if principal is None else f"{principal.name} ({principal.via})"


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
        raise OpsBadRequest(f"{name} must be a whole number from {low} to {high}, not {raw[:40]!r}")
    return int(raw)


def _paging(request: web.Request) -> dict[str, int]:
    return {
        "offset": _int(request, "offset", 0, 0, MAX_OFFSET),
        "limit": _int(request, "limit", 50, 1, 200),
    }


async def _json_body(request: web.Request) -> dict[str, Any]:
    body = await read_json(request, "the body", f"; send {_BODY_EXAMPLE}")
    if not isinstance(body, dict):
        raise OpsBadRequest(f"the body must be a JSON object such as {_BODY_EXAMPLE}")
    return body


def _json_api(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Answer the handler's data as JSON and each `OpsError` as its status."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.Response:
        try:
            data = await handler(request)
        except OpsError as exc:
            return web.json_response(exc.to_dict(), status=exc.status)
        return web.json_response(data)

    return csrf_exempt(answer)  # the guard checks CSRF for cookie-authenticated calls


@_json_api
async def overview(request: web.Request) -> Any:
    return await ops_service(request).overview(_int(request, "minutes", 60, 1, 120))


@_json_api
async def queue(request: web.Request) -> Any:
    return await ops_service(request).queue()


@_json_api
async def jobs(request: web.Request) -> Any:
    status = request.query.get("status", "queued")
    return await ops_service(request).jobs(status, **_paging(request))


@_json_api
async def job(request: web.Request) -> Any:
    return await ops_service(request).job(request.match_info["id"])


@_json_api
async def abort_job(request: web.Request) -> Any:
    return await ops_service(request).abort(request.match_info["id"], operator=_operator(request))


@_json_api
async def enqueue_job(request: web.Request) -> Any:
    body = await _json_body(request)
    if "function" not in body:
        raise OpsBadRequest('send {"function": ..., "args": [...]}')
    return await ops_service(request).enqueue(
        body["function"], body.get("args", []), operator=_operator(request)
    )


@_json_api
async def allowed_jobs(request: web.Request) -> Any:
    return {"items": OpsService.allowed_jobs()}


@_json_api
async def dead_letters(request: web.Request) -> Any:
    return await ops_service(request).dead_letters(**_paging(request))


@_json_api
async def dead_letter(request: web.Request) -> Any:
    return await ops_service(request).dead_letter(request.match_info["id"])


@_json_api
async def retry_dead_letter(request: web.Request) -> Any:
    return await ops_service(request).retry_dead_letter(
        request.match_info["id"], operator=_operator(request)
    )


@_json_api
async def retry_all_dead_letters(request: web.Request) -> Any:
    limit = _int(request, "limit", RETRY_ALL_BATCH, 1, RETRY_ALL_BATCH)
    return await ops_service(request).retry_all_dead_letters(
        operator=_operator(request), limit=limit
    )


@_json_api
async def delete_dead_letter(request: web.Request) -> Any:
    return await ops_service(request).delete_dead_letter(
        request.match_info["id"], operator=_operator(request)
    )


@_json_api
async def workers(request: web.Request) -> Any:
    return await ops_service(request).workers()


@_json_api
async def schedules(request: web.Request) -> Any:
    return await ops_service(request).schedules()


@_json_api
async def alerts(request: web.Request) -> Any:
    state = request.query.get("state", "all")
    return await ops_service(request).alert_list(state, **_paging(request))


async def openapi(request: web.Request) -> web.Response:
    """`GET /api/openapi.json`: the web app's OpenAPI document (the ops API)."""
    return web.json_response(openapi_document())


def setup_api_routes(app: web.Application) -> None:
    """Add the ops API's routes (names start with `ops_api.`) and the OpenAPI document."""
    add = app.router
    add.add_get("/api/openapi.json", openapi, name="openapi")
    add.add_get("/api/ops/overview", overview, name="ops_api.overview")
    add.add_get("/api/ops/queue", queue, name="ops_api.queue")
    add.add_get("/api/ops/jobs", jobs, name="ops_api.jobs")
    add.add_post("/api/ops/jobs", enqueue_job, name="ops_api.enqueue")
    add.add_get("/api/ops/jobs/allowed", allowed_jobs, name="ops_api.allowed_jobs")
    add.add_get(f"/api/ops/jobs/{ID}", job, name="ops_api.job")
    add.add_post(f"/api/ops/jobs/{ID}/abort", abort_job, name="ops_api.abort")
    add.add_get("/api/ops/dead-letters", dead_letters, name="ops_api.dead_letters")
    add.add_post(
        "/api/ops/dead-letters/retry-all", retry_all_dead_letters, name="ops_api.retry_all"
    )
    add.add_get(f"/api/ops/dead-letters/{ID}", dead_letter, name="ops_api.dead_letter")
    add.add_delete(f"/api/ops/dead-letters/{ID}", delete_dead_letter, name="ops_api.delete")
    add.add_post(f"/api/ops/dead-letters/{ID}/retry", retry_dead_letter, name="ops_api.retry")
    add.add_get("/api/ops/workers", workers, name="ops_api.workers")
    add.add_get("/api/ops/schedules", schedules, name="ops_api.schedules")
    add.add_get("/api/ops/alerts", alerts, name="ops_api.alerts")
