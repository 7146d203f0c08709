"""Chaos controls: the activity service's `SLEEP_TIME` and `FAIL_RATE`, read and changed.

`GET /admin/chaos` shows the values in force (`GET /api/chaos` of the service); the form
POSTs new ones (with the session's `csrf_token`), which are checked here with the service's
own limits (a sleep of 0 to 60 seconds after each stored event, a failure rate from 0 to 1)
before the service is asked (`PUT /api/chaos`): a bad value is a 400 page naming the field,
and nothing changes. An empty field means "leave as it is"; at least one must be given.
A change redirects back to the page with a notice of the new values.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from src.common.activity_client import ActivityRejected, ActivityUnavailable
from src.common.settings import MAX_SLEEP_TIME
from src.web.admin.page import operator, render_page, set_notice
from src.web.app_keys import ACTIVITY_CLIENT
from src.web.forms import read_form

__all__ = [
    "MAX_FAIL_RATE",
    "MAX_SLEEP_TIME",
    "ChaosChange",
    "ChaosInvalid",
    "chaos_change",
    "chaos_page",
    "parse_chaos_form",
    "rejected_fields",
]

log = logging.getLogger(__name__)

MAX_FAIL_RATE = 1.0
_FIELDS = {
    "sleep_time": (
        MAX_SLEEP_TIME,
        f"must be a number of seconds from 0 to {MAX_SLEEP_TIME:g}, such as 0.5",
    ),
    "fail_rate": (MAX_FAIL_RATE, "must be a fraction from 0 to 1, such as 0.2 (20% fail)"),
}
UNAVAILABLE = (
    "The activity service is not answering, so its chaos settings cannot be read or changed "
    "right now. Try again shortly."
)


class ChaosInvalid(ValueError):
    """A chaos form the dashboard refuses; `fields` maps each bad field to what to send."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid chaos: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True, slots=True)
class ChaosChange:
    """The values to set; None leaves one as it is."""

    sleep_time: float | None
    fail_rate: float | None


def _number(text: str, limit: float) -> float:
    value = float(text)  # ValueError for anything but a number
    if not math.isfinite(value) or not 0 <= value <= limit:
        raise ValueError(text)
    return value


def parse_chaos_form(form: Mapping[str, Any]) -> ChaosChange:
    """The change a posted form asks for, or `ChaosInvalid` naming every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, float | None] = {}
    for name, (limit, hint) in _FIELDS.items():
        raw = form.get(name)
        text = raw.strip() if isinstance(raw, str) else ""
        values[name] = None
        if text:
            try:
                values[name] = _number(text, limit)
            except ValueError:
                errors[name] = hint
    if not errors and values["sleep_time"] is None and values["fail_rate"] is None:
        errors["sleep_time"] = "give a new SLEEP_TIME, a new FAIL_RATE, or both"
    if errors:
        raise ChaosInvalid(errors)
    return ChaosChange(values["sleep_time"], values["fail_rate"])


def rejected_fields(exc: ActivityRejected) -> dict[str, str]:
    """The fields the activity service named in its 400, or one line saying what it refused."""
    body = exc.body if isinstance(exc.body, dict) else {}
    fields = body.get("fields")
    if isinstance(fields, dict) and fields:
        return {str(key): str(value) for key, value in fields.items()}
    return {"request": str(body.get("error") or f"the activity service refused it ({exc.status})")}


async def _page(
    request: web.Request,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    """The chaos page, with the values in force when the service answers (else a 503)."""
    context: dict[str, Any] = {
        "errors": errors or {},
        "typed": typed or {},
        "chaos": None,
        "unavailable": UNAVAILABLE if status == 503 else None,
        "max_sleep_time": MAX_SLEEP_TIME,
    }
    try:
        context["chaos"] = await request.app[ACTIVITY_CLIENT].chaos()
    except ActivityUnavailable as exc:
        log.warning("%s %s: %s", request.method, request.path, exc)
        context["unavailable"] = UNAVAILABLE
        status = 400 if status == 400 else 503
    return await render_page(request, "chaos.html", "chaos", context, status=status)


async def chaos_page(request: web.Request) -> web.StreamResponse:
    """The activity service's current SLEEP_TIME and FAIL_RATE, and the form to change them."""
    return await _page(request)


async def chaos_change(request: web.Request) -> web.StreamResponse:
    """Set new chaos values on the activity service, then back to the page with a notice."""
    form = await read_form(request)
    typed = {name: str(form.get(name, "")) for name in _FIELDS}
    try:
        change = parse_chaos_form(form)
        values = await request.app[ACTIVITY_CLIENT].set_chaos(
            sleep_time=change.sleep_time, fail_rate=change.fail_rate
        )
    except ChaosInvalid as exc:
        return await _page(request, errors=exc.fields, typed=typed, status=400)
    except ActivityRejected as exc:
        return await _page(request, errors=rejected_fields(exc), typed=typed, status=400)
    except ActivityUnavailable as exc:
        log.warning("%s %s: %s", request.method, request.path, exc)
        return await _page(request, typed=typed, status=503)
    log.info(
        "chaos set by %s: sleep_time=%s fail_rate=%s",
        operator(request),
        values.get("sleep_time"),
        values.get("fail_rate"),
    )
    await set_notice(
        request,
        f"Chaos changed: SLEEP_TIME is now {values.get('sleep_time')} s and FAIL_RATE "
        f"{values.get('fail_rate')}. Open the overview to watch the queue absorb it.",
    )
    raise web.HTTPSeeOther(str(request.app.router["admin.chaos"].url_for()))
