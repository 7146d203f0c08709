"""Command-line parsing the benchmarks share: one line per mistake, exit status 2.

argparse prints its usage before an error; for a benchmark that takes minutes, the one line
saying which option is wrong is what the user needs (`--help` still shows the usage). The
options that several benchmarks take (`--out`, `--markdown`, the choice of `--placement`) are
declared and checked here, so that they read and fail the same in each.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from bench.placement import Placement, PlacementUnavailable, available_cpus, plan

__all__ = [
    "BenchParser",
    "add_report_options",
    "chosen_placement",
    "integer",
    "number",
    "require_plotting",
    "seconds",
    "seconds_list",
]


class BenchParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: message` and exit 2."""
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def seconds(text: str) -> float:
    """A number of seconds >= 0 (for argparse `type=`)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be a number >= 0")
    return value


def seconds_list(text: str) -> list[float]:
    """Seconds separated by commas (`0,0.1,0.5`); repeated values are dropped."""
    values: list[float] = []
    for part in text.split(","):
        if not part.strip():
            raise argparse.ArgumentTypeError(f"{text!r} has an empty value")
        value = seconds(part.strip())
        if value not in values:
            values.append(value)
    return values


def integer(minimum: int) -> Callable[[str], int]:
    """An argparse `type=` for whole numbers no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


def number(minimum: float) -> Callable[[str], float]:
    """An argparse `type=` for finite numbers no smaller than `minimum`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not minimum <= value < float("inf"):
            raise argparse.ArgumentTypeError(f"{text!r} must be a number from {minimum:g} up")
        return value

    return parse


def add_report_options(parser: BenchParser, benchmark: str, files: str | None = None) -> None:
    """Add `--out DIR` (default `docs/bench`), where the run writes `files` (default
    `BENCHMARK.json`), and `--markdown`, which reprints that record's Markdown tables."""
    parser.add_argument(
        "--out", type=Path, default=Path("docs/bench"),
        help=f"directory for {files or f'{benchmark}.json'} (docs/bench)",
    )  # fmt: skip
    parser.add_argument(
        "--markdown", action="store_true",
        help=f"print the Markdown tables of OUT/{benchmark}.json (for docs/benchmarks.md) "
        "and exit (no run)",
    )  # fmt: skip


def chosen_placement(parser: BenchParser, options: argparse.Namespace) -> Placement:
    """The placement `--placement` names, pinned with 2+ CPUs if it names none (the name is
    then set on `options`); one the machine cannot give is an error of that option."""
    if options.placement is None:
        options.placement = "pinned" if len(available_cpus()) >= 2 else "shared"
    try:
        return plan(options.placement)
    except PlacementUnavailable as exc:
        parser.error(f"argument --placement: {exc}")


def require_plotting(parser: BenchParser, options: argparse.Namespace) -> None:
    """Stop at the start, not after a run of minutes, when its plot cannot be drawn: a run
    (not `--markdown`) needs matplotlib, which the package does not install."""
    if not options.markdown and importlib.util.find_spec("matplotlib") is None:
        parser.error(
            "matplotlib is not installed and this benchmark draws a plot: "
            "`make bench` installs it (or pip install -r bench/requirements.txt)"
        )
