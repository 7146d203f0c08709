"""The latency experiment's figures as JSON (the record), a terminal table and Markdown tables.

Tables are made from the JSON dictionary, never from live objects, so `python -m bench latency
--markdown` turns a committed `docs/bench/latency.json` into exactly the tables a run prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.latency_points import Point, actions_of
from bench.placement import Placement
from bench.report_file import read_report_file, write_report_file

__all__ = [
    "TARGET_RATIO",
    "TARGET_SLEEP_TIME",
    "headline_action",
    "markdown",
    "read_report",
    "table",
    "write_report",
]

TARGET_SLEEP_TIME = 1.0  # issue 4: async within 1.25x of off at p50 and p99, sync >= 1 s
TARGET_RATIO = 1.25
HEADLINE_ACTION = "vote"
PROCESSES = ("web", "activity", "worker", "redis", "client")


def method(options: argparse.Namespace, placement: Placement) -> list[str]:
    """How the figures were made, in sentences, for the JSON and the docs page."""
    amount = (
        f"{options.duration:g} s" if options.duration is not None else f"{options.requests} actions"
    )
    think = (
        f"thinks for an exponential time of mean {options.clients / options.rate:.3g} s, so "
        f"together they offer about {options.rate:g} actions/s while the site answers fast "
        "and fewer when it is slow (they wait, as people do)"
        if options.rate > 0
        else "clicks again at once (no think time: the machine is saturated)"
    )
    where = {
        "pinned": (
            f"web alone on {placement.subject.describe()}; the load generator and Redis on "
            f"{placement.client.describe()}; the activity service and the worker on "
            f"{placement.background.describe()}, so they use what the load generator leaves "
            "idle, as if they ran elsewhere, as in production"
        ),
        "shared": "no pinning: every process may run on every core at the same priority",
    }[placement.name]
    return [
        "One suite for the whole run: Redis, the activity service (SQLite) and one worker "
        "(WORKER_MAX_JOBS=100) as child processes, and one web process per ACTIVITY_MODE "
        "(one SQLite database for all); SLEEP_TIME is changed at run time with "
        "PUT /api/chaos, and at each SLEEP_TIME the modes are measured one after the other, "
        "so the figures compared are taken close together in time.",
        f"Load: {options.clients} registered users in a closed loop with think time: each does "
        f"an action (mix {options.mix}), waits for the answer, then {think}. Every action is a "
        "real form POST with the session's CSRF token and its own X-Request-ID, timed from "
        "sending until its 303 answer.",
        f"Each point: {options.warmup:g} s of warm-up, not measured, then {amount} measured. "
        "Percentiles are nearest rank; p99_range_ms is the 95% confidence interval of the p99 "
        "(order statistics), a measure of how far the p99 can be trusted.",
        f"Placement {placement.name}: {where}.",
        "CPU ms per action: CPU time each process used from the start of a point's warm-up "
        "until its queue was empty (deliveries included), divided by the point's actions.",
        "Delivery: after each point the queue is drained and the events stored since the "
        "point began are read back from the activity API: every successful action must have "
        "exactly one event (found by its X-Request-ID), no other event may appear (none at "
        "all in off mode), and no event may be dead-lettered.",
    ]


def headline_action(points: list[dict[str, Any]]) -> str:
    """The action the headline figures are about: a vote (issue 4), else the commonest."""
    actions = actions_of(points)
    return HEADLINE_ACTION if HEADLINE_ACTION in actions else (actions or ["all"])[0]


def _ratios(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """sync / off and async / off at p50 and p99, by SLEEP_TIME and action."""
    by_key = {(p["mode"], p["sleep_time"]): p["actions"] for p in points}
    ratios = []
    for sleep_time in sorted({p["sleep_time"] for p in points}):
        off = by_key.get(("off", sleep_time))
        if off is None:
            continue
        for action in ["all", *actions_of(points)]:
            entry: dict[str, Any] = {"sleep_time": sleep_time, "action": action}
            for mode in ("sync", "async"):
                other = by_key.get((mode, sleep_time), {}).get(action)
                if other and action in off:
                    entry[f"{mode}_over_off"] = {
                        q: round(other[f"{q}_ms"] / off[action][f"{q}_ms"], 2)
                        for q in ("p50", "p99")
                    }
            if len(entry) > 2:
                ratios.append(entry)
    return ratios


def _target(points: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Issue 4's target at SLEEP_TIME=1: async within 1.25x of off, sync at least 1 s."""
    action = headline_action(points)
    ratio = next(
        (r for r in ratios if r["sleep_time"] == TARGET_SLEEP_TIME and r["action"] == action),
        None,
    )
    if ratio is None or "async_over_off" not in ratio:
        return None
    target: dict[str, Any] = {
        "sleep_time": TARGET_SLEEP_TIME,
        "action": action,
        "async_within": TARGET_RATIO,
        "async_over_off": ratio["async_over_off"],
        "async_met": all(v <= TARGET_RATIO for v in ratio["async_over_off"].values()),
    }
    sync = next(
        (p for p in points if p["mode"] == "sync" and p["sleep_time"] == TARGET_SLEEP_TIME), None
    )
    if sync is not None and action in sync["actions"]:
        target["sync_p50_ms"] = sync["actions"][action]["p50_ms"]
        target["sync_met"] = sync["actions"][action]["p50_ms"] >= TARGET_SLEEP_TIME * 1000
    return target


