"""JSON error answers: every 4xx and 5xx of the activity API carries `{"error": ...}`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["json_error"]


def json_error(
    status: Callable[..., web.HTTPException],
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.HTTPException:
    """An HTTP error to raise whose body is `{"error": message, **extra}`.

    `status` is an aiohttp exception class, or a partial of one that needs arguments.
    """
    # ASCII escapes: a message may quote client text that is not valid Unicode.
    body = json.dumps({"error": message, **extra})
    return status(text=body, content_type="application/json", headers=headers)
