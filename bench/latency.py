"""`python -m bench latency`: the headline experiment, how long a web action takes in each
ACTIVITY_MODE while the activity service gets slower.

One suite runs for the whole experiment (Redis, the activity service, one worker, all as
child processes in a temporary directory), with one web process per mode (`ACTIVITY_MODE` is
the only setting a mode concerns; the webs share one database, and only the one measured is
busy). For each `SLEEP_TIME`, changed at run time with `PUT /api/chaos`, the modes are
measured one after the other, so that the figures compared are taken within a minute of each
other on a machine whose other load changes. Each point: registered users drive the site
(`workload`), the queue is let drain, and every action's event is looked up
(`delivery_check`). Figures go to `OUT/latency.json` and `OUT/latency.png`, a table to the
terminal; `--markdown` prints the Markdown tables of docs/benchmarks.md from
`OUT/latency.json` without running.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import uvloop
from arq.connections import ArqRedis

from bench.delivery_check import check_delivery, wait_for_empty_queue
from bench.latency_plot import write_plot
from bench.latency_points import Point
from bench.latency_report import markdown, table, write_report
from bench.machine import run_header
from bench.options import (
    BenchParser,
    add_report_options,
    chosen_placement,
    integer,
    number,
    require_plotting,
    seconds,
    seconds_list,
)
from bench.placement import Placement, pinned_self
from bench.report_file import print_markdown_tables
from bench.site_user import SiteUser
from bench.stats import summarize
from bench.suite import LocalSuite, ServiceFailed
from bench.workload import Mix, MixInvalid, run_load
from src.common.embedded_redis import RedisNotFound
from src.common.settings import Settings
from src.jobs import create_pool, queue_stats

__all__ = ["main", "measure_point", "parse_options"]

MODES = ("off", "sync", "async")
DEFAULT_SLEEP_TIMES = "0,0.1,0.5,1,2"
DEFAULT_MIX = "vote=85,post=12,login=3"
DRAIN_TIMEOUT = 120.0


async def measure_point(
    suite: LocalSuite,
    pool: ArqRedis,
    users: list[SiteUser],
    posts: list[int],
    options: argparse.Namespace,
    mode: str,
) -> Point:
    """Load the site at the suite's current SLEEP_TIME, drain, and check every event."""
    since = datetime.now(UTC)
    dead_letters_before = (await queue_stats(pool)).dead_letters
    cpu_before = suite.cpu()
    load = await run_load(
        users, posts, mix=options.mix, rate=options.rate, warmup=options.warmup,
        duration=options.duration, requests=options.requests, seed=options.seed,
    )  # fmt: skip
    drain = await wait_for_empty_queue(pool, DRAIN_TIMEOUT)
    cpu_after = suite.cpu()
    # This mode's web process is "web"; the other modes' webs were idle and are left out.
    for used in (cpu_before, cpu_after):
        used["web"] = used.pop(f"web-{mode}")
        for name in [name for name in used if name.startswith("web-")]:
            del used[name]
    delivery = await check_delivery(
        pool, suite.activity_url, suite.token, since=since,
        request_ids=load.request_ids if mode != "off" else [],
        dead_letters_before=dead_letters_before, drain_seconds=drain, patience=DRAIN_TIMEOUT,
    )  # fmt: skip
    done = len(load.request_ids)
    by_action: dict[str, list[float]] = {"all": [s.seconds for s in load.samples]}
    for sample in load.samples:
        by_action.setdefault(sample.action, []).append(sample.seconds)
    return Point(
        mode=mode,
        sleep_time=suite.sleep_time,
        actions={
            name: summarize(latencies, load.seconds)
            for name, latencies in by_action.items()
            if latencies
        },
        warmup_actions=len(load.warmup_request_ids),
        errors=dict(load.errors),
        cpu_ms_per_action={
            name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(done, 1), 2)
            for name in sorted(cpu_after.keys() & cpu_before.keys())
        },
        delivery=delivery,
    )


async def _users(url: str, clients: int, posts: list[int]) -> list[SiteUser]:
    """The benchmark's users on the web process at `url`: registered (with a post each) the
    first time, logged in afterwards."""
    users = [SiteUser(url, f"user{number}") for number in range(clients)]
    try:
        if not posts:
            await asyncio.gather(*(user.register() for user in users))
            for user in users:
                _, post_id = await user.submit(f"{user.name}'s first post", "Hello.", "general")
                posts.append(post_id)
        else:
            await asyncio.gather(*(user.log_in() for user in users))
    except BaseException:
        await asyncio.gather(*(user.close() for user in users))
        raise
    return users


def _progress(point: Point, started: float) -> str:
    every = point.actions.get("all")
    figures = "no action succeeded"
    if every is not None:
        figures = (
            f"{every.count} actions, p50 {every.p50_ms:.1f} ms, p99 {every.p99_ms:.1f} ms, "
            f"{every.per_second:.1f}/s"
        )
    check = point.delivery
    verdict = "exactly once" if check.exactly_once else "NOT exactly once"
    elapsed = time.perf_counter() - started
    return (
        f"  [{elapsed:5.0f} s] {point.mode:<5} SLEEP_TIME={point.sleep_time:g}: {figures}; "
        f"events {check.stored}/{check.expected} {verdict}"
    )


