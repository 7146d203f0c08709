"""Benchmarks of the suite: `wolfit bench NAME`.

`vote-latency` (also `bench/vote_latency.py`): p50/p99 of a vote in each ACTIVITY_MODE
against a slow activity service, from concurrent clients, in one run. `dashboard`: p95 of
every ops route and dashboard page with 100,000 jobs queued and 1,000,000 events stored.
`suite.LocalSuite` starts the services as child processes and can be reused by other
benchmarks.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

BENCHMARKS = {
    "vote-latency": "p50/p99 of a vote with ACTIVITY_MODE off, sync and async",
    "dashboard": "p95 of every ops route and dashboard page, 100k jobs and 1M events",
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark named first in `argv` with the rest of the arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: wolfit bench NAME [ARGS...]\n\nbenchmarks:")
        for name, summary in BENCHMARKS.items():
            print(f"  {name:<14} {summary}")
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name == "dashboard":
        from .dashboard import main as dashboard

        return dashboard(rest)
    if name == "vote-latency":
        from .vote_latency import main as vote_latency

        return vote_latency(rest)
    print(
        f"wolfit bench: unknown benchmark {name!r}; one of: {', '.join(BENCHMARKS)}",
        file=sys.stderr,
    )
    return 2
