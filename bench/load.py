"""`python -m bench load`: requests/s of the site under logged-in clients in a closed loop,
beside a bare aiohttp handler (the anchor), with builds compared in one run.

One suite for the whole run (Redis, the activity service and one worker of this checkout,
as child processes in a temporary directory). Each subject, a checkout with its own
`.venv` (`this` by default), gets its own web database, migrated and filled through the
site's forms by its own `wolfit migrate` and `wolfit web` (20 users registered, 200 posts
submitted, then one session logged in through `/login` per client), so that any build of
the site can be measured. `wrk` drives each point (subject x ACTIVITY_MODE x SLEEP_TIME x
clients x action, see `load_wrk`): a warm-up, the measurement, then the queue is let drain.
The anchor serves the front page's bytes from a bare aiohttp handler, measured with the
same wrk setup at each client count. Rounds go over every point in turn (subjects next to
each other, the webs restarted when the mode changes), and the report takes medians.
Figures go to `OUT/load.json` and `OUT/load.png`, a table to the terminal; `--markdown`
prints the tables of docs/benchmarks.md from `OUT/load.json` without running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import uvloop
from arq.connections import ArqRedis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from yarl import URL

from bench.delivery_check import wait_for_empty_queue
from bench.load_report import ANCHOR, markdown, share, table, write_plot, write_report
from bench.load_wrk import (
    ACTIONS,
    REQUEST_TIMEOUT,
    Session,
    WrkFailed,
    WrkMissing,
    WrkPlan,
    find_wrk,
    run_wrk,
)
from bench.machine import ROOT, git_commit, run_header
from bench.options import (
    BenchParser,
    add_report_options,
    chosen_placement,
    integer,
    require_plotting,
    seconds_list,
)
from bench.placement import Placement, pinned_self
from bench.report_file import print_markdown_tables
from bench.site_user import ActionFailed, SiteUser
from bench.suite import WOLFIT, LocalSuite, ServiceFailed
from src.common.embedded_redis import RedisNotFound
from src.common.redaction import without_password
from src.common.settings import DEFAULT_WEB_PROCESSES, Settings
from src.jobs import create_pool

__all__ = ["Subject", "main", "parse_options"]

MODES = ("async", "off", "sync")
DEFAULT_SLEEP_TIMES = "0,1"
DEFAULT_CLIENTS = (10, 50)
USERS = 20  # as the Flask original's data: 20 users, 200 posts
POSTS = 200
MAX_CLIENTS = 1000  # one wrk thread each
DRAIN_TIMEOUT = 300.0
THIS = "this"
SUBJECT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,23}")
SEED_POSTS = ROOT / "src" / "web" / "seed" / "posts.json"
ANCHOR_PROGRAM = (sys.executable, "-m", "bench.load_anchor")


@dataclass(frozen=True, slots=True)
class Subject:
    """A build of the site under test: its checkout and the `wolfit` that runs it."""

    name: str
    root: Path
    program: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Name, directory and commit, for the JSON."""
        return {"name": self.name, "dir": str(self.root), "commit": git_commit(self.root)}


def subject(text: str) -> Subject:
    """`NAME=DIR`: the checkout DIR, run with its `.venv/bin/wolfit` (argparse `type=`)."""
    name, equals, directory = text.partition("=")
    if not equals or not name or not directory:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=DIR")
    if not SUBJECT_NAME.fullmatch(name) or name == ANCHOR:
        raise argparse.ArgumentTypeError(
            f"{name!r}: a name is a lowercase letter then up to 23 of a-z, 0-9, _ and - "
            f"(not {ANCHOR!r})"
        )
    root = Path(directory).expanduser().resolve()
    if not root.is_dir():
        raise argparse.ArgumentTypeError(f"{directory!r} is not a directory")
    wolfit = root / ".venv" / "bin" / "wolfit"
    if not os.access(wolfit, os.X_OK):
        raise argparse.ArgumentTypeError(
            f"{directory} has no .venv/bin/wolfit (in it: VENV=.venv scripts/install)"
        )
    return Subject(name, root, (str(wolfit),))


