"""The web app's OpenAPI 3.1 document at `/api/openapi.json`: the ops API, written as data.

Limits and names are quoted from the modules that enforce them (`service.py`,
`enqueue.py`), so the document cannot drift from what the routes accept.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from src.web.ops.enqueue import ALLOWED_JOBS
from src.web.ops.service import ALERT_STATES, JOB_STATUSES, MAX_LIMIT, RETRY_ALL_BATCH

__all__ = ["openapi_document"]

Json = dict[str, Any]
ANY_OBJECT: Json = {"type": "object", "additionalProperties": True}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: Json, description: str = "OK") -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Json:
    return _ok(_ref("Error"), description)


AUTH_ERRORS = {
    "401": _error("A bearer token was sent and is wrong, malformed, or OPS_TOKEN is not set."),
    "403": _error("No admin session and no token (an `auth.forbidden` event is recorded)."),
    "503": _error("The queue's Redis is not configured or does not answer."),
}
UNSAFE_ERRORS = {
    **AUTH_ERRORS,
    "403": _error(
        "No admin session and no token, or a cookie-authenticated call without the "
        "session's CSRF token in `X-CSRF-Token`."
    ),
}
PAGING = [
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
        "description": "Items to skip.",
    },
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
        "description": f"Items per page (at most {MAX_LIMIT}).",
    },
]
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _page_of(item: str) -> Json:
    return {
        "type": "object",
        "required": ["items", "total", "offset", "limit", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "total": {"type": "integer"},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"]},
        },
    }


def _get(
    summary: str, schema: Json, *, parameters: list[Json] | None = None, **errors: Json
) -> Json:
    operation: Json = {"summary": summary, "responses": {"200": _ok(schema), **AUTH_ERRORS}}
    operation["responses"].update(errors)
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


def _unsafe(
    method: str,
    summary: str,
    schema: Json,
    errors: Json | None = None,
    *,
    parameters: list[Json] | None = None,
) -> Json:
    operation: Json = {"summary": summary, "responses": {"200": _ok(schema), **UNSAFE_ERRORS}}
    operation["responses"].update(errors or {})
    if parameters:
        operation["parameters"] = parameters
    return {method: operation}


SCHEMAS: Json = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "additionalProperties": True,
    },
    "Queue": {
        "type": "object",
        "properties": {
            name: {"type": kind}
            for name, kind in (
                ("depth", "integer"),
                ("ready", "integer"),
                ("deferred", "integer"),
                ("in_progress", "integer"),
                ("dead_letters", "integer"),
                ("live_workers", "integer"),
            )
        }
        | {
            "oldest_ready_age": {"type": ["number", "null"]},
            "outbox_backlog": {"type": ["integer", "null"]},
        },
    },
    "Job": ANY_OBJECT | {"description": "A job: id, function, args, status, tries, times."},
    "JobDetail": ANY_OBJECT
    | {
        "description": "One job: status, function, args, tries, times, result or error "
        "(type, message, traceback), delivery history, dead letter, and `log` (its lines)."
    },
    "DeadLetter": ANY_OBJECT | {"description": "A parked event, its error, reason and tries."},
    "Worker": ANY_OBJECT | {"description": "A worker: id, host, pid, started, counters."},
    "Alert": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "subject": {"type": "string"},
            "message": {"type": "string"},
            "raised_at": {"type": "string", "format": "date-time"},
            "resolved_at": {"type": ["string", "null"], "format": "date-time"},
            "state": {"type": "string", "enum": ["open", "resolved"]},
            "details": ANY_OBJECT,
        },
    },
}

PATHS: Json = {
    "/api/ops/overview": _get(
        "Everything the dashboard's overview shows, with per-minute series",
        ANY_OBJECT,
        parameters=[
            {"name": "minutes", "in": "query", "schema": {"type": "integer", "minimum": 1}}
        ],
    ),
    "/api/ops/queue": _get("The queue at a glance", _ref("Queue")),
    "/api/ops/jobs": _get(
        "Jobs in one state, one page",
        {"allOf": [_page_of("Job"), {"properties": {"status": {"type": "string"}}}]},
        parameters=[
            {
                "name": "status",
                "in": "query",
                "schema": {"type": "string", "enum": list(JOB_STATUSES), "default": "queued"},
            },
            *PAGING,
        ],
        **{"400": _error("Unknown status or bad paging.")},
    )
    | {
        "post": {
            "summary": "Enqueue an allow-listed job: " + ", ".join(sorted(ALLOWED_JOBS)),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["function"],
                            "properties": {
                                "function": {"type": "string", "enum": sorted(ALLOWED_JOBS)},
                                "args": {"type": "array"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _ok(ANY_OBJECT, "Queued: `job_id`, `function`, `args`."),
                "400": _error(
                    "Malformed JSON (or too deeply nested), a function outside the "
                    "allow-list, bad args."
                ),
                "409": _error("A job with that id is queued or running, or is a dead letter."),
                "415": _error("The body is in a charset other than UTF-8."),
                **UNSAFE_ERRORS,
            },
        }
    },
    "/api/ops/jobs/allowed": _get("The allow-list of `POST /api/ops/jobs`", ANY_OBJECT),
    "/api/ops/jobs/{id}": _get(
        "One job in full",
        _ref("JobDetail"),
        parameters=[ID_PARAMETER],
        **{"404": _error("No such job.")},
    ),
    "/api/ops/jobs/{id}/abort": _unsafe(
        "post",
        "Abort a queued or running job; a delivery's event is parked as a dead letter",
        ANY_OBJECT,
        {
            "404": _error("No such job."),
            "409": _error("Finished already, or no worker confirmed the abort of a running job."),
        },
    )
    | {"parameters": [ID_PARAMETER]},
    "/api/ops/dead-letters": _get(
        "Parked events, newest first", _page_of("DeadLetter"), parameters=PAGING
    ),
    "/api/ops/dead-letters/retry-all": _unsafe(
        "post",
        f"Queue the oldest parked events again, at most {RETRY_ALL_BATCH} a call; "
        "`remaining` says how many are left: call again until it is 0",
        {
            "type": "object",
            "required": ["retried", "already_queued", "remaining"],
            "properties": {
                "retried": {"type": "integer"},
                "already_queued": {"type": "integer"},
                "remaining": {"type": "integer"},
            },
        },
        {"400": _error(f"limit is not a whole number from 1 to {RETRY_ALL_BATCH}.")},
        parameters=[
            {
                "name": "limit",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": RETRY_ALL_BATCH,
                    "default": RETRY_ALL_BATCH,
                },
                "description": f"Events to retry in this call (at most {RETRY_ALL_BATCH}).",
            }
        ],
    ),
    "/api/ops/dead-letters/{id}": _get(
        "One parked event and its error history",
        _ref("DeadLetter"),
        parameters=[ID_PARAMETER],
        **{"404": _error("No such dead letter.")},
    )
    | _unsafe("delete", "Drop a parked event", ANY_OBJECT, {"404": _error("No such dead letter.")}),
    "/api/ops/dead-letters/{id}/retry": _unsafe(
        "post", "Queue a parked event again", ANY_OBJECT, {"404": _error("No such dead letter.")}
    )
    | {"parameters": [ID_PARAMETER]},
    "/api/ops/workers": _get(
        "Live workers and those gone in the last hour",
        {
            "type": "object",
            "properties": {
                "live": {"type": "array", "items": _ref("Worker")},
                "gone": {"type": "array", "items": _ref("Worker")},
            },
        },
    ),
    "/api/ops/schedules": _get("The workers' cron jobs, next and last runs", ANY_OBJECT),
    "/api/ops/alerts": _get(
        "Alerts, newest first",
        _page_of("Alert"),
        parameters=[
            {
                "name": "state",
                "in": "query",
                "schema": {"type": "string", "enum": list(ALERT_STATES), "default": "all"},
            },
            *PAGING,
        ],
    ),
}
# The DELETE on a dead letter shares the path's `id` parameter with its GET.
PATHS["/api/ops/dead-letters/{id}"]["parameters"] = [ID_PARAMETER]
PATHS["/api/ops/dead-letters/{id}"]["get"].pop("parameters")

DOCUMENT: Json = {
    "openapi": "3.1.0",
    "info": {
        "title": "Wolfit ops API",
        "version": "1.0.0",
        "description": "The operator API of Wolfit's web app: the arq queue, "
        "jobs, dead letters, workers, schedules and alerts. Authenticate with an admin "
        "session (unsafe calls also need `X-CSRF-Token`) or `Authorization: Bearer OPS_TOKEN`.",
    },
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "opsToken": {"type": "http", "scheme": "bearer"},
            "adminSession": {"type": "apiKey", "in": "cookie", "name": "wolfit_session"},
        },
    },
    "security": [{"opsToken": []}, {"adminSession": []}],
    "paths": PATHS,
}


@cache
def _document() -> Json:
    return DOCUMENT


def openapi_document() -> Json:
    """A copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())
