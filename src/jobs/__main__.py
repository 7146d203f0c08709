"""`wolfit worker`: the worker of `arq src.jobs.WorkerSettings`, woken by Redis.

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

from src.jobs.worker.runner import run_worker
from src.jobs.worker.settings import settings_from_environment
from src.jobs.worker.woken_worker import WolfitWorker

__all__ = ["main"]

log = logging.getLogger(__name__)


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
        try:
            return int(
                runner.run(run_worker(settings_class, worker_class=WolfitWorker, burst=args.burst))
            )
        except Exception:
            # Not a Redis outage (the worker rides those out): a bug or a broken setup. The
            # process ends, and its process manager (wolfit up, compose) starts it again.
            log.exception("the worker stopped; exiting with status 1")
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
