"""What a benchmark ran on and when, written next to its figures so they can be compared."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["FIGURES_DIR", "ROOT", "git_commit", "machine", "run_header", "write_record"]

# The checkout: bench/ sits beside src/ at its root.
ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The benchmarks write their figures here: changes there do not make a run's commit dirty.
FIGURES_DIR = "docs/bench"


def _git(root: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise OSError("git is not installed")
    done = subprocess.run(  # noqa: S603 (fixed git commands)
        [git, *args], cwd=root, capture_output=True, text=True, timeout=5, check=True
    )
    return done.stdout.strip()


def git_commit(root: Path = ROOT) -> str | None:
    """The commit measured, `-dirty` when tracked files other than the figures had changes
    (a run that rewrites the figures of an earlier one is still a run of its commit)."""
    try:
        commit = _git(root, "rev-parse", "--short", "HEAD")
        changed = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".",
                       f":(exclude){FIGURES_DIR}")  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if changed else commit or None


def machine() -> dict[str, Any]:
    """CPU model and count, memory, OS, Python, and the load average before the run."""
    try:
        memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        memory_gib = None
    try:
        load = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_before": load,
    }


def run_header(benchmark: str, argv: list[str]) -> dict[str, Any]:
    """The head of a benchmark's JSON: name, command, date, commit and machine."""
    return {
        "benchmark": benchmark,
        "command": " ".join(["python", "-m", "bench", benchmark, *argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
    }


def write_record(path: Path, benchmark: str, argv: list[str], figures: dict[str, Any]) -> None:
    """Write a `--json FILE` record: the run's head (`run_header`), then its figures."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**run_header(benchmark, argv), **figures}, indent=2) + "\n")