def write_report(
    out: Path,
    header: dict[str, Any],
    options: argparse.Namespace,
    placement: Placement,
    points: list[Point],
) -> dict[str, Any]:
    """Write `out/latency.json`; answer its dictionary (the plot is drawn from it)."""
    point_dicts = [point.as_dict() for point in points]
    report = {
        **header,
        "parameters": {
            "modes": options.modes,
            "sleep_times": options.sleep_times,
            "clients": options.clients,
            "rate": options.rate,
            "duration": options.duration,
            "requests": options.requests,
            "warmup": options.warmup,
            "mix": options.mix.shares(),
            "seed": options.seed,
            "placement": placement.as_dict(),
        },
        "method": method(options, placement),
        "points": point_dicts,
        "headline_action": headline_action(point_dicts),
    }
    report["ratios"] = _ratios(point_dicts)
    report["target"] = _target(point_dicts, report["ratios"])
    write_report_file(out, "latency", report)
    return report


def read_report(path: Path) -> dict[str, Any]:
    """A `latency.json` written by `write_report`."""
    return read_report_file(path, "latency")


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def table(report: dict[str, Any]) -> str:
    """Every figure of the report as terminal tables."""
    lines = [
        f"{'SLEEP_TIME':>10} {'mode':<5} {'action':<7} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'actions/s':>9}"
    ]
    for point in report["points"]:
        for name, s in point["actions"].items():
            lines.append(
                f"{point['sleep_time']:>10g} {point['mode']:<5} {name:<7} {s['count']:>6} "
                f"{_ms(s['p50_ms']):>8} {_ms(s['p95_ms']):>8} {_ms(s['p99_ms']):>8} "
                f"{_ms(s['max_ms']):>8} {s['per_second']:>9.1f}"
            )
    processes = " ".join(f"{p:>8}" for p in PROCESSES)
    lines += [
        "",
        f"{'SLEEP_TIME':>10} {'mode':<5} {'errors':>6}  {'events stored once':<20} "
        f"{'drain s':>7}  CPU ms per action: {processes}",
    ]
    for point in report["points"]:
        check = point["delivery"]
        events = "-" if point["mode"] == "off" and not check["stored"] else (
            f"{check['stored']}/{check['expected']} " + ("yes" if check["exactly_once"] else "NO")
        )  # fmt: skip
        cpu = " ".join(f"{point['cpu_ms_per_action'].get(p, 0):>8.2f}" for p in PROCESSES)
        lines.append(
            f"{point['sleep_time']:>10g} {point['mode']:<5} {sum(point['errors'].values()):>6}  "
            f"{events:<20} {check['drain_seconds']:>7.2f}  {'':>19}{cpu}"
        )
    for point in report["points"]:
        for message, count in point["errors"].items():
            lines.append(f"error ({point['mode']}, {point['sleep_time']:g} s) x{count}: {message}")
    lines.append("")
    for ratio in report["ratios"]:
        if ratio["action"] != report["headline_action"]:
            continue
        for mode in ("sync", "async"):
            if f"{mode}_over_off" in ratio:
                r = ratio[f"{mode}_over_off"]
                lines.append(
                    f"{ratio['action']}: {mode} / off at SLEEP_TIME={ratio['sleep_time']:g}: "
                    f"p50 x{r['p50']:.2f}, p99 x{r['p99']:.2f}"
                )
    target = report.get("target")
    if target:
        verdict = "met" if target["async_met"] else "NOT met"
        lines.append(
            f"target ({target['action']}, SLEEP_TIME={target['sleep_time']:g}): async within "
            f"{target['async_within']:g}x of off at p50 and p99: {verdict}"
        )
        if "sync_met" in target:
            verdict = "yes" if target["sync_met"] else "NO"
            lines.append(
                f"  sync p50 at least SLEEP_TIME: {verdict} ({target['sync_p50_ms']:.0f} ms)"
            )
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The Markdown tables of docs/benchmarks.md: the headline action by mode and
    SLEEP_TIME, every action at the target SLEEP_TIME, and rate, CPU and delivery per point."""
    points = report["points"]
    headline = report["headline_action"]
    modes = list(dict.fromkeys(p["mode"] for p in points))
    sleep_times = sorted({p["sleep_time"] for p in points})
    by_key = {(p["mode"], p["sleep_time"]): p for p in points}
    ratios = {(r["sleep_time"], r["action"]): r for r in report["ratios"]}

    def cell(point: dict[str, Any] | None, action: str, count: bool = False) -> str:
        s = point["actions"].get(action) if point else None
        if not s:
            return "-"
        return f"{_ms(s['p50_ms'])} / {_ms(s['p99_ms'])}" + (f" ({s['count']})" if count else "")

    def table_head(*names: str) -> list[str]:
        return ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]

    has_ratio = "async" in modes and "off" in modes
    extra = ["async / off p50, p99"] if has_ratio else []
    lines = [f"Latency of a {headline}, p50 / p99 in ms:", ""]
    lines += table_head("SLEEP_TIME", *modes, *extra)
    for sleep_time in sleep_times:
        row = [f"{sleep_time:g} s"] + [cell(by_key.get((m, sleep_time)), headline) for m in modes]
        if has_ratio:
            r = ratios.get((sleep_time, headline), {}).get("async_over_off")
            row.append(f"x{r['p50']:.2f}, x{r['p99']:.2f}" if r else "-")
        lines.append("| " + " | ".join(row) + " |")

    focus = TARGET_SLEEP_TIME if TARGET_SLEEP_TIME in sleep_times else sleep_times[-1]
    lines += ["", f"Every action at SLEEP_TIME={focus:g} s, p50 / p99 in ms (count):", ""]
    lines += table_head("action", *modes)
    for action in [*actions_of(points), "all"]:
        row = [action] + [cell(by_key.get((m, focus)), action, count=True) for m in modes]
        lines.append("| " + " | ".join(row) + " |")

    lines += ["", "Actions/s, CPU ms per action by process, and delivery, per point:", ""]
    lines += table_head("SLEEP_TIME", "mode", "actions/s", *PROCESSES, "events stored once")
    for sleep_time in sleep_times:
        for mode in modes:
            point = by_key.get((mode, sleep_time))
            if point is None:
                continue
            every = point["actions"].get("all")
            check = point["delivery"]
            events = "none (off)" if mode == "off" and check["exactly_once"] else (
                f"{check['stored']}/{check['expected']} "
                + ("yes" if check["exactly_once"] else "**NO**")
            )  # fmt: skip
            cpu = [f"{point['cpu_ms_per_action'].get(p, 0):.2f}" for p in PROCESSES]
            rate = f"{every['per_second']:.1f}" if every else "-"
            row = [f"{sleep_time:g} s", mode, rate, *cpu, events]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
