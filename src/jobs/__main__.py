"""`wolfit worker`: the worker of `arq src.jobs.WorkerSettings`, woken by Redis, restarted if
it stops.

Same settings, functions, keys and guarantees as `arq src.jobs.WorkerSettings`, but run as a
`WolfitWorker` (`woken_worker.py`): started about 2 ms (median) after an enqueue instead of
at the next poll, and claiming jobs in batches. The two can run side by side on one queue.

Options are arq's: `--burst` (exit once the queue is empty), `--check` (exit 0 if a worker
recorded its health in the last few seconds, 1 if not), `--watch DIR` (reload on changes,
needs `watchfiles`; it reloads with arq's own reloader, which runs a stock `Worker`), `-v`
(arq's debug lines, and its two lines per job).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import uvloop
from arq.cli import watch_reload
from arq.worker import check_health
from redis.exceptions import RedisError

from .supervised import run_supervised
from .woken_worker import WolfitWorker
from .worker import settings_from_environment

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wolfit worker",
        description="Run one arq worker delivering activity events: the functions and settings "
        "of `arq src.jobs.WorkerSettings`, woken by Redis when work arrives. "
        "Settings come from the environment.",
    )
    parser.add_argument(
        "--burst",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="exit once no jobs are left in the queue",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 0 if a worker is alive, 1 if not"
    )
    parser.add_argument("--watch", metavar="DIR", help="reload the worker when files in DIR change")
    parser.add_argument("-v", "--verbose", action="store_true", help="arq's debug output")
    return parser


def _check(settings_class: type) -> int:
    try:
        return check_health(settings_class)
    except (RedisError, OSError) as exc:
        print(f"wolfit worker: Redis is unreachable: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    """Run the worker as the options say; answers the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.watch is not None and not Path(args.watch).is_dir():
        parser.error(f"--watch: {args.watch!r} is not a directory")
    settings_class = settings_from_environment()  # installs uvloop; exit 2 on a bad setting
    if args.verbose:
        logging.getLogger("arq").setLevel(logging.DEBUG)
    if args.check:
        return _check(settings_class)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        if args.watch is not None:
            try:
                runner.run(watch_reload(args.watch, settings_class))
            except ImportError:
                parser.error("--watch needs the watchfiles package: pip install watchfiles")
            return 0
        supervised = run_supervised(settings_class, worker_class=WolfitWorker, burst=args.burst)
        return int(runner.run(supervised))


if __name__ == "__main__":
    raise SystemExit(main())
