"""Benchmarks of the suite: `python -m bench NAME [ARGS...]`; `python -m bench` lists them.

They live beside the package, not in it: `pip install .` installs none of this, and what they
need beyond the package is in `bench/requirements.txt` (`make bench` installs it). Run them
from the checkout's root (`wolfit bench` does that for you in a checkout).

Each benchmark is a module with `main(argv: list[str]) -> int`, imported only when it runs.
To add one, add a line to `BENCHMARKS`. Shared parts: `suite.LocalSuite` (the services as
child processes), `placement` (who runs on which CPU), `stats`, `options`, `machine`,
`report_file` (the JSON record and `--markdown`), `dashboard_suite` (no worker, an admin).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["BENCHMARKS", "main"]

# name: (module, one line saying what it measures)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "latency": (
        "bench.latency",
        "p50/p95/p99 of web actions by ACTIVITY_MODE and SLEEP_TIME, with a plot",
    ),
    "load": (
        "bench.load",
        "req/s of logged-in clients in a closed loop (wrk), beside a bare aiohttp anchor",
    ),
    "throughput": (
        "bench.throughput",
        "events/s of one worker vs WORKER_MAX_JOBS / SLEEP_TIME and its no-op ceiling",
    ),
    "ingest": ("bench.ingest", "events/s and latency of the activity service alone"),
    "dashboard": (
        "bench.dashboard",
        "p95 of every ops route and dashboard page, 100k jobs queued and 1M events stored",
    ),
    "export-memory": (
        "bench.export_memory",
        "the 100k-event activity export as CSV and JSON lines: bytes, seconds, web peak RSS",
    ),
}


def _usage() -> str:
    width = max(map(len, BENCHMARKS))
    lines = [
        "usage: python -m bench NAME [ARGS...]   (python -m bench NAME --help)",
        "",
        "benchmarks:",
    ]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in BENCHMARKS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark named first in `argv` with the rest; list them without a name."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in BENCHMARKS:
        print(
            f"python -m bench: unknown benchmark {name!r}; one of: {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(BENCHMARKS[name][0])
    benchmark: Callable[[list[str]], int] = module.main
    return benchmark(rest)
