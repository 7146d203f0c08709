"""The OpenAPI 3.1 document of the activity API, written as data.

The event schema is taken from `ActivityEvent` itself, so the document cannot drift from
what the service accepts; everything else is spelled out here, next to the limits in
`query.py`, `chaos.py` and `bodies.py` that it quotes.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from src.activity.bodies import MAX_BODY_BYTES
from src.activity.chaos import MAX_SLEEP_TIME
from src.activity.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_MINUTES, MAX_Q
from src.common.events import ActivityEvent

__all__ = ["openapi_document", "openapi_json"]

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str, headers: Json | None = None) -> Json:
    answer: Json = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str, headers: Json | None = None) -> Json:
    return _json(_ref("Error"), description, headers)


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
COMMON_ERRORS = {
    "401": _error("Missing or wrong bearer token."),
    "503": _error("The store is unreachable; retry after `Retry-After` seconds.", RETRY_AFTER),
}
BODY_ERRORS = {
    "400": _error("Invalid JSON or schema; `fields` names each bad field."),
    "413": _error(f"The body is larger than {MAX_BODY_BYTES} bytes."),
    "415": _error("The body is not `application/json` in UTF-8."),
}


def _query(name: str, schema: Json, description: str) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


ACTIVITY_FILTERS = [
    _query("user_id", {"type": "integer", "format": "int64"}, "Events of this user id."),
    _query("username", {"type": "string", "maxLength": 64}, "Events of this username."),
    _query(
        "type", {"type": "string", "pattern": "^[a-z][a-z0-9_.-]{0,63}$"}, "Events of this type."
    ),
    _query("since", {"type": "string", "format": "date-time"}, "Timestamp at or after (ISO 8601)."),
    _query("until", {"type": "string", "format": "date-time"}, "Timestamp before (ISO 8601)."),
    _query(
        "q",
        {"type": "string", "maxLength": MAX_Q},
        "Text that `details` contains, ignoring case and accents (`strasse` finds `Straße`).",
    ),
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Events per page.",
    ),
    _query("cursor", {"type": "string"}, "`next_cursor` of the previous page."),
]


def _schemas() -> Json:
    event = ActivityEvent.model_json_schema()
    event["description"] = (
        "An activity event (docs/activity-event.md). Without `id` and `type` (the seed-era "
        "body) the service sets a fresh id and the type `activity`."
    )
    stored = {
        "allOf": [
            _ref("Event"),
            {
                "type": "object",
                "required": ["id", "type", "received_at"],
                "properties": {"received_at": {"type": "string", "format": "date-time"}},
            },
        ]
    }
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    chaos_values = {
        "sleep_time": {"type": "number", "minimum": 0, "maximum": MAX_SLEEP_TIME},
        "fail_rate": {"type": "number", "minimum": 0, "maximum": 1},
    }
    return {
        "Event": event,
        "StoredEvent": stored,
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Page": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": _ref("StoredEvent")},
                "next_cursor": {"type": ["string", "null"]},
            },
        },
        "Stats": {
            "type": "object",
            "required": ["minutes", "since", "until", "total", "by_type", "by_minute"],
            "properties": {
                "minutes": {"type": "integer"},
                "since": {"type": "string", "format": "date-time"},
                "until": {"type": "string", "format": "date-time"},
                "total": {"type": "integer", "description": "Events in the window."},
                "stored_total": {"type": "integer", "description": "Events in the store."},
                "by_type": counts,
                "by_minute": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "minute": {"type": "string", "format": "date-time"},
                            "count": {"type": "integer"},
                            "by_type": counts,
                        },
                    },
                },
            },
        },
        "Chaos": {
            "type": "object",
            "required": ["sleep_time", "fail_rate"],
            "properties": chaos_values,
        },
        "ChaosUpdate": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": chaos_values,
        },
        "Health": {
            "type": "object",
            "required": ["status", "store"],
            "properties": {
                "status": {"enum": ["ok", "unavailable"]},
                "store": {"enum": ["sqlite", "mongodb"]},
                "service": {"type": "string"},
                "loop": {
                    "type": "string",
                    "description": "The event loop serving: uvloop as `wolfit activity` runs.",
                },
                "sleep_time": {"type": "number"},
                "fail_rate": {"type": "number"},
                "error": {"type": "string"},
            },
        },
    }


def _paths() -> Json:
    event_body = {
        "required": True,
        "content": {"application/json": {"schema": _ref("Event")}},
    }
    return {
        "/api/activities": {
            "post": {
                "operationId": "postActivity",
                "summary": "Store an event, once per id.",
                "requestBody": event_body,
                "responses": {
                    "201": _json(_ref("StoredEvent"), "Stored."),
                    "200": _json(_ref("StoredEvent"), "Already stored with the same content."),
                    "409": _error("Another event is stored with this id (`stored`)."),
                    **BODY_ERRORS,
                    **COMMON_ERRORS,
                },
            },
            "get": {
                "operationId": "listActivities",
                "summary": "Events newest first, filtered, one page at a time.",
                "parameters": ACTIVITY_FILTERS,
                "responses": {
                    "200": _json(_ref("Page"), "One page."),
                    "400": _error("A filter is unknown, repeated or malformed."),
                    **COMMON_ERRORS,
                },
            },
        },
        "/api/activities/{id}": {
            "get": {
                "operationId": "getActivity",
                "summary": "One stored event.",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json(_ref("StoredEvent"), "The event."),
                    "404": _error("No event with this id."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/stats": {
            "get": {
                "operationId": "getStats",
                "summary": "Counts per type and per minute over a window, by event timestamp.",
                "parameters": [
                    _query(
                        "minutes",
                        {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES, "default": 60},
                        "Length of the window, ending with the current minute.",
                    )
                ],
                "responses": {
                    "200": _json(_ref("Stats"), "The counts."),
                    "400": _error("`minutes` is malformed or out of range."),
                    **COMMON_ERRORS,
                },
            }
        },
        "/api/chaos": {
            "get": {
                "operationId": "getChaos",
                "summary": "Simulated latency and failure rate in force.",
                "responses": {
                    "200": _json(_ref("Chaos"), "The values."),
                    "401": COMMON_ERRORS["401"],
                },
            },
            "put": {
                "operationId": "putChaos",
                "summary": "Change simulated latency, failure rate or both.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ChaosUpdate")}},
                },
                "responses": {
                    "200": _json(_ref("Chaos"), "The values now in force."),
                    **BODY_ERRORS,
                    "401": COMMON_ERRORS["401"],
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenapi",
                "summary": "This document.",
                "responses": {
                    "200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}},
                    "401": COMMON_ERRORS["401"],
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Whether the service and its store work.",
                "security": [],
                "responses": {
                    "200": _json(_ref("Health"), "The store accepts writes."),
                    "503": _json(_ref("Health"), "The store is unreachable.", RETRY_AFTER),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Prometheus text format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


@cache
def _document() -> Json:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wolfit activity service",
            "version": "1.0.0",
            "description": "Stores activity events once per id and lets operators search them.",
        },
        "servers": [{"url": "http://127.0.0.1:8081"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The ACTIVITY_TOKEN the service was started with.",
                }
            },
        },
    }


def openapi_document() -> Json:
    """The OpenAPI document, as a fresh copy the caller may change."""
    return copy.deepcopy(_document())


@cache
def openapi_json() -> str:
    """The OpenAPI document as JSON text, made once per process."""
    return json.dumps(_document())
