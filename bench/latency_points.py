"""The latency experiment's points: what one mode at one SLEEP_TIME measured, and reading
points back from the record.

The run (`latency`), the record and tables (`latency_report`) and the plot (`latency_plot`)
all speak of points; they import them from here, so their imports go one way:
`latency` -> `latency_report`, `latency_plot` -> `latency_points`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.delivery_check import DeliveryCheck
from bench.stats import Summary

__all__ = ["Point", "actions_of"]


@dataclass(frozen=True, slots=True)
class Point:
    """The figures of one mode at one SLEEP_TIME."""

    mode: str
    sleep_time: float
    actions: dict[str, Summary]  # "all", then each action
    warmup_actions: int
    errors: dict[str, int]
    cpu_ms_per_action: dict[str, float]  # by process, over warm-up, measurement and drain
    delivery: DeliveryCheck

    def as_dict(self) -> dict[str, Any]:
        """The point as JSON."""
        return {
            "mode": self.mode,
            "sleep_time": self.sleep_time,
            "actions": {name: asdict(summary) for name, summary in self.actions.items()},
            "warmup_actions": self.warmup_actions,
            "errors": self.errors,
            "cpu_ms_per_action": self.cpu_ms_per_action,
            "delivery": self.delivery.as_dict(),
        }


def actions_of(points: list[dict[str, Any]]) -> list[str]:
    """The actions measured in the record's points, most frequent first ("all" excluded)."""
    counts: dict[str, int] = {}
    for point in points:
        for name, summary in point["actions"].items():
            if name != "all":
                counts[name] = counts.get(name, 0) + summary["count"]
    return sorted(counts, key=lambda name: -counts[name])