def postgres_server(text: str) -> str:
    """A `postgresql+asyncpg://USER@HOST:PORT/DB` URL (argparse `type=`)."""
    try:
        url = make_url(text)
    except ArgumentError:
        url = None
    if url is None or url.drivername != "postgresql+asyncpg" or not url.database:
        raise argparse.ArgumentTypeError(
            f"{without_password(text)!r} is not postgresql+asyncpg://USER@HOST:PORT/DB"
        )
    return text


def _parser() -> BenchParser:
    parser = BenchParser(
        prog="python -m bench load",
        description="Requests/s of the site under logged-in clients in a closed loop (wrk), "
        "by action, ACTIVITY_MODE, SLEEP_TIME and number of clients, beside a bare aiohttp "
        "handler serving the same page; builds compared in one run with --subject.",
    )
    parser.add_argument(
        "--actions", nargs="+", choices=ACTIONS, default=list(ACTIONS),
        help="front: GET /, post: GET /p/ID, vote: POST /p/ID/vote (all)",
    )  # fmt: skip
    parser.add_argument(
        "--clients", type=integer(1), nargs="+", default=list(DEFAULT_CLIENTS), metavar="N",
        help="numbers of clients, one wrk thread and connection each (10 50)",
    )  # fmt: skip
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="ACTIVITY_MODEs (all)"
    )
    parser.add_argument(
        "--sleep-times", type=seconds_list, nargs="+", default=[seconds_list(DEFAULT_SLEEP_TIMES)],
        metavar="SECONDS", help=f"SLEEP_TIME values, commas or spaces ({DEFAULT_SLEEP_TIMES})",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=integer(1), default=3, help="rounds over every point; medians (3)"
    )
    parser.add_argument(
        "--duration", type=integer(1), default=10, help="whole seconds measured per point (10)"
    )
    parser.add_argument(
        "--warmup", type=integer(0), default=2, help="whole seconds of load before each (2)"
    )
    parser.add_argument(
        "--subject", type=subject, action="append", metavar="NAME=DIR",
        help="a checkout to measure, run by DIR/.venv/bin/wolfit; repeat to compare builds "
        "in one run, the first being the reference (default: this checkout, named this)",
    )  # fmt: skip
    parser.add_argument(
        "--web-processes", type=integer(1), metavar="N", default=DEFAULT_WEB_PROCESSES,
        help=f"WEB_PROCESSES of the webs (a build without the setting runs one), and processes "
        f"of the anchor ({DEFAULT_WEB_PROCESSES}, the default of `wolfit web`)",
    )  # fmt: skip
    parser.add_argument(
        "--database-url", type=postgres_server, metavar="URL",
        help="run the webs on PostgreSQL: postgresql+asyncpg://USER@HOST:PORT/DB, a fresh "
        "database per subject made through DB and dropped at the end (default: SQLite)",
    )  # fmt: skip
    parser.add_argument(
        "--placement", choices=("pinned", "shared"), default="shared",
        help="shared: every process on every core; pinned: web on core 0, wrk and Redis on "
        "core 1, activity and worker there at nice 19 (shared)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' random posts")
    add_report_options(parser, "load", files="load.json and load.png")
    return parser


