"""A benchmark's JSON record, `OUT/NAME.json`: written after a run, read back by `--markdown`.

One place for the file's name, its layout and the check that it is the right benchmark's, so
that the latency and throughput benchmarks write and reprint their records the same way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["print_markdown_tables", "read_report_file", "write_report_file"]


def write_report_file(out: Path, benchmark: str, report: dict[str, Any]) -> None:
    """Write `report` to `out/BENCHMARK.json` (indented, one newline at the end)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{benchmark}.json").write_text(json.dumps(report, indent=2) + "\n")


def read_report_file(path: Path, benchmark: str) -> dict[str, Any]:
    """The record at `path`; ValueError if it is not the JSON of `python -m bench BENCHMARK`."""
    report = json.loads(path.read_text())
    if not isinstance(report, dict) or report.get("benchmark") != benchmark:
        raise ValueError(f"not the JSON of `python -m bench {benchmark}`")
    return report


def print_markdown_tables(
    path: Path,
    benchmark: str,
    markdown: Callable[[dict[str, Any]], str],
    unreadable: tuple[type[Exception], ...],
) -> int:
    """Print the Markdown tables of the record at `path` and answer the exit status: 0, or 1
    with one line on stderr when reading it or making the tables raises one of `unreadable`."""
    try:
        print(markdown(read_report_file(path, benchmark)))
    except unreadable as exc:
        print(f"python -m bench {benchmark}: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    return 0
