"""How long a vote takes in each ACTIVITY_MODE, with a slow activity service.

For `off`, `sync` and `async`, in one run against one suite (Redis, activity service with
`SLEEP_TIME`, one worker), a fresh web process is started and `--clients` concurrent users
each cast `--votes` votes (POST /p/{id}/vote, timed until the 303 arrives). Printed: p50,
p95, p99, mean and votes/s per mode, and how many of the events reached the activity service.

    python bench/vote_latency.py --sleep-time 1 --clients 10 --votes 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

from .suite import LocalSuite

__all__ = ["ModeResult", "main", "measure_mode", "percentile"]

MODES = ("off", "sync", "async")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "bench password 1"  # noqa: S105 (throwaway users of a throwaway database)


@dataclass(frozen=True)
class ModeResult:
    mode: str
    votes: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    votes_per_second: float
    events_stored: int | None
    cpu_ms_per_vote: dict[str, float]


def percentile(samples: list[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` (nearest rank, so p99 is a real sample)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


class Voter:
    """One user with their own cookies, driving the site through its forms."""

    def __init__(self, base_url: str, name: str) -> None:
        self.base_url = base_url
        self.name = name
        self.session = aiohttp.ClientSession(
            base_url, cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(60)
        )
        self.token = ""

    async def _token(self, path: str) -> str:
        async with self.session.get(path) as response:
            match = CSRF.search(await response.text())
        if match is None:
            raise RuntimeError(f"no form on {path} for {self.name}")
        return match.group(1)

    async def _post(self, path: str, data: dict[str, str]) -> aiohttp.ClientResponse:
        async with self.session.post(
            path, data={**data, "csrf_token": self.token}, allow_redirects=False
        ) as response:
            await response.read()
        if response.status != 303:
            raise RuntimeError(f"{self.name}: POST {path} answered {response.status}")
        return response

    async def register(self) -> None:
        self.token = await self._token("/register")
        await self._post(
            "/register",
            {"username": self.name, "email": f"{self.name}@bench.invalid",
             "password": PASSWORD, "password2": PASSWORD},
        )  # fmt: skip
        self.token = await self._token("/")

    async def submit(self, title: str) -> int:
        response = await self._post("/submit", {"title": title, "category": "bench", "body": ""})
        return int(response.headers["Location"].rsplit("/", 1)[1])

    async def vote(self, post_id: int) -> float:
        started = time.perf_counter()
        await self._post(f"/p/{post_id}/vote", {"direction": "up"})
        return time.perf_counter() - started

    async def close(self) -> None:
        await self.session.close()


async def _count_events(suite: LocalSuite, usernames: list[str], expected: int) -> int:
    """Events of these users stored by the activity service, waiting a while for the queue."""
    headers = {"Authorization": f"Bearer {suite.token}"}
    deadline = time.monotonic() + 60
    count = 0
    async with aiohttp.ClientSession(suite.activity_url, headers=headers) as session:
        while True:
            count = 0
            for name in usernames:
                cursor: str | None = None
                while True:
                    params = {"username": name, "type": "post.vote", "limit": "200"}
                    if cursor:
                        params["cursor"] = cursor
                    async with session.get("/api/activities", params=params) as response:
                        page = await response.json()
                    count += len(page["items"])
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
            if count >= expected or time.monotonic() > deadline:
                return count
            await asyncio.sleep(0.5)


async def measure_mode(suite: LocalSuite, mode: str, *, clients: int, votes: int) -> ModeResult:
    """Start a web process in `mode` and time `clients` x `votes` concurrent votes."""
    base_url = await suite.start_web(ACTIVITY_MODE=mode)
    voters = [Voter(base_url, f"{mode}{number}") for number in range(clients)]
    try:
        await asyncio.gather(*(voter.register() for voter in voters))
        posts = [await voters[0].submit(f"{mode} post {n}") for n in range(clients)]
        for voter in voters:  # warm up: connections, caches
            await voter.vote(posts[0])

        async def run(index: int, voter: Voter) -> list[float]:
            return [await voter.vote(posts[(index + n) % len(posts)]) for n in range(votes)]

        cpu_before = suite.cpu()
        started = time.perf_counter()
        timings = await asyncio.gather(*(run(i, voter) for i, voter in enumerate(voters)))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(voter.close() for voter in voters))
    samples = [t for per_client in timings for t in per_client]
    stored = None
    if mode != "off":
        stored = await _count_events(suite, [v.name for v in voters], len(samples) + clients)
    # CPU per vote of each service, including the deliveries that followed the votes.
    cpu_after = suite.cpu()
    cpu_ms = {
        name: round((cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / len(samples), 2)
        for name in cpu_after
        if name in cpu_before
    }
    await suite.stop_web()
    return ModeResult(
        mode=mode,
        votes=len(samples),
        p50_ms=percentile(samples, 0.50) * 1000,
        p95_ms=percentile(samples, 0.95) * 1000,
        p99_ms=percentile(samples, 0.99) * 1000,
        mean_ms=statistics.fmean(samples) * 1000,
        votes_per_second=len(samples) / elapsed,
        events_stored=stored,
        cpu_ms_per_vote=cpu_ms,
    )


def _table(results: list[ModeResult], expected_events: int) -> str:
    lines = [
        f"{'mode':<6} {'votes':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'mean ms':>9} "
        f"{'votes/s':>8} {'stored':>9}  CPU ms per vote",
    ]
    for r in results:
        stored = "-" if r.events_stored is None else f"{r.events_stored}/{expected_events}"
        cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(r.cpu_ms_per_vote.items()))
        lines.append(
            f"{r.mode:<6} {r.votes:>6} {r.p50_ms:>9.1f} {r.p95_ms:>9.1f} {r.p99_ms:>9.1f} "
            f"{r.mean_ms:>9.1f} {r.votes_per_second:>8.1f} {stored:>9}  {cpu}"
        )
    by_mode = {r.mode: r for r in results}
    if "off" in by_mode and "async" in by_mode:
        off, queued = by_mode["off"], by_mode["async"]
        p50, p99 = queued.p50_ms / off.p50_ms, queued.p99_ms / off.p99_ms
        lines.append(f"async / off: p50 x{p50:.2f}, p99 x{p99:.2f}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[ModeResult]:
    with tempfile.TemporaryDirectory(prefix="wolfit-bench-") as workdir:
        async with LocalSuite(Path(workdir), sleep_time=args.sleep_time) as suite:
            return [
                await measure_mode(suite, mode, clients=args.clients, votes=args.votes)
                for mode in args.modes
            ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(prog="vote_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sleep-time", type=float, default=1.0, help="SLEEP_TIME of the activity service (1)"
    )
    parser.add_argument("--clients", type=int, default=10, help="concurrent users (10)")
    parser.add_argument("--votes", type=int, default=20, help="votes per user and mode (20)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.clients < 1 or args.votes < 1 or args.sleep_time < 0:
        parser.error("--clients and --votes must be at least 1, --sleep-time at least 0")
    print(
        f"vote latency: SLEEP_TIME={args.sleep_time}, {args.clients} clients x {args.votes} votes, "
        f"modes {', '.join(args.modes)}",
        flush=True,
    )
    results = asyncio.run(run(args))
    print(_table(results, args.clients * (args.votes + 1)))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0
