"""The activity service's own Prometheus series, beside the generic HTTP ones."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

__all__ = ["ActivityMetrics"]


class ActivityMetrics:
    """What happened to POSTed events; no label carries client text, so series stay few."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.stored = Counter(
            "activity_events_stored_total", "Events stored for the first time.", registry=registry
        )
        self.duplicates = Counter(
            "activity_events_duplicate_total",
            "Events POSTed again with the same id and content (answered 200).",
            registry=registry,
        )
        self.conflicts = Counter(
            "activity_events_conflict_total",
            "Events POSTed with a stored id but other content (answered 409).",
            registry=registry,
        )
        self.rejected = Counter(
            "activity_events_rejected_total",
            "POST bodies refused as invalid JSON or schema (answered 400).",
            registry=registry,
        )
        self.chaos_failures = Counter(
            "activity_chaos_failures_total",
            "POSTs answered 503 on purpose by FAIL_RATE.",
            registry=registry,
        )
        self.store_unavailable = Counter(
            "activity_store_unavailable_total",
            "Requests answered 503 because the store could not be reached.",
            registry=registry,
        )
