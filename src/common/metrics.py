"""Prometheus metrics of an aiohttp service: requests by route and status, and latency.

Each application gets its own `CollectorRegistry`, so tests that build many apps in one
process never collide on metric names, and a service's `/metrics` shows only its own.
Use it the same way in every service::

    metrics = HttpMetrics()
    app = web.Application(middlewares=[request_id_middleware, metrics.middleware, ...])
    app[HTTP_METRICS] = metrics
    app.router.add_get("/metrics", metrics.handler, name="metrics")
    events_stored = Counter("events_stored_total", "...", registry=metrics.registry)

Routes are labelled by their pattern (`/api/activities/{id}`), never by the raw path, so
the number of series stays bounded whatever URLs clients try; unmatched paths share the
label `unmatched`.

Several processes serving one app (`wolfit web` with WEB_PROCESSES) use prometheus_client's
multiprocess mode: the master calls `use_multiprocess_dir` before it forks, every value is
then kept in a file of that directory per process, and `/metrics` of any process shows the
sum over all of them (counters and histograms summed; requests in progress summed over the
live processes; a gauge set at scrape time shows the latest). The process, platform and
garbage-collector collectors are left out there: they would describe only the process that
happened to answer. `forget_process` drops a dead process's live gauges; its counters stay
in the sums. Without that call (tests, the activity service) each app keeps its own
in-memory registry as before.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    values,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

__all__ = [
    "HTTP_METRICS",
    "LATENCY_BUCKETS",
    "HttpMetrics",
    "forget_process",
    "route_label",
    "use_multiprocess_dir",
]

# From 1 ms (a healthy local call) to 30 s (a request stuck behind a slow dependency).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
UNMATCHED = "unmatched"
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(directory: Path) -> None:
    """Keep the values of every metric made from now on, in this process and in the processes
    it forks, in files under `directory` (an empty directory of this run's own).

    prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it is first imported, which here is
    before `wolfit web` reads its settings: the variable is set, and the library's own choice
    of value class made again from it.
    """
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
    values.ValueClass = values.get_value_class()


def forget_process(pid: int, directory: Path) -> None:
    """A process of the multiprocess mode has ended: drop its live gauges (its requests in
    progress); its counters stay in the sums."""
    mark_process_dead(pid, str(directory))


def _multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


def route_label(request: web.Request) -> str:
    """The route pattern a request matched (`/api/activities/{id}`), or `unmatched`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


class HttpMetrics:
    """Request counters and latency histogram of one aiohttp app, on its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry or CollectorRegistry()
        # What /metrics renders: this registry, or in multiprocess mode every process's files.
        self.exposed = self.registry
        shared = _multiprocess_dir()
        if shared is not None:
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed, path=shared)
        elif process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route pattern and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to response, by method and route pattern.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "Requests being handled right now, by method and route pattern.",
            ["method", "route"],
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count and time every request; an exception that escapes counts as its status."""
        route = route_label(request)
        method = request.method
        started = time.perf_counter()
        status = 500
        in_progress = self.in_progress.labels(method, route)
        in_progress.inc()
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            in_progress.dec()
            self.latency.labels(method, route).observe(time.perf_counter() - started)
            self.requests.labels(method, route, str(status)).inc()

    async def handler(self, request: web.Request) -> web.Response:
        """`GET /metrics`: the registry in the text format the scraper asks for."""
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = web.Response(body=encoder(self.exposed))
        response.headers["Content-Type"] = content_type
        return response


HTTP_METRICS = web.AppKey("metrics", HttpMetrics)
