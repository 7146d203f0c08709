"""`python -m bench export-memory`: the activity export of 100,000 events, and the web process's
memory while it streams them.

It starts Redis, the activity service and one web process as child processes in a
temporary directory (no worker), stores `--events` events straight into the activity
store (`dashboard_fill.fill_events`), logs in as an admin, and downloads
`/admin/activity/export?format=csv` and then `?format=jsonl`. During each download it
samples the web process's resident memory (`VmRSS` in `/proc/PID/status`) every
`--interval` seconds, and resets and reads the kernel's own high-water mark (`VmHWM`) so no
short peak between samples is missed. It reports, per format: bytes and events received,
seconds, MB/s, the RSS before, the peak RSS during the export, and the growth (peak minus
before). A streamed export grows by a few pages' worth whatever the number of events; one
that held every event would grow with it. Exit status 1 if the growth exceeds
`--max-growth-mb` or an export is incomplete.

    python -m bench export-memory                       # 100,000 events, CSV and JSON lines
    python -m bench export-memory --events 20000 --json /tmp/export-memory.json

Linux only (it reads `/proc`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.dashboard_suite import DashboardSuite, add_admin, log_in
from bench.machine import write_record
from bench.options import BenchParser, integer, seconds

__all__ = ["ExportFigures", "main", "measure_export", "rss_bytes"]

FORMATS = ("csv", "jsonl")
MIB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ExportFigures:
    """One export: what came, how fast, and what it cost the web process in memory."""

    format: str
    events: int
    bytes: int
    seconds: float
    rss_before: int
    rss_peak: int
    samples: int
    complete: bool

    @property
    def growth(self) -> int:
        return self.rss_peak - self.rss_before

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rss_growth": self.growth}


def _status_kb(pid: int, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def rss_bytes(pid: int) -> int | None:
    """The resident set size of a live process in bytes (Linux), or None."""
    kb = _status_kb(pid, "VmRSS")
    return None if kb is None else kb * 1024


def _peak_bytes(pid: int) -> int | None:
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else kb * 1024


def _reset_peak(pid: int) -> None:
    """Reset the kernel's RSS high-water mark of `pid` (ours to reset: our child)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


async def _sample(pid: int, interval: float, samples: list[int]) -> None:
    while True:
        value = rss_bytes(pid)
        if value is not None:
            samples.append(value)
        await asyncio.sleep(interval)


def _events_in(kind: str, tail: bytes, lines: int) -> tuple[int, bool]:
    """Events received (lines, less the CSV header) and whether the file is complete."""
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    incomplete = last.startswith(b"EXPORT_INCOMPLETE") or b'"export_incomplete"' in last
    events = lines - (1 if kind == "csv" else 0) - (1 if incomplete else 0)
    return events, not incomplete


async def measure_export(
    session: aiohttp.ClientSession, base_url: str, pid: int, kind: str, interval: float
) -> ExportFigures:
    """Download one export in full, sampling the web process's RSS meanwhile."""
    await asyncio.sleep(0.5)  # let the previous export's garbage go
    before = rss_bytes(pid) or 0
    _reset_peak(pid)
    samples: list[int] = []
    sampler = asyncio.create_task(_sample(pid, interval, samples))
    received = lines = 0
    tail = b""
    started = time.perf_counter()
    try:
        async with session.get(f"{base_url}/admin/activity/export?format={kind}") as response:
            if response.status != 200:
                raise RuntimeError(f"export {kind}: HTTP {response.status}")
            async for chunk in response.content.iter_chunked(CHUNK):
                received += len(chunk)
                lines += chunk.count(b"\n")
                tail = (tail + chunk)[-4096:]
        elapsed = time.perf_counter() - started
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    peak = max([before, *samples, _peak_bytes(pid) or 0])
    events, complete = _events_in(kind, tail, lines)
    return ExportFigures(kind, events, received, elapsed, before, peak, len(samples), complete)


async def run(args: argparse.Namespace) -> list[ExportFigures]:
    """Start, fill, export in each format, stop; answers the figures."""
    with tempfile.TemporaryDirectory(prefix="wolfit-bench-export-") as tmp:
        async with DashboardSuite(Path(tmp)) as suite:
            await suite.store_events(args.events)
            await add_admin(suite.database_url)
            base_url = await suite.start_web()
            pid = suite.web_pid()
            if pid is None:
                raise RuntimeError("the web process is not running")
            jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
            timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
                await log_in(session, base_url)
                # one small export first, so code paths are loaded before the baseline
                async with session.get(
                    f"{base_url}/admin/activity/export?format=csv&username=user1"
                ) as response:
                    await response.read()
                figures = []
                for kind in args.formats:
                    figures.append(
                        await measure_export(session, base_url, pid, kind, args.interval)
                    )
                    print(f"exported {kind}", flush=True)
    return figures


def table(figures: list[ExportFigures]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"{'format':<6} {'events':>8} {'bytes':>12} {'seconds':>8} {'MB/s':>6}"
        f" {'RSS before':>11} {'peak RSS':>9} {'growth':>8}  complete"
    ]
    for item in figures:
        rate = item.bytes / MIB / item.seconds if item.seconds else 0.0
        lines.append(
            f"{item.format:<6} {item.events:>8,} {item.bytes:>12,}"
            f" {item.seconds:>8.1f} {rate:>6.1f}"
            f" {item.rss_before / MIB:>8.1f} MB {item.rss_peak / MIB:>6.1f} MB"
            f" {item.growth / MIB:>5.1f} MB  {'yes' if item.complete else 'NO'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench export-memory [--events N] [--formats csv jsonl] [--json FILE]`"""
    parser = BenchParser(
        prog="python -m bench export-memory", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--events", type=integer(1), default=100_000, help="events (100,000)")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument(
        "--interval", type=seconds, default=0.01, help="seconds between RSS samples (0.01)"
    )
    parser.add_argument(
        "--max-growth-mb",
        type=integer(1),
        default=64,
        help="fail (exit 1) when RSS grows more than this during an export (64)",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not Path("/proc/self/status").exists():
        parser.error("needs Linux /proc to read the web process's memory")
    if args.interval <= 0:
        parser.error("--interval must be more than 0")
    figures = asyncio.run(run(args))
    print(table(figures))
    if args.json:
        record = {"parameters": {"events": args.events}, "exports": [f.to_dict() for f in figures]}
        write_record(args.json, "export-memory", argv, record)
    ok = all(
        item.complete and item.events == args.events and item.growth <= args.max_growth_mb * MIB
        for item in figures
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
