"""The throughput benchmark's figures as JSON (the record), terminal tables and Markdown tables
(docs/benchmarks.md), the tables made from the JSON so that `--markdown` reprints a committed
run. A figure field the JSON lacks (a run that skipped it, or a file from before it was
measured) shows as `-`."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.enqueue_cost import EnqueueCost, cost_table
from bench.placement import Placement
from bench.report_file import read_report_file, write_report_file

if TYPE_CHECKING:
    from bench.throughput_runs import Figure

__all__ = ["markdown", "read_report", "table", "write_report"]


def _method(options: argparse.Namespace, placement: Placement) -> list[str]:
    where = (
        f"the worker alone on {placement.subject.describe()}; Redis, the activity service "
        f"and the benchmark on {placement.client.describe()}"
        if placement.name == "pinned"
        else "no pinning: every process may run on every core"
    )
    runs = f"medians of {options.repeat} runs" if options.repeat > 1 else "one run"
    return [
        f"For each worker kind ({', '.join(options.worker)}) the queue is filled with "
        f"{options.events} jobs, then one worker runs in burst mode until it is empty (a "
        "drain): first jobs that do nothing (noop: the kind's ceiling), then post_activity "
        "for each poll_delay and queue_read_limit.",
        "Kinds: arq is stock arq as `arq src.jobs.WorkerSettings` runs it; arq-joblog the "
        "same with arq's two log lines per job; wolfit is WolfitWorker as `wolfit worker` "
        "runs it (woken by Redis, no poll delay).",
        "Events/s = jobs / (last finish - first start), from arq's job results, so worker "
        "start-up and queue filling do not count. The activity service sleeps "
        f"SLEEP_TIME={options.sleep_time:g} s after each event; limit = WORKER_MAX_JOBS / "
        f"SLEEP_TIME = {options.max_jobs} / {options.sleep_time:g}; of_noop: against the "
        "same kind's noop drain.",
        f"Placement {placement.name}: {where}.",
        "Costs: the worker's CPU (its own count, imports excluded) and Redis round trips "
        "(writes on its connections), Redis's commands (a script's inner ones included) and "
        "CPU (INFO), the activity service's CPU (/proc), all during the drain; per job, and "
        "for the CPU also in seconds: one near `seconds` is a bottleneck, none near it "
        "means the processes waited for the CPU (other load) or for each other. Events per "
        "worker CPU second does not depend on other load: the rate of a worker with a core "
        "to itself, if nothing else limits it. Stored: events the activity service stored "
        "during a post_activity drain (every job's event must be stored).",
        f"Idle: after each post_activity drain the same worker runs idle for "
        f"{options.idle_window:g} s (Redis commands/s it causes, its CPU), then "
        f"{options.latency_jobs} probe jobs are enqueued one at a time, 100 a second: start "
        "latency = job start - enqueue call, p50 and p99 by nearest rank; trickle CPU = the "
        "worker's CPU per probe job. Skipped with --latency-jobs 0.",
        f"Producer: {options.enqueues} enqueues one at a time, awaited, as the web app does "
        "after a commit, with arq's enqueue_job and with enqueue_event (one Lua script): "
        "round trips, wall time and the producer's CPU per enqueue.",
        f"Figures: {runs}; every run's figures are under `runs`.",
    ]


def write_report(
    out: Path,
    header: dict[str, Any],
    options: argparse.Namespace,
    placement: Placement,
    figures: list[Figure],
    producer: list[EnqueueCost],
    runs: list[list[Figure]],
) -> dict[str, Any]:
    """Write `out/throughput.json`; answer its dictionary."""
    limit = options.max_jobs / options.sleep_time if options.sleep_time else None
    ceilings = {figure.worker: figure.per_second for figure in figures if figure.name == "noop"}

    def share(value: float, of: float | None) -> float | None:
        return round(value / of, 3) if of else None

    report = {
        **header,
        "parameters": {
            "events": options.events,
            "sleep_time": options.sleep_time,
            "max_jobs": options.max_jobs,
            "workers": options.worker,
            "poll_delays": options.poll_delay,
            "queue_read_limits": options.queue_read_limit,
            "latency_jobs": options.latency_jobs,
            "idle_window": options.idle_window,
            "enqueues": options.enqueues,
            "repeat": options.repeat,
            "placement": placement.as_dict(),
        },
        "limit": limit,
        "method": _method(options, placement),
        "figures": [
            {
                **asdict(figure),
                "of_limit": share(figure.per_second, limit),
                "of_noop": share(figure.per_second, ceilings.get(figure.worker)),
                # Robust to other load on the machine: CPU time is not stolen by neighbours.
                "per_worker_cpu_second": (
                    round(figure.jobs / figure.worker_cpu, 1) if figure.worker_cpu else None
                ),
            }
            for figure in figures
        ],
        "producer": [asdict(cost) for cost in producer],
        "runs": [[asdict(figure) for figure in run] for run in runs],
    }
    write_report_file(out, "throughput", report)
    return report


def read_report(path: Path) -> dict[str, Any]:
    """A `throughput.json` written by `write_report`."""
    return read_report_file(path, "throughput")


def _label(figure: dict[str, Any]) -> str:
    worker = figure.get("worker", "arq")
    if worker == "wolfit":
        label = f"{figure['name']} wolfit (woken)"
    else:
        label = f"{figure['name']} {worker} poll_delay={figure['poll_delay']:g}"
    if figure["queue_read_limit"]:
        label += f" read_limit={figure['queue_read_limit']}"
    return label


def _value(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _stored(figure: dict[str, Any]) -> str:
    stored = figure.get("stored")
    return "-" if stored is None else f"{stored}/{figure['jobs']}"


def _start(figure: dict[str, Any]) -> str:
    p50, p99 = figure.get("start_p50_ms"), figure.get("start_p99_ms")
    return "-" if p50 is None or p99 is None else f"{p50:.1f} / {p99:.1f}"


def _heading(report: dict[str, Any]) -> str:
    limit, p = report["limit"], report["parameters"]
    repeat = p.get("repeat", 1)
    placement = p.get("placement", {}).get("name", "?")
    return (
        f"one worker, WORKER_MAX_JOBS={p['max_jobs']}, SLEEP_TIME={p['sleep_time']:g}: limit "
        + (f"{limit:,.0f} events/s" if limit else "none (SLEEP_TIME=0)")
        + "; each kind's no-op ceiling in the same run ("
        + (f"medians of {repeat} runs" if repeat > 1 else "one run")
        + f", placement {placement})"
    )


def table(report: dict[str, Any]) -> str:
    """The figures as terminal tables (workers, then the producer), the limit in the heading."""
    lines = [
        _heading(report),
        f"{'configuration':<41} {'jobs/s':>6} {'secs':>6} {'limit':>5} {'no-op':>5} | per "
        f"job: {'CPU ms':>6} {'RTs':>5} {'Redis cmds':>10} {'Redis ms':>8} {'service ms':>10} "
        f"| {'start p50/p99 ms':>16} {'trickle CPU ms':>14} | idle: {'cmd/s':>5} "
        f"{'CPU ms/s':>8} | {'failed':>6} {'stored':>11}",
    ]
    for f in report["figures"]:
        lines.append(
            f"{_label(f):<41} {f['per_second']:>6.0f} {f['seconds']:>6.1f} "
            f"{_value(f['of_limit'], '.0%'):>5} {_value(f['of_noop'], '.0%'):>5} |          "
            f"{_value(f.get('cpu_ms_per_job'), '.3f'):>6} "
            f"{_value(f.get('round_trips_per_job'), '.2f'):>5} "
            f"{_value(f.get('redis_commands_per_job'), '.2f'):>10} "
            f"{_value(f.get('redis_cpu_ms_per_job'), '.3f'):>8} "
            f"{_value(f.get('service_cpu_ms_per_job'), '.3f'):>10} | {_start(f):>16} "
            f"{_value(f.get('trickle_cpu_ms_per_job'), '.3f'):>14} |       "
            f"{_value(f.get('idle_commands_per_second'), '.1f'):>5} "
            f"{_value(f.get('idle_cpu_ms_per_second'), '.1f'):>8} | {f['failed']:>6} "
            f"{_stored(f):>11}"
        )
    producer = report.get("producer")
    if producer:
        lines += ["", cost_table([EnqueueCost(**cost) for cost in producer])]
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The Markdown tables of the figures (docs/benchmarks.md): the workers', then the
    producer's if measured."""
    lines = [
        "| configuration | events/s | of the limit | of no-op | CPU ms per job: worker, "
        "activity, Redis | Redis round trips per job | start p50 / p99 ms | idle Redis "
        "commands/s | stored |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in report["figures"]:
        cpu = ", ".join(
            _value(f.get(name), ".2f")
            for name in ("cpu_ms_per_job", "service_cpu_ms_per_job", "redis_cpu_ms_per_job")
        )
        lines.append(
            f"| {_label(f)} | {f['per_second']:,.0f} | {_value(f['of_limit'], '.0%')} | "
            f"{_value(f['of_noop'], '.0%')} | {cpu} | "
            f"{_value(f.get('round_trips_per_job'), '.2f')} | {_start(f)} | "
            f"{_value(f.get('idle_commands_per_second'), '.1f')} | {_stored(f)} |"
        )
    producer = report.get("producer")
    if producer:
        lines += [
            "",
            "| producer | round trips per enqueue | µs per enqueue | producer CPU µs |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {cost['producer']} | {cost['round_trips']:.2f} | {cost['wall_us']:,.0f} | "
            f"{cost['cpu_us']:,.0f} |"
            for cost in producer
        ]
    return "\n".join(lines)
