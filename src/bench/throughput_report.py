"""The throughput benchmark's figures as JSON (the record), a terminal table and a README
table, the tables made from the JSON so that `--markdown` reprints a committed run."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .placement import Placement

if TYPE_CHECKING:
    from .throughput import Figure

__all__ = ["markdown", "read_report", "table", "write_report"]


def _method(options: argparse.Namespace, placement: Placement) -> list[str]:
    where = (
        f"the worker alone on {placement.subject.describe()}; Redis, the activity service "
        f"and the benchmark on {placement.client.describe()}"
        if placement.name == "pinned"
        else "no pinning: every process may run on every core"
    )
    return [
        f"For each configuration the queue is filled with {options.events} jobs first, then "
        "one worker runs in burst mode until the queue is empty.",
        "Events/s = jobs / (last finish - first start), from arq's job results, so worker "
        "start-up and queue filling do not count.",
        "noop: stock arq running a job that does nothing (the ceiling without any delivery "
        "latency); post_activity: the real worker delivering to the activity service, which "
        f"sleeps SLEEP_TIME={options.sleep_time:g} s after each event; limit = "
        f"WORKER_MAX_JOBS / SLEEP_TIME = {options.max_jobs} / {options.sleep_time:g}.",
        f"Placement {placement.name}: {where}.",
        "CPU s: CPU time of the worker process (its start-up, about 1 s, included), and of "
        "the activity service and Redis while it ran: one near `seconds` is a bottleneck; "
        "none near it means the processes waited for the CPU (other load on the machine) "
        "or for each other. Events per worker CPU s (start-up included) does not depend "
        "on other load: it is the rate of a worker with a core to itself, if nothing else "
        "limits it. "
        "Stored: events the activity service stored during the configuration (every job's "
        "event must be stored).",
    ]


def write_report(
    out: Path,
    header: dict[str, Any],
    options: argparse.Namespace,
    placement: Placement,
    figures: list[Figure],
) -> dict[str, Any]:
    """Write `out/throughput.json`; answer its dictionary."""
    limit = options.max_jobs / options.sleep_time if options.sleep_time else None
    ceiling = figures[0].per_second
    report = {
        **header,
        "parameters": {
            "events": options.events,
            "sleep_time": options.sleep_time,
            "max_jobs": options.max_jobs,
            "poll_delays": options.poll_delay,
            "queue_read_limits": options.queue_read_limit,
            "placement": placement.as_dict(),
        },
        "limit": limit,
        "method": _method(options, placement),
        "figures": [
            {
                **asdict(figure),
                "of_limit": round(figure.per_second / limit, 3) if limit else None,
                "of_noop": round(figure.per_second / ceiling, 3),
                # Robust to other load on the machine: CPU time is not stolen by neighbours.
                "per_worker_cpu_second": round(figure.jobs / figure.worker_cpu, 1),
            }
            for figure in figures
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def read_report(path: Path) -> dict[str, Any]:
    """A `throughput.json` written by `write_report`."""
    report = json.loads(path.read_text())
    if not isinstance(report, dict) or report.get("benchmark") != "throughput":
        raise ValueError("not the JSON of `wolfit bench throughput`")
    return report


def _label(figure: dict[str, Any]) -> str:
    label = f"{figure['name']} poll_delay={figure['poll_delay']:g}"
    if figure["queue_read_limit"]:
        label += f" queue_read_limit={figure['queue_read_limit']}"
    return label


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _stored(figure: dict[str, Any]) -> str:
    return "-" if figure["stored"] is None else f"{figure['stored']}/{figure['jobs']}"


def table(report: dict[str, Any]) -> str:
    """The figures as a terminal table, with the limit in the heading."""
    limit = report["limit"]
    p = report["parameters"]
    lines = [
        f"one worker, WORKER_MAX_JOBS={p['max_jobs']}, SLEEP_TIME={p['sleep_time']:g}: limit "
        + (f"{limit:,.0f} events/s" if limit else "none (SLEEP_TIME=0)")
        + "; no-op ceiling measured in the same run",
        f"{'configuration':<32} {'jobs':>7} {'seconds':>8} {'events/s':>9} {'of limit':>9} "
        f"{'of no-op':>9} {'CPU s: worker':>14} {'activity':>9} {'redis':>6} "
        f"{'events/worker CPU s':>20} {'failed':>7} {'stored':>12}",
    ]
    for f in report["figures"]:
        lines.append(
            f"{_label(f):<32} {f['jobs']:>7} {f['seconds']:>8.2f} {f['per_second']:>9.0f} "
            f"{_share(f['of_limit']):>9} {_share(f['of_noop']):>9} {f['worker_cpu']:>14.1f} "
            f"{_seconds(f.get('activity_cpu')):>9} {_seconds(f.get('redis_cpu')):>6} "
            f"{f['per_worker_cpu_second']:>20.0f} {f['failed']:>7} {_stored(f):>12}"
        )
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The README table of the figures."""
    lines = [
        "| configuration | events/s | of the limit | of no-op | seconds | CPU s: worker, "
        "activity, Redis | events per worker CPU s | stored |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in report["figures"]:
        cpu = ", ".join(
            _seconds(f.get(name)) for name in ("worker_cpu", "activity_cpu", "redis_cpu")
        )
        lines.append(
            f"| {_label(f)} | {f['per_second']:,.0f} | {_share(f['of_limit'])} | "
            f"{_share(f['of_noop'])} | {f['seconds']:.1f} | {cpu} | "
            f"{f['per_worker_cpu_second']:,.0f} | {_stored(f)} |"
        )
    return "\n".join(lines)
