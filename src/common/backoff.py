"""Capped exponential backoff: the one rule for everything in the suite that waits and tries
again (a failed delivery, the outbox relay while Redis is away, the woken worker's loop
through a Redis outage, an alert webhook, a restart by `wolfit up` or after a Redis failure).

The wait before try `n + 1` after `n` failed tries is at most `min(cap, base * 2**(n - 1))`:
`base`, `2 * base`, `4 * base`... never more than `cap` (a cap below `base` caps every wait).
Callers that may be many at once (deliveries after an outage) draw a random wait below that
ceiling ("full jitter", AWS Architecture Blog, *Exponential Backoff And Jitter*) so they do
not come back together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]

_MAX_EXPONENT = 64  # 2**64 * base is beyond any cap; keeps the float finite at any count


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait after `failures` failed tries in a row: `base` seconds after the
    first, doubling, at most `cap`."""

    base: float
    cap: float

    def __post_init__(self) -> None:
        if not (self.base > 0 and self.cap > 0):
            raise ValueError(f"need a positive base and cap, not base={self.base} cap={self.cap}")

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` (from 1) failed tries: `min(cap, base * 2**(n-1))`;
        `base` for 0 or fewer."""
        exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
        return min(self.cap, self.base * 2.0**exponent)

    def jittered(self, failures: int, rng: random.Random | None = None) -> float:
        """A wait drawn uniformly from `[0, ceiling(failures)]` (full jitter)."""
        return (rng or random).uniform(0.0, self.ceiling(failures))
