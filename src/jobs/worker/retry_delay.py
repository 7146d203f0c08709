"""How long a failed delivery waits before its next try: the suite's capped backoff
(`src.common.backoff`) with full jitter, drawn uniformly from `[0, min(cap, base * 2**(try -
1))]`: after an outage, the waiting events spread out instead of hitting the recovering
service together.

A `Retry-After` from the service is honoured as a floor: the wait is what the service asks
*plus* the jitter draw, never more than the cap. Taking it as the whole wait would defeat both
halves of the policy: a service that answers every try "503, Retry-After: 1" (as a store
outage does) would see all queued events come back in the same second, and would burn
`DELIVERY_MAX_TRIES` tries in as many seconds, parking events an outage of a few minutes
should only have delayed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from src.common.backoff import Backoff

__all__ = ["RetryDelay", "backoff_ceiling", "retry_delay"]


@dataclass(frozen=True, slots=True)
class RetryDelay:
    """The wait chosen after a failed try, and why: `ceiling` is the jitter's upper bound."""

    seconds: float
    ceiling: float
    source: str  # "backoff", or "retry-after" when the service's floor was added


def backoff_ceiling(job_try: int, *, base: float, cap: float) -> float:
    """The longest wait after try number `job_try` (1-based): `min(cap, base * 2**(try-1))`."""
    return Backoff(base, cap).ceiling(job_try)


def retry_delay(
    job_try: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> RetryDelay:
    """The wait before the next try: a full-jitter draw, on top of `Retry-After` if given.

    Never more than `cap`: the cap is the operator's longest acceptable wait (and a job
    deferred too far could outlive its key in Redis).
    """
    backoff = Backoff(base, cap)
    ceiling = backoff.ceiling(job_try)
    draw = backoff.jittered(job_try, rng)
    if retry_after is not None:
        return RetryDelay(min(cap, max(retry_after, 0.0) + draw), ceiling, "retry-after")
    return RetryDelay(draw, ceiling, "backoff")