def parse_options(argv: list[str]) -> tuple[argparse.Namespace, Placement]:
    """The options of `argv`, checked (one line and exit 2 if not), and the placement."""
    parser = _parser()
    options = parser.parse_args(argv)
    options.sleep_times = list(dict.fromkeys(v for values in options.sleep_times for v in values))
    if any(value > 60 for value in options.sleep_times):
        parser.error("argument --sleep-times: the activity service sleeps at most 60 s")
    options.clients = list(dict.fromkeys(options.clients))
    if max(options.clients) > MAX_CLIENTS:
        parser.error(f"argument --clients: at most {MAX_CLIENTS} (one wrk thread each)")
    options.modes = list(dict.fromkeys(options.modes))
    options.actions = list(dict.fromkeys(options.actions))
    subjects: list[Subject] = options.subject or [Subject(THIS, ROOT, WOLFIT)]
    names = [s.name for s in subjects]
    if len(set(names)) != len(names):
        parser.error(f"argument --subject: a name given twice in {', '.join(names)}")
    options.subjects = subjects
    require_plotting(parser, options)
    return options, chosen_placement(parser, options)


def _seed_posts() -> list[dict[str, str]]:
    """The shipped sample posts (title, body, category), the text of the benchmark's 200."""
    return [
        {"title": p["title"], "body": p["body"], "category": p["category"]}
        for p in json.loads(SEED_POSTS.read_text())
    ]


async def _logged_in(url: str, user: SiteUser) -> Session:
    """The user's session as wrk sends it; ServiceFailed unless `/` shows it logged in."""
    async with user.session.get("/") as response:
        page = await response.text()
    if response.status != 200 or "/logout" not in page:
        raise ServiceFailed(f"{url}: {user.name} is not logged in after /login (no /logout on /)")
    cookies = user.session.cookie_jar.filter_cookies(URL(url))
    cookie = "; ".join(f"{morsel.key}={morsel.value}" for morsel in cookies.values())
    return Session(cookie, user.token)


async def fill_site(url: str, clients: int) -> tuple[list[int], list[Session]]:
    """Register `USERS` users and submit `POSTS` posts through the site's forms, then one
    session per client (client i is user i modulo `USERS`); answers post ids and sessions."""
    samples = _seed_posts()
    users = [SiteUser(url, f"load{number:02d}") for number in range(USERS)]
    again = [SiteUser(url, users[n % USERS].name) for n in range(USERS, clients)]

    async def write_posts(number: int, user: SiteUser) -> list[int]:
        ids = []
        for k in range(number, POSTS, USERS):
            sample = samples[k % len(samples)]
            title = f"{sample['title']} (#{k + 1})"
            _, post_id = await user.submit(title, sample["body"], sample["category"])
            ids.append(post_id)
        return ids

    try:
        await asyncio.gather(*(user.register() for user in users))
        written = await asyncio.gather(*(write_posts(n, user) for n, user in enumerate(users)))
        await asyncio.gather(*(user.log_in() for user in again))
        sessions = [await _logged_in(url, user) for user in [*users, *again][:clients]]
    finally:
        await asyncio.gather(*(user.close() for user in [*users, *again]))
    return sorted(post for ids in written for post in ids), sessions


async def _admin(server: str, sql: str) -> None:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def subject_databases(
    subjects: Sequence[Subject], workdir: Path, server: str | None
) -> AsyncIterator[dict[str, str]]:
    """A fresh web database per subject: SQLite files in `workdir`, or databases created on
    the PostgreSQL `server` and dropped when the block ends."""
    if server is None:
        yield {s.name: f"sqlite+aiosqlite:///{workdir / f'web-{s.name}.sqlite3'}" for s in subjects}
        return
    base = make_url(server)
    names = {
        s.name: f"{base.database}_load_{s.name.replace('-', '_')}_{secrets.token_hex(3)}"
        for s in subjects
    }
    created: list[str] = []
    try:
        for name in names.values():
            try:
                await _admin(server, f'CREATE DATABASE "{name}"')
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                raise ServiceFailed(
                    f"cannot create a database on {without_password(server)}: {exc}"
                ) from None
            created.append(name)
        yield {
            subject: base.set(database=name).render_as_string(hide_password=False)
            for subject, name in names.items()
        }
    finally:
        for name in created:
            try:
                await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                print(f"python -m bench load: database {name} left behind: {exc}", file=sys.stderr)


