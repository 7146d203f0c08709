"""How fast one activity service ingests events: events/s and latency percentiles.

Starts `python -m src.activity` in its own process (uvloop, SQLite in a temporary
directory, SLEEP_TIME=0, FAIL_RATE=0), then POSTs distinct events from `--clients`
concurrent clients in this process, on uvloop too. With two or more CPUs the service is
pinned to one core and the clients to another (`placement`), so the figure is what one
core sustains.

    python -m bench ingest                  # 20,000 events, 50 clients
    python -m bench ingest --events 50000 --json docs/bench/ingest.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench.machine import ROOT, write_record
from bench.options import BenchParser, integer
from bench.placement import Place, Placement, pinned_self, placed_command, plan
from bench.stats import summarize
from bench.suite import cpu_seconds
from src.common.embedded_redis import free_port

__all__ = ["main"]


def start_service(workdir: Path, port: int, token: str, place: Place) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACTIVITY_DB_URL": f"sqlite:///{workdir / 'activity.sqlite3'}",
        "ACTIVITY_TOKEN": token,
        "ACTIVITY_PORT": str(port),
        "SLEEP_TIME": "0",
        "FAIL_RATE": "0",
        "WOLFIT_VAR_DIR": str(workdir / "var"),
    }
    command = placed_command([sys.executable, "-m", "src.activity"], place)
    with (workdir / "service.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(command, env=env, cwd=ROOT, stderr=log)  # noqa: S603 (ours)


async def wait_ready(
    session: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with status {process.returncode}")
        try:
            async with session.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("the service did not become healthy within 30 s")


def make_event(n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "post.vote",
        "user_id": n % 1000,
        "username": f"user{n % 1000}",
        "timestamp": datetime.now(UTC).isoformat(),
        "details": f"user{n % 1000} up-voted post {n}",
        "data": {"post_id": n, "direction": "up"},
        "request_id": uuid.uuid4().hex,
    }


async def drive(
    session: aiohttp.ClientSession, url: str, token: str, events: int, clients: int
) -> tuple[float, list[float], dict[int, int]]:
    """POST `events` distinct events from `clients` concurrent loops; wall time, latencies."""
    bodies = iter([json.dumps(make_event(n)).encode() for n in range(events)])
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client() -> None:
        for body in bodies:
            started = time.perf_counter()
            async with session.post(url + "/api/activities", data=body, headers=headers) as answer:
                await answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, latencies, statuses


async def bench(args: argparse.Namespace, placement: Placement) -> dict[str, Any]:
    token = secrets.token_urlsafe(24)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="wolfit-bench-") as tmp:
        process = start_service(Path(tmp), port, token, placement.subject)
        try:
            connector = aiohttp.TCPConnector(limit=args.clients)
            async with aiohttp.ClientSession(connector=connector) as session:
                await wait_ready(session, url, process)
                await drive(session, url, token, args.warmup, args.clients)
                cpu_before = cpu_seconds(process.pid)
                wall, latencies, statuses = await drive(
                    session, url, token, args.events, args.clients
                )
                cpu_after = cpu_seconds(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    summary = summarize(latencies, wall)
    service_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "events": args.events,
        "clients": args.clients,
        "store": "sqlite",
        "pinned_to_one_core": placement.name == "pinned",
        "seconds": round(wall, 3),
        "events_per_second": round(args.events / wall, 1),
        "latency_ms": {
            "p50": summary.p50_ms,
            "p95": summary.p95_ms,
            "p99": summary.p99_ms,
            "max": summary.max_ms,
            "mean": summary.mean_ms,
        },
        "statuses": statuses,
        "service_cpu_utilisation": None if service_cpu is None else round(service_cpu / wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench ingest`: measure, print, optionally write JSON."""
    parser = BenchParser(prog="python -m bench ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=integer(1), default=20_000, help="events (20000)")
    parser.add_argument("--clients", type=integer(1), default=50, help="concurrent clients (50)")
    parser.add_argument("--warmup", type=integer(0), default=1_000, help="events before measuring")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin service and clients to cores"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    placement = plan("pinned" if args.pin and len(os.sched_getaffinity(0)) >= 2 else "shared")
    with pinned_self(placement.client):
        result = uvloop.run(bench(args, placement))
    latency = result["latency_ms"]
    print(
        f"{result['events']} events, {result['clients']} clients, SQLite, SLEEP_TIME=0, "
        f"service {'pinned to one core' if result['pinned_to_one_core'] else 'not pinned'}\n"
        f"  events/s      {result['events_per_second']:>10,.0f}\n"
        f"  latency p50   {latency['p50']:>10.2f} ms\n"
        f"  latency p95   {latency['p95']:>10.2f} ms\n"
        f"  latency p99   {latency['p99']:>10.2f} ms\n"
        f"  latency max   {latency['max']:>10.2f} ms\n"
        f"  statuses      {result['statuses']}\n"
        f"  service CPU   {result['service_cpu_utilisation']} of one core"
    )
    if args.json:
        write_record(args.json, "ingest", argv, result)
    return 0 if set(result["statuses"]) == {201} else 1
