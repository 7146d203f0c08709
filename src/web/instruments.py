"""The web app's own Prometheus metrics, beside the HTTP ones of `src.common.metrics`:
what became of each activity event, and how many wait in the outbox."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["WEB_METRICS", "WebMetrics"]

# How an event left the request (or the outbox): `enqueued` (async), `posted` (sync, stored
# inline), `kept` (the hand-over failed; the outbox keeps it), `relayed` (by the relay).
OUTCOMES = ("enqueued", "posted", "kept", "relayed")


class WebMetrics:
    """Counters of activity events by type and outcome, and the outbox backlog."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "wolfit_web_events_total",
            "Activity events of web actions, by type and outcome "
            "(enqueued, posted, kept in the outbox, relayed from it).",
            ["type", "outcome"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "wolfit_web_outbox_events",
            "Events waiting in the outbox, counted at each scrape.",
            registry=registry,
            multiprocess_mode="livemostrecent",  # set by whichever process is scraped
        )

    def count(self, event_type: str, outcome: str) -> None:
        """One event of `event_type` had `outcome`."""
        self.events.labels(event_type, outcome).inc()


WEB_METRICS = web.AppKey("web_metrics", WebMetrics)
