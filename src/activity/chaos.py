"""Simulated latency and failures (`SLEEP_TIME`, `FAIL_RATE`), changeable at run time.

The experiments of the suite need a slow or flaky activity service on demand; this small
object is the only state behind that, read by the POST handler and set by `PUT /api/chaos`.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["MAX_SLEEP_TIME", "Chaos", "ChaosInvalid"]

# Longer than any sane experiment, shorter than clients' timeouts are likely to tolerate.
MAX_SLEEP_TIME = 60.0


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
        """Apply a `PUT /api/chaos` body: one or both values, each checked; all or nothing."""
        if not isinstance(body, dict):
            raise ChaosInvalid({"body": "must be a JSON object"})
        errors: dict[str, str] = {}
        for key in body.keys() - {"sleep_time", "fail_rate"}:
            errors[key] = "unknown field; give sleep_time, fail_rate or both"
        if not body.keys() & {"sleep_time", "fail_rate"} and not errors:
            errors["body"] = "give sleep_time, fail_rate or both"
        sleep_time = body.get("sleep_time", self.sleep_time)
        fail_rate = body.get("fail_rate", self.fail_rate)
        if not _number(sleep_time) or not 0 <= sleep_time <= MAX_SLEEP_TIME:
            errors["sleep_time"] = f"must be a number of seconds from 0 to {MAX_SLEEP_TIME:g}"
        if not _number(fail_rate) or not 0 <= fail_rate <= 1:
            errors["fail_rate"] = "must be a number from 0 to 1"
        if errors:
            raise ChaosInvalid(errors)
        self.sleep_time = float(sleep_time)
        self.fail_rate = float(fail_rate)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
