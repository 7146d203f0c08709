"""`python -m bench dashboard`: every ops route (and dashboard page) at scale, p95 per route.

It starts Redis, the activity service and one web process as child processes in a temporary
directory (no worker: the queue must stay long, as during an incident), fills the queue with
100,000 `post_activity` jobs and the activity store with 1,000,000 events
(`dashboard_fill.py`), logs in as an admin, and requests each route `--requests` times in a
row after a warm-up, reporting p50, p95 and max against the budget of 200 ms at p95.

`ROUTES` lists the ops API; `PAGES` lists the dashboard's HTML pages (the dashboard adds
them); `--url PATH` measures more. A path may name `{queued}`, `{dead_letter}` or
`{finished}`: each request then takes another id of that kind (abort, retry and delete
change what they touch, so each gets its own). The activity browser is also measured at its
worst: a search term too short for the full-text index (a scan), a common term within one
user's events, and a term no event holds.

`--json FILE` writes the figures with the run's provenance (command, date, commit, machine,
the fill), as the other benchmarks' records do.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.dashboard_fill import Filled, fill_queue
from bench.dashboard_suite import DashboardSuite, add_admin, log_in
from bench.machine import write_record

__all__ = ["PAGES", "ROUTES", "Route", "RouteFigures", "main", "measure"]

BUDGET_MS = 200.0
# A throwaway token of the benchmark's own short-lived suite.
OPS_TOKEN = secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Route:
    """One thing to measure: a method and a path (with an optional `{kind}` of id)."""

    method: str
    path: str
    body: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: list[Route] = [
    Route("GET", "/api/ops/overview"),
    Route("GET", "/api/ops/queue"),
    Route("GET", "/api/ops/jobs?status=queued"),
    Route("GET", "/api/ops/jobs?status=queued&offset=89000&limit=200"),
    Route("GET", "/api/ops/jobs?status=deferred"),
    Route("GET", "/api/ops/jobs?status=in_progress"),
    Route("GET", "/api/ops/jobs?status=complete"),
    Route("GET", "/api/ops/jobs?status=failed"),
    Route("GET", "/api/ops/jobs/{queued}"),
    Route("GET", "/api/ops/jobs/{finished}"),
    Route("GET", "/api/ops/jobs/allowed"),
    Route("POST", "/api/ops/jobs", {"function": "check_activity_health", "args": []}),
    Route("POST", "/api/ops/jobs/{queued}/abort"),
    Route("GET", "/api/ops/dead-letters"),
    Route("GET", "/api/ops/dead-letters/{dead_letter}"),
    Route("POST", "/api/ops/dead-letters/{dead_letter}/retry"),
    Route("DELETE", "/api/ops/dead-letters/{dead_letter}"),
    Route("POST", "/api/ops/dead-letters/retry-all"),
    Route("GET", "/api/ops/workers"),
    Route("GET", "/api/ops/schedules"),
    Route("GET", "/api/ops/alerts"),
    Route("GET", "/api/ops/alerts?state=open"),
    Route("GET", "/api/openapi.json"),
]
# The dashboard's pages (GET, with the admin's session).
PAGES: list[Route] = [
    Route("GET", "/admin"),
    Route("GET", "/admin/jobs?status=queued"),
    Route("GET", "/admin/jobs?status=queued&offset=89000&limit=200"),
    Route("GET", "/admin/jobs?status=deferred"),
    Route("GET", "/admin/jobs?status=in_progress"),
    Route("GET", "/admin/jobs?status=complete"),
    Route("GET", "/admin/jobs?status=failed"),
    Route("GET", "/admin/jobs/{queued}"),
    Route("GET", "/admin/jobs/{finished}"),
    Route("GET", "/admin/dead-letters"),
    Route("GET", "/admin/dead-letters/{dead_letter}"),
    Route("GET", "/admin/workers"),
    Route("GET", "/admin/schedules"),
    Route("GET", "/admin/alerts"),
    Route("GET", "/admin/activity"),
    Route("GET", "/admin/activity?q=number&type=post.vote"),
    Route("GET", "/admin/activity?q=us"),
    Route("GET", "/admin/activity?q=number&username=user42"),
    Route("GET", "/admin/activity?q=nowhere"),
    Route("GET", "/admin/activity?username=user42&type=user.login"),
    Route("GET", "/admin/chaos"),
]


@dataclass(frozen=True, slots=True)
class RouteFigures:
    """Latency of one route over `requests` requests, in milliseconds."""

    label: str
    requests: int
    p50: float
    p95: float
    max: float
    statuses: list[int]

    @property
    def within_budget(self) -> bool:
        return self.p95 <= BUDGET_MS

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.label,
            "requests": self.requests,
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "max_ms": round(self.max, 2),
            "statuses": sorted(set(self.statuses)),
        }


def _ids(filled: Filled) -> dict[str, Iterator[str]]:
    return {
        "queued": iter(filled.queued),
        "dead_letter": iter(filled.dead_letters),
        "finished": iter(filled.finished * 100),
    }


def _path(route: Route, ids: dict[str, Iterator[str]]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: next(ids[match.group(1)]), route.path)


async def measure(
    session: aiohttp.ClientSession,
    base_url: str,
    routes: list[Route],
    filled: Filled,
    *,
    requests: int = 100,
    warmup: int = 5,
) -> list[RouteFigures]:
    """Request each route `warmup + requests` times in a row; figures of the last ones."""
    ids = _ids(filled)
    figures = []
    for route in routes:
        timings: list[float] = []
        statuses: list[int] = []
        for number in range(warmup + requests):
            url = base_url + _path(route, ids)
            started = time.perf_counter()
            async with session.request(
                route.method, url, json=route.body, allow_redirects=False
            ) as response:
                await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if number >= warmup:
                timings.append(elapsed)
                statuses.append(response.status)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95 + 0.5) - 1)]
        figures.append(
            RouteFigures(
                route.label, requests, statistics.median(timings), p95, timings[-1], statuses
            )
        )
    return figures


def _table(figures: list[RouteFigures]) -> str:
    width = max(len(item.label) for item in figures)
    lines = [f"{'route':<{width}}  {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  status  budget"]
    for item in figures:
        statuses = ",".join(map(str, sorted(set(item.statuses))))
        verdict = "ok" if item.within_budget else f"OVER {BUDGET_MS:g} ms"
        lines.append(
            f"{item.label:<{width}}  {item.p50:8.1f} {item.p95:8.1f} {item.max:8.1f}"
            f"  {statuses:<6}  {verdict}"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[RouteFigures]:
    """Start, fill, measure, stop; answers the figures."""
    with tempfile.TemporaryDirectory(prefix="wolfit-bench-dashboard-") as tmp:
        async with DashboardSuite(Path(tmp)) as suite:
            started = time.perf_counter()
            filled = await asyncio.to_thread(fill_queue, suite.redis.url, args.jobs)
            print(f"filled {args.jobs} jobs in {time.perf_counter() - started:.1f} s", flush=True)
            await suite.store_events(args.events)
            await add_admin(suite.database_url)
            base_url = await suite.start_web(OPS_TOKEN=OPS_TOKEN, ALERT_INTERVAL="5")
            headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
            jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
            async with aiohttp.ClientSession(cookie_jar=jar) as pages:
                await log_in(pages, base_url)
                page_routes = PAGES + [Route("GET", path) for path in args.url]
                figures = await measure(
                    pages, base_url, page_routes, filled, requests=args.requests
                )
            async with aiohttp.ClientSession(headers=headers) as api:
                figures += await measure(api, base_url, ROUTES, filled, requests=args.requests)
    return figures


def main(argv: list[str] | None = None) -> int:
    """`python -m bench dashboard [--jobs N] [--events N] [--requests N] [--url PATH]...`"""
    parser = argparse.ArgumentParser(
        prog="python -m bench dashboard", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs queued (100,000)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events stored (1,000,000)")
    parser.add_argument("--requests", type=int, default=100, help="requests per route (100)")
    parser.add_argument("--url", action="append", default=[], help="another page to measure")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if min(args.jobs, args.events, args.requests) < 1:
        parser.error("--jobs, --events and --requests must be at least 1")
    if args.requests > 1_000:
        parser.error("--requests may be at most 1,000 (each abort, retry and delete needs an id)")
    figures = asyncio.run(run(args))
    print(_table(figures))
    if args.json:
        record = {
            "parameters": {"jobs": args.jobs, "events": args.events, "requests": args.requests},
            "budget_p95_ms": BUDGET_MS,
            "routes": [item.to_dict() for item in figures],
        }
        write_record(args.json, "dashboard", argv, record)
    return 0 if all(item.within_budget for item in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