def request_timeout(sleep_times: Sequence[float]) -> int:
    """Seconds after which wrk counts an answer as a timeout error: a sync action waits for
    SLEEP_TIME, so only an answer well beyond it is one."""
    return max(REQUEST_TIMEOUT, math.ceil(max(sleep_times) * 2 + 10))


class LoadRun:
    """One run: the subjects' webs and data, the anchor, and every point of every round."""

    def __init__(
        self,
        suite: LocalSuite,
        pool: ArqRedis,
        options: argparse.Namespace,
        wrk: str,
        databases: dict[str, str],
    ) -> None:
        self.suite = suite
        self.pool = pool
        self.options = options
        self.wrk = wrk
        self.databases = databases
        self.subjects: list[Subject] = options.subjects
        self.reference = self.subjects[0].name
        self.web_settings = {"WEB_PROCESSES": str(options.web_processes)}
        self.urls: dict[str, str] = {}
        self.posts: dict[str, list[int]] = {}
        self.sessions: dict[str, list[Session]] = {}
        self.mode: str | None = None
        self.page_bytes = 0
        self.anchor_rates: dict[tuple[int, int], float] = {}
        self.points: list[dict[str, Any]] = []
        self.request_timeout = request_timeout(options.sleep_times)
        self.started = time.perf_counter()

    async def start_webs(self, mode: str) -> None:
        """Each subject's web in `mode` (the webs of the mode before are replaced)."""
        if mode == self.mode:
            return
        for s in self.subjects:
            self.urls[s.name] = await self.suite.start_web(
                s.name, program=s.program, cwd=s.root, ACTIVITY_MODE=mode,
                DATABASE_URL=self.databases[s.name], **self.web_settings,
            )  # fmt: skip
        self.mode = mode

    async def prepare(self) -> None:
        """Migrate and fill each subject's database, then start the anchor with the
        reference subject's front page as its first client sees it."""
        for s in self.subjects:
            await self.suite.migrate(
                f"migrate-{s.name}", program=s.program, cwd=s.root,
                DATABASE_URL=self.databases[s.name],
            )  # fmt: skip
        await self.start_webs(self.options.modes[0])
        for s in self.subjects:
            filled = time.perf_counter()
            self.posts[s.name], self.sessions[s.name] = await fill_site(
                self.urls[s.name], max(self.options.clients)
            )
            print(
                f"  {s.name}: {USERS} users, {len(self.posts[s.name])} posts, "
                f"{len(self.sessions[s.name])} sessions in {time.perf_counter() - filled:.1f} s",
                flush=True,
            )
        headers = {"Cookie": self.sessions[self.reference][0].cookie}
        async with (
            aiohttp.ClientSession(headers=headers) as client,
            client.get(f"{self.urls[self.reference]}/") as response,
        ):
            page = await response.read()
        page_file = self.suite.workdir / "anchor.html"
        page_file.write_bytes(page)
        self.page_bytes = len(page)
        processes = str(self.options.web_processes)
        self.urls[ANCHOR] = await self.suite.start_web(
            ANCHOR, program=ANCHOR_PROGRAM, args=(str(page_file), processes), cwd=ROOT
        )
        self.posts[ANCHOR] = self.posts[self.reference]
        self.sessions[ANCHOR] = self.sessions[self.reference]

    async def measure(
        self,
        target: str,
        action: str,
        clients: int,
        mode: str | None,
        sleep_time: float | None,
        round_number: int,
    ) -> dict[str, Any]:
        """One point: warm-up, measurement, drain; its figures as JSON."""
        options = self.options
        plan = WrkPlan(
            action, self.posts[target], self.sessions[target][:clients],
            seed=options.seed * 1000 + round_number,
        )  # fmt: skip
        url, workdir = self.urls[target], self.suite.workdir
        before = self.suite.cpu()
        warmup = None
        if options.warmup:
            warmup = await run_wrk(
                self.wrk, url, plan, clients=clients, seconds=options.warmup, workdir=workdir,
                place=self.suite.placement.client, request_timeout=self.request_timeout,
            )  # fmt: skip
        result = await run_wrk(
            self.wrk, url, plan, clients=clients, seconds=options.duration, workdir=workdir,
            place=self.suite.placement.client, request_timeout=self.request_timeout,
        )  # fmt: skip
        processes = self.suite.web_processes(target)
        drain = await wait_for_empty_queue(self.pool, DRAIN_TIMEOUT)
        after = self.suite.cpu()
        answers = result.answers + (warmup.answers if warmup else 0)
        used = {
            process: after[key] - before[key]
            for process, key in (
                ("web", f"web-{target}"),
                ("activity", "activity"),
                ("worker", "worker"),
                ("redis", "redis"),
            )
            if key in after and key in before
        }
        used["wrk"] = result.cpu_seconds + (warmup.cpu_seconds if warmup else 0.0)
        return {
            "round": round_number,
            "subject": target,
            "mode": mode,
            "sleep_time": sleep_time,
            "clients": clients,
            "action": action,
            "seconds": round(result.seconds, 3),
            "requests": result.succeeded,
            "per_second": round(result.per_second, 2),
            "latency_ms": result.latency_ms,
            "statuses": result.statuses,
            "errors": result.errors,
            "warmup_requests": warmup.succeeded if warmup else 0,
            "warmup_errors": warmup.errors if warmup else {},
            "drain_seconds": round(drain, 3),
            "web_processes": processes,
            "cpu_seconds": {name: round(value, 3) for name, value in used.items()},
            "cpu_ms_per_request": {
                name: round(value * 1000 / max(answers, 1), 3) for name, value in used.items()
            },
        }

    def _progress(self, point: dict[str, Any]) -> str:
        where = "anchor (bare aiohttp)"
        if point["subject"] != ANCHOR:
            where = f"{point['subject']} {point['mode']} SLEEP_TIME={point['sleep_time']:g}"
        anchor = self.anchor_rates.get((point["round"], point["clients"]))
        of_anchor = f" ({share(point['per_second'] / anchor)} of anchor)" if anchor else ""
        errors = sum(point["errors"].values()) + sum(point["warmup_errors"].values())
        latency = point["latency_ms"]
        return (
            f"  [{time.perf_counter() - self.started:5.0f} s] round {point['round']} {where}, "
            f"{point['clients']} clients, {point['action']}: {point['per_second']:.1f} req/s"
            f"{of_anchor}, p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms, "
            f"{errors} errors, web {point['cpu_ms_per_request'].get('web', 0):.2f} ms CPU/req"
        )

    def _record(self, point: dict[str, Any]) -> None:
        self.points.append(point)
        print(self._progress(point), flush=True)

    async def run(self) -> list[dict[str, Any]]:
        """Every round: the anchor at each client count, then every mode, SLEEP_TIME,
        client count and action, the subjects one after the other."""
        options = self.options
        await self.prepare()
        for round_number in range(1, options.rounds + 1):
            for clients in options.clients:
                point = await self.measure(ANCHOR, "front", clients, None, None, round_number)
                self.anchor_rates[(round_number, clients)] = point["per_second"]
                self._record(point)
            for mode in options.modes:
                await self.start_webs(mode)
                for sleep_time in options.sleep_times:
                    await self.suite.set_chaos(sleep_time=sleep_time)
                    for clients in options.clients:
                        for action in options.actions:
                            for s in self.subjects:
                                self._record(
                                    await self.measure(
                                        s.name, action, clients, mode, sleep_time, round_number
                                    )
                                )
        return self.points


