"""Command-line parsing the benchmarks share: one line per mistake, exit status 2.

argparse prints its usage before an error; for a benchmark that takes minutes, the one line
saying which option is wrong is what the user needs (`--help` still shows the usage).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["BenchParser", "integer", "number", "seconds", "seconds_list"]


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
