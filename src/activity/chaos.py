"""Simulated latency and failures (`SLEEP_TIME`, `FAIL_RATE`), changeable at run time.

The experiments of the suite need a slow or flaky activity service on demand; this small
object is the only state behind that, read by the POST handler and set by `PUT /api/chaos`.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from src.common.settings import MAX_SLEEP_TIME

__all__ = ["MAX_SLEEP_TIME", "Chaos", "ChaosInvalid"]


class ChaosInvalid(ValueError):
    """A `PUT /api/chaos` body the service refuses; `fields` names each bad value."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(
            "invalid chaos settings: " + "; ".join(f"{k}: {v}" for k, v in fields.items())
        )
        self.fields = fields


@dataclass(slots=True)
class Chaos:
    """Seconds to sleep after each stored POST, and the fraction of POSTs answered 503."""

    sleep_time: float = 0.0
    fail_rate: float = 0.0

    def should_fail(self) -> bool:
        """Draw whether this POST is one of the `fail_rate` answered 503."""
        return self.fail_rate > 0 and random.random() < self.fail_rate

    def as_dict(self) -> dict[str, float]:
        """The current values, as `GET`/`PUT /api/chaos` answer them."""
        return asdict(self)

    def update(self, body: Any) -> None:
        """Apply a `PUT /api/chaos` body: one or both values, each checked; all or nothing.

        Only the values sent are checked: the one left out stays as it is, whatever it is.
        """
        if not isinstance(body, dict):
            raise ChaosInvalid({"body": "must be a JSON object"})
        errors: dict[str, str] = {}
        for key in body.keys() - _LIMITS.keys():
            errors[key] = "unknown field; give sleep_time, fail_rate or both"
        if not body.keys() & _LIMITS.keys() and not errors:
            errors["body"] = "give sleep_time, fail_rate or both"
        for key, (highest, problem) in _LIMITS.items():
            if key in body and not _within(body[key], highest):
                errors[key] = problem
        if errors:
            raise ChaosInvalid(errors)
        if "sleep_time" in body:
            self.sleep_time = float(body["sleep_time"])
        if "fail_rate" in body:
            self.fail_rate = float(body["fail_rate"])


_LIMITS = {
    "sleep_time": (MAX_SLEEP_TIME, f"must be a number of seconds from 0 to {MAX_SLEEP_TIME:g}"),
    "fail_rate": (1.0, "must be a number from 0 to 1"),
}


def _within(value: Any, highest: float) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and 0 <= value <= highest