async def run(options: argparse.Namespace, placement: Placement, wrk: str) -> dict[str, Any]:
    """The whole run on one suite; answers the points and what the report needs of the run."""
    with tempfile.TemporaryDirectory(prefix="wolfit-load-") as directory:
        workdir = Path(directory)
        async with (
            subject_databases(options.subjects, workdir, options.database_url) as databases,
            LocalSuite(workdir, placement=placement) as suite,
        ):
            pool = await create_pool(Settings(redis_url=suite.redis.url))
            try:
                load = LoadRun(suite, pool, options, wrk, databases)
                points = await load.run()
                return {"points": points, "page_bytes": load.page_bytes}
            finally:
                await pool.aclose()


def wrk_version(wrk: str) -> str:
    """wrk's version line (`wrk debian/4.1.0-3+b2 [epoll]`), for the record."""
    try:
        done = subprocess.run(  # noqa: S603 (the wrk found on PATH, a fixed argument)
            [wrk, "--version"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    first = (done.stdout or done.stderr).splitlines()[:1]
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


def parameters(options: argparse.Namespace, placement: Placement, wrk: str) -> dict[str, Any]:
    """The run's parameters, for the JSON."""
    return {
        "actions": options.actions,
        "clients": options.clients,
        "modes": options.modes,
        "sleep_times": options.sleep_times,
        "rounds": options.rounds,
        "duration": options.duration,
        "warmup": options.warmup,
        "web_processes": options.web_processes,
        "database": without_password(options.database_url) if options.database_url else "sqlite",
        "users": USERS,
        "posts": POSTS,
        "seed": options.seed,
        "request_timeout": request_timeout(options.sleep_times),
        "placement": placement.as_dict(),
        "load_generator": wrk_version(wrk),
    }


def _intro(options: argparse.Namespace, placement: Placement) -> str:
    per_round = len(options.clients) * (
        1 + len(options.subjects) * len(options.modes) * len(options.sleep_times)
        * len(options.actions)
    )  # fmt: skip
    seconds = per_round * options.rounds * (options.duration + options.warmup + 1)
    subjects = ", ".join(f"{s.name} ({s.root})" for s in options.subjects)
    return (
        f"load: {subjects}; modes {', '.join(options.modes)} x SLEEP_TIME "
        f"{', '.join(f'{s:g}' for s in options.sleep_times)} x clients "
        f"{', '.join(map(str, options.clients))} x {', '.join(options.actions)}; "
        f"{per_round} points (anchor included) x {options.rounds} rounds of "
        f"{options.warmup} + {options.duration} s: at least {seconds / 60:.1f} min; "
        f"placement {placement.name}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or print the docs page's tables with --markdown)."""
    args = list(sys.argv[1:] if argv is None else argv)
    options, placement = parse_options(args)
    path = options.out / "load.json"
    if options.markdown:
        return print_markdown_tables(path, "load", markdown, (OSError, ValueError, KeyError))
    try:
        wrk = find_wrk()
    except WrkMissing as exc:
        print(f"python -m bench load: {exc}", file=sys.stderr)
        return 2
    header = run_header("load", args)
    print(_intro(options, placement), flush=True)
    try:
        with (
            pinned_self(placement.client),
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            outcome = runner.run(run(options, placement, wrk))
    except KeyboardInterrupt:
        print("python -m bench load: interrupted; nothing written", file=sys.stderr)
        return 130
    except (
        ServiceFailed, RedisNotFound, WrkFailed, ActionFailed, TimeoutError, aiohttp.ClientError,
    ) as exc:  # fmt: skip
        print(f"python -m bench load: the run failed: {exc}", file=sys.stderr)
        return 1
    report = write_report(
        options.out, header, parameters(options, placement, wrk),
        [s.as_dict() for s in options.subjects], outcome["points"], outcome["page_bytes"],
    )  # fmt: skip
    write_plot(report, options.out / "load.png")
    print(table(report))
    print(f"figures: {path}, plot: {options.out / 'load.png'}")
    failed = [p for p in outcome["points"] if p["errors"] or p["warmup_errors"]]
    return 1 if failed else 0
