"""How fast one activity service ingests events: events/s and latency percentiles.

Starts `python -m src.activity` in its own process (uvloop, SQLite in a temporary
directory, SLEEP_TIME=0, FAIL_RATE=0), then POSTs distinct events from `--clients`
concurrent clients in this process, on uvloop too. With two or more CPUs the service is
pinned to one core and the clients to another, so the figure is what one core sustains.

    .venv/bin/python bench/ingest.py                  # 20,000 events, 50 clients
    .venv/bin/python bench/ingest.py --events 50000 --json docs/bench/ingest.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
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

from src.common.embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_service(workdir: Path, port: int, token: str, cpu: int | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACTIVITY_DB_URL": f"sqlite:///{workdir / 'activity.sqlite3'}",
        "ACTIVITY_TOKEN": token,
        "ACTIVITY_PORT": str(port),
        "SLEEP_TIME": "0",
        "FAIL_RATE": "0",
        "WOLFIT_VAR_DIR": str(workdir / "var"),
    }
    log = (workdir / "service.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "src.activity"], env=env, cwd=ROOT, stderr=log
    )
    if cpu is not None:
        os.sched_setaffinity(process.pid, {cpu})
    return process


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


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    pin = args.pin and len(os.sched_getaffinity(0)) >= 2
    cpus = sorted(os.sched_getaffinity(0))
    token = secrets.token_urlsafe(24)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="wolfit-bench-") as tmp:
        process = start_service(Path(tmp), port, token, cpus[0] if pin else None)
        if pin:
            os.sched_setaffinity(0, {cpus[1]})
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
    latencies.sort()
    service_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "events": args.events,
        "clients": args.clients,
        "store": "sqlite",
        "pinned_to_one_core": pin,
        "seconds": round(wall, 3),
        "events_per_second": round(args.events / wall, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 2),
            "p95": round(percentile(latencies, 0.95) * 1000, 2),
            "p99": round(percentile(latencies, 0.99) * 1000, 2),
            "max": round(latencies[-1] * 1000, 2),
            "mean": round(statistics.fmean(latencies) * 1000, 2),
        },
        "statuses": statuses,
        "service_cpu_utilisation": None if service_cpu is None else round(service_cpu / wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events to POST (20000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--warmup", type=int, default=1_000, help="events before measuring")
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin service and clients to cores"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    result = uvloop.run(bench(args))
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
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if set(result["statuses"]) == {201} else 1


if __name__ == "__main__":
    raise SystemExit(main())