async def run(options: argparse.Namespace, placement: Placement) -> list[Point]:
    """The whole grid: every SLEEP_TIME, and at each every mode, on one suite."""
    started = time.perf_counter()
    points: list[Point] = []
    posts: list[int] = []
    users: dict[str, list[SiteUser]] = {}
    with tempfile.TemporaryDirectory(prefix="wolfit-latency-") as workdir:
        suite = LocalSuite(Path(workdir), placement=placement)
        async with suite:
            pool = await create_pool(Settings(redis_url=suite.redis.url))
            try:
                for mode in options.modes:
                    url = await suite.start_web(mode, ACTIVITY_MODE=mode)
                    users[mode] = await _users(url, options.clients, posts)
                for sleep_time in options.sleep_times:
                    await suite.set_chaos(sleep_time=sleep_time)
                    for mode in options.modes:
                        point = await measure_point(suite, pool, users[mode], posts, options, mode)
                        points.append(point)
                        print(_progress(point, started), flush=True)
            finally:
                await pool.aclose()
                for mode_users in users.values():
                    await asyncio.gather(*(user.close() for user in mode_users))
    return points


def _parser() -> BenchParser:
    parser = BenchParser(
        prog="python -m bench latency",
        description="Latency of web actions (login, post, vote) in ACTIVITY_MODE off, sync and "
        "async while the activity service sleeps SLEEP_TIME after each event.",
    )
    parser.add_argument(
        "--sleep-times", type=seconds_list, nargs="+", default=[seconds_list(DEFAULT_SLEEP_TIMES)],
        metavar="SECONDS", help=f"SLEEP_TIME values, commas or spaces ({DEFAULT_SLEEP_TIMES})",
    )  # fmt: skip
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="modes to measure (all)"
    )
    parser.add_argument("--clients", type=integer(1), default=10, help="concurrent users (10)")
    parser.add_argument(
        "--rate", type=number(0), default=40.0,
        help="actions/s the users offer together, through their think time; 0: no think "
        "time, every user clicks again at once (40)",
    )  # fmt: skip
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--duration", type=number(0.1), help="seconds measured per point (10)")
    amount.add_argument("--requests", type=integer(1), help="actions measured per point")
    parser.add_argument(
        "--warmup", type=seconds, default=2.0, help="seconds of load before measuring (2)"
    )
    parser.add_argument(
        "--mix", type=str, default=DEFAULT_MIX,
        help=f"weights of the actions login, post, comment, vote ({DEFAULT_MIX})",
    )  # fmt: skip
    parser.add_argument(
        "--placement", choices=("pinned", "shared"),
        help="pinned: web on a core of its own, the rest on the other with the background "
        "services at nice 19; shared: everything anywhere (pinned with 2+ CPUs)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the users' random draws")
    add_report_options(parser, "latency", files="latency.json and latency.png")
    return parser


def parse_options(argv: list[str]) -> tuple[argparse.Namespace, Placement]:
    """The options of `argv`, checked (one line and exit 2 if not), and the placement."""
    parser = _parser()
    options = parser.parse_args(argv)
    options.sleep_times = [value for values in options.sleep_times for value in values]
    options.sleep_times = list(dict.fromkeys(options.sleep_times))
    if any(value > 60 for value in options.sleep_times):
        parser.error("argument --sleep-times: the activity service sleeps at most 60 s")
    options.modes = list(dict.fromkeys(options.modes))
    if options.duration is None and options.requests is None:
        options.duration = 10.0
    try:
        options.mix = Mix.parse(options.mix)
    except MixInvalid as exc:
        parser.error(f"argument --mix: {exc}")
    require_plotting(parser, options)
    return options, chosen_placement(parser, options)


def main(argv: list[str] | None = None) -> int:
    """Run the experiment (or print the docs page's tables with --markdown)."""
    args = list(sys.argv[1:] if argv is None else argv)
    options, placement = parse_options(args)
    path = options.out / "latency.json"
    if options.markdown:
        return print_markdown_tables(path, "latency", markdown, (OSError, ValueError, KeyError))
    header = run_header("latency", args)
    print(
        f"latency: modes {', '.join(options.modes)} x SLEEP_TIME "
        f"{', '.join(f'{s:g}' for s in options.sleep_times)}; {options.clients} users at "
        f"{options.rate:g} actions/s ({options.mix}); placement {placement.name}",
        flush=True,
    )
    try:
        with (
            pinned_self(placement.client),
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            points = runner.run(run(options, placement))
    except KeyboardInterrupt:
        print("python -m bench latency: interrupted; nothing written", file=sys.stderr)
        return 130
    except (ServiceFailed, RedisNotFound, TimeoutError, aiohttp.ClientError) as exc:
        print(f"python -m bench latency: the run failed: {exc}", file=sys.stderr)
        return 1
    report = write_report(options.out, header, options, placement, points)
    write_plot(report, options.out / "latency.png")
    print(table(report))
    print(f"figures: {path}, plot: {options.out / 'latency.png'}")
    failed = [p for p in points if not p.delivery.exactly_once or p.errors]
    return 1 if failed else 0
