"""The JSON serializer arq uses for jobs and results, on the pool and on the worker.

arq pickles by default: a web and a worker of different versions could then not read each
other's jobs, and the dashboard could not show a job's arguments. JSON fixes both. The one
thing arq stores that JSON cannot carry is the exception of a failed job: it travels as
`{"__exception__": {"type", "message", "traceback"}}` and comes back as a `JobFailed`, or
as `asyncio.CancelledError` for an aborted job, which is what `Job.abort()` waits for.
"""

from __future__ import annotations

import asyncio
import json
import traceback
from typing import Any

__all__ = ["EXCEPTION_TAG", "JobFailed", "job_deserializer", "job_serializer"]

EXCEPTION_TAG = "__exception__"
MAX_TRACEBACK = 8_000  # characters; enough for the dashboard, small in Redis


class JobFailed(Exception):
    """A job's exception as read back from Redis: its type name, message and traceback."""

    def __init__(self, type_name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text


def _exception_to_json(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, JobFailed):
        return {"type": exc.type_name, "message": exc.message, "traceback": exc.traceback_text}
    text = "".join(traceback.format_exception(exc)) if exc.__traceback__ else ""
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": text[-MAX_TRACEBACK:],
    }


def _default(value: Any) -> Any:
    if isinstance(value, BaseException):
        return {EXCEPTION_TAG: _exception_to_json(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serializable: job arguments must be JSON")


def _object_hook(value: dict[str, Any]) -> Any:
    if len(value) == 1 and EXCEPTION_TAG in value:
        info = value[EXCEPTION_TAG]
        if info.get("type") == "CancelledError":
            return asyncio.CancelledError(info.get("message", ""))
        return JobFailed(
            str(info.get("type", "Exception")),
            str(info.get("message", "")),
            str(info.get("traceback", "")),
        )
    return value


def job_serializer(data: dict[str, Any]) -> bytes:
    """arq's job or result dict as compact JSON bytes; exceptions become tagged objects."""
    return json.dumps(data, default=_default, separators=(",", ":"), allow_nan=False).encode()


def job_deserializer(raw: bytes) -> dict[str, Any]:
    """The dict `job_serializer` wrote, with tagged exceptions turned back into exceptions."""
    data: dict[str, Any] = json.loads(raw, object_hook=_object_hook)
    return data
