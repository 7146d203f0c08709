"""When to restart a child that died, and when to give up.

`wolfit up` restarts a dead service, as operators expect of a supervisor: a worker killed by
the OOM killer should come back, not leave events waiting in the queue. Restarts back off
exponentially (1, 2, 4, 8, 16 s, at most 30 s) while a service keeps dying young; a run that
lasted `stable_after` seconds resets the count. A service that dies young again after
`max_restarts` such restarts is broken, not unlucky: the supervisor stops everything and
exits 1, so the failure is never hidden behind an endless restart loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from src.common.backoff import Backoff

__all__ = ["RestartPolicy"]


@dataclass
class RestartPolicy:
    """Backoff of one service's restarts; `after_exit` is called each time it dies."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 30.0
    max_restarts: int = 5
    restarts: int = 0

    def after_exit(self, lived: float) -> float | None:
        """Seconds to wait before restarting a child that lived `lived` s; None: give up."""
        if lived >= self.stable_after:
            self.restarts = 0
        if self.restarts >= self.max_restarts:
            return None
        self.restarts += 1
        return Backoff(self.first_delay, self.max_delay).ceiling(self.restarts)
