"""The jobs an operator may enqueue from the dashboard or the ops API: the allow-list.

Only these, each with its arguments checked before anything is queued:

- `check_activity_health`, no arguments: look at the activity service's health now (the
  cron job's check, run on demand; its answer is the job's result).
- `post_activity`, `[event]`: deliver one event (again); the event must pass the schema of
  docs/activity-event.md and carry its `id`, which becomes the job id (never queued twice).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from src.common.events import EventInvalid, parse_event
from src.jobs import DELIVERY_FUNCTION, HEALTH_CHECK_FUNCTION
from src.web.ops.errors import OpsBadRequest

__all__ = ["ALLOWED_JOBS", "AllowedJob", "PreparedJob", "prepare_job"]


@dataclass(frozen=True, slots=True)
class PreparedJob:
    """A checked request: the arq function, its arguments and the job id to use."""

    function: str
    args: list[Any]
    job_id: str


@dataclass(frozen=True, slots=True)
class AllowedJob:
    """One allow-listed function: what it does, and the check of its arguments."""

    description: str
    arguments: str
    prepare: Callable[[list[Any]], PreparedJob]


def _health_check(args: list[Any]) -> PreparedJob:
    if args:
        raise OpsBadRequest(f'{HEALTH_CHECK_FUNCTION} takes no arguments: send "args": []')
    return PreparedJob(HEALTH_CHECK_FUNCTION, [], f"health-check-{uuid.uuid4()}")


def _redelivery(args: list[Any]) -> PreparedJob:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise OpsBadRequest(f"{DELIVERY_FUNCTION} takes one argument, the event as an object")
    event = args[0]
    try:
        parse_event(event)
    except EventInvalid as exc:
        raise OpsBadRequest(f"the event is not valid: {exc}", fields=exc.fields) from None
    if not isinstance(event.get("id"), str) or not event["id"]:
        raise OpsBadRequest(
            "the event needs its id: it is the job id that keeps it from being queued twice",
            fields={"id": "required"},
        )
    return PreparedJob(DELIVERY_FUNCTION, [event], event["id"])


ALLOWED_JOBS: dict[str, AllowedJob] = {
    HEALTH_CHECK_FUNCTION: AllowedJob(
        "look at the activity service's health now", "[]", _health_check
    ),
    DELIVERY_FUNCTION: AllowedJob(
        "deliver one event (again) to the activity service", "[event]", _redelivery
    ),
}


def prepare_job(function: Any, args: Any) -> PreparedJob:
    """Check a request against the allow-list; `OpsBadRequest` says what is allowed."""
    allowed = ", ".join(sorted(ALLOWED_JOBS))
    if not isinstance(function, str) or function not in ALLOWED_JOBS:
        shown = function if isinstance(function, str) else type(function).__name__
        raise OpsBadRequest(
            f"function {str(shown)[:80]!r} may not be enqueued; allowed: {allowed}",
            allowed=sorted(ALLOWED_JOBS),
        )
    if not isinstance(args, list):
        raise OpsBadRequest('"args" must be a list (JSON array)')
    return ALLOWED_JOBS[function].prepare(args)
