"""The load benchmark's figures as JSON (the record), a terminal table, Markdown tables and a
plot.

The record keeps every point of every round; the summary rows (medians over the rounds,
with the range of req/s), the share of the anchor and the ratio to the reference subject
are made from that JSON, never from live objects, so `python -m bench load --markdown` turns
a committed `docs/bench/load.json` into exactly the tables a run prints.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench.report_file import write_report_file

__all__ = [
    "ANCHOR",
    "markdown",
    "method",
    "share",
    "summarize",
    "table",
    "targets",
    "write_plot",
    "write_report",
]

ANCHOR = "anchor"  # the subject name of the bare aiohttp handler
PROCESSES = ("web", "activity", "worker", "redis", "wrk")
QUANTILES = ("p50", "p95", "p99", "max")
TARGET_SLEEP_TIME = 1.0  # issue 12: async votes at SLEEP_TIME=1 keep >= 90% of off's req/s
TARGET_SHARE = 0.90
COLOURS = {"off": "#4c72b0", "sync": "#c44e52", "async": "#55a868"}
MARKERS = ("o", "s", "D", "^", "v")  # by subject

Key = tuple[str, str | None, float | None, int, str]


def method(parameters: dict[str, Any], page_bytes: int) -> list[str]:
    """How the figures were made, in sentences, for the JSON and the docs page."""
    processes = parameters["web_processes"]
    web_processes = (
        f"WEB_PROCESSES={processes}" if processes else "WEB_PROCESSES unset (the build's default)"
    )
    return [
        "One suite for the whole run: Redis, the activity service (SQLite) and one worker "
        "(WORKER_MAX_JOBS=100) of this checkout, as child processes. Each subject (a "
        "checkout with its own .venv) runs its own `wolfit migrate` and `wolfit web` on its "
        f"own {parameters['database']} database, with {web_processes}; its webs are "
        "restarted when the ACTIVITY_MODE changes; SLEEP_TIME is changed at run time with "
        "PUT /api/chaos.",
        f"Data, through the site's forms: {parameters['users']} users registered, "
        f"{parameters['posts']} posts submitted (the text of the shipped sample posts), then "
        "one session per client logged in through /login (clients share the users).",
        f"Load: wrk ({parameters['load_generator']}), one thread and one keep-alive "
        "connection per client, each with its own session cookie and CSRF token, in a "
        "closed loop with no think time: front is GET /, post GET /p/ID and vote POST "
        "/p/ID/vote (direction up or down, the session's csrf_token), on a random post each "
        "time. A front or post page must be a 200 showing the logout form, a vote a 303 not "
        "to /login; any other answer, and every socket error, is an error.",
        f"Each point: {parameters['warmup']} s of warm-up, then {parameters['duration']} s "
        "measured, then the queue is let drain. req/s counts the right answers; latency "
        "percentiles are wrk's, of every answer. CPU ms per request: CPU each process (with "
        "the processes it forked) used from the warm-up until the queue was empty, over the "
        "requests of warm-up and measurement.",
        f"Anchor: a bare aiohttp handler on uvloop (bench/load_anchor.py, "
        f"{processes or 1} process(es) sharing the port) serving the reference subject's "
        f"front page ({page_bytes} bytes, as its first client saw it), measured with the same "
        "wrk setup at each client count; 'of anchor' is req/s over the anchor's.",
        f"{parameters['rounds']} round(s) in one session, each over every point in turn (the "
        "anchor first, subjects measured one after the other); figures are medians over the "
        "rounds, with the range of req/s.",
    ]


def _order(parameters: dict[str, Any], subjects: list[str]) -> Any:
    """A sort key: anchor first, then action, clients, mode, SLEEP_TIME, subject as given."""
    actions, clients = parameters["actions"], parameters["clients"]
    modes, sleep_times = parameters["modes"], parameters["sleep_times"]

    def position(values: list[Any], value: Any) -> int:
        return values.index(value) if value in values else len(values)

    def key(row: dict[str, Any]) -> tuple[int, ...]:
        return (
            row["subject"] != ANCHOR,
            position(actions, row["action"]),
            position(clients, row["clients"]),
            position(modes, row["mode"]),
            position(sleep_times, row["sleep_time"]),
            position(subjects, row["subject"]),
        )

    return key


def summarize(
    points: list[dict[str, Any]], parameters: dict[str, Any], subjects: list[str]
) -> list[dict[str, Any]]:
    """One row per point measured (median over the rounds), with the share of the anchor
    at the same client count and the ratio to the reference (first) subject."""
    groups: dict[Key, list[dict[str, Any]]] = {}
    for point in points:
        key = (point["subject"], point["mode"], point["sleep_time"], point["clients"],
               point["action"])  # fmt: skip
        groups.setdefault(key, []).append(point)
    rows = []
    for (subject, mode, sleep_time, clients, action), mine in groups.items():
        rates = [p["per_second"] for p in mine]
        cpu = {
            name: round(statistics.median(p["cpu_ms_per_request"][name] for p in mine), 3)
            for name in PROCESSES
            if all(name in p["cpu_ms_per_request"] for p in mine)
        }
        rows.append({
            "subject": subject, "mode": mode, "sleep_time": sleep_time, "clients": clients,
            "action": action, "rounds": len(mine),
            "per_second": round(statistics.median(rates), 2),
            "per_second_range": [min(rates), max(rates)],
            "latency_ms": {
                q: round(statistics.median(p["latency_ms"][q] for p in mine), 3)
                for q in QUANTILES
            },
            "errors": sum(
                sum(p["errors"].values()) + sum(p.get("warmup_errors", {}).values())
                for p in mine
            ),
            "cpu_ms_per_request": cpu,
            "web_processes": max(p["web_processes"] for p in mine),
        })  # fmt: skip
    anchors = {r["clients"]: r["per_second"] for r in rows if r["subject"] == ANCHOR}
    by_key = {(r["subject"], r["mode"], r["sleep_time"], r["clients"], r["action"]): r
              for r in rows}  # fmt: skip
    reference = subjects[0] if subjects else None
    for row in rows:
        anchor = anchors.get(row["clients"])
        row["of_anchor"] = round(row["per_second"] / anchor, 4) if anchor else None
        if row["subject"] in (ANCHOR, reference) or reference is None:
            continue
        other = by_key.get((reference, row["mode"], row["sleep_time"], row["clients"],
                            row["action"]))  # fmt: skip
        if other and other["per_second"]:
            row["over_reference"] = round(row["per_second"] / other["per_second"], 3)
    return sorted(rows, key=_order(parameters, subjects))


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 12's vote target: async votes at SLEEP_TIME=1 keep >= 90% of off's req/s, per
    subject and client count (where both were measured)."""
    by_key = {(r["subject"], r["mode"], r["sleep_time"], r["clients"], r["action"]): r
              for r in rows}  # fmt: skip
    found = []
    for row in rows:
        if (row["mode"], row["sleep_time"], row["action"]) != ("async", TARGET_SLEEP_TIME, "vote"):
            continue
        off = by_key.get((row["subject"], "off", TARGET_SLEEP_TIME, row["clients"], "vote"))
        if off is None or not off["per_second"]:
            continue
        share = row["per_second"] / off["per_second"]
        found.append({
            "subject": row["subject"], "clients": row["clients"],
            "sleep_time": TARGET_SLEEP_TIME, "async_over_off": round(share, 3),
            "at_least": TARGET_SHARE, "met": share >= TARGET_SHARE,
        })  # fmt: skip
    return found


def write_report(
    out: Path,
    header: dict[str, Any],
    parameters: dict[str, Any],
    subjects: list[dict[str, Any]],
    points: list[dict[str, Any]],
    page_bytes: int,
) -> dict[str, Any]:
    """Write `out/load.json`; answer its dictionary (tables and plot are drawn from it)."""
    names = [s["name"] for s in subjects]
    rows = summarize(points, parameters, names)
    report = {
        **header,
        "parameters": parameters,
        "subjects": subjects,
        "anchor_page_bytes": page_bytes,
        "method": method(parameters, page_bytes),
        "summary": rows,
        "targets": targets(rows),
        "points": points,
    }
    write_report_file(out, "load", report)
    return report


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def share(value: float | None) -> str:
    """A share of the anchor: one decimal below 10% (the site is a few % of it)."""
    if value is None:
        return "-"
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def _where(row: dict[str, Any]) -> tuple[str, str]:
    if row["subject"] == ANCHOR:
        return "-", "-"
    return row["mode"], f"{row['sleep_time']:g}"


def table(report: dict[str, Any]) -> str:
    """Every summary row as a terminal table, then the targets."""
    rows = report["summary"]
    compare = len(report["subjects"]) > 1
    reference = report["subjects"][0]["name"]
    head = (
        f"{'subject':<10} {'mode':<5} {'SLEEP':>5} {'clients':>7} {'action':<6} {'req/s':>8} "
        f"{'range':>17} {'anchor':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'errors':>6}  CPU ms/req: {' '.join(f'{p:>8}' for p in PROCESSES)} {'procs':>5}"
    )
    lines = [head + (f" {'/' + reference:>10}" if compare else "")]
    for row in rows:
        mode, sleep_time = _where(row)
        low, high = row["per_second_range"]
        latency = row["latency_ms"]
        cpu = " ".join(
            f"{row['cpu_ms_per_request'][p]:>8.3f}" if p in row["cpu_ms_per_request"] else
            f"{'-':>8}" for p in PROCESSES
        )  # fmt: skip
        line = (
            f"{row['subject']:<10} {mode:<5} {sleep_time:>5} {row['clients']:>7} "
            f"{row['action']:<6} {_number(row['per_second']):>8} "
            f"{_number(low) + '-' + _number(high):>17} {share(row['of_anchor']):>6} "
            + " ".join(f"{_number(latency[q]):>8}" for q in QUANTILES)
            + f" {row['errors']:>6}  {'':>11} {cpu} {row['web_processes']:>5}"
        )
        if compare:
            ratio = row.get("over_reference")
            line += f" {f'x{ratio:.2f}' if ratio is not None else '-':>10}"
        lines.append(line)
    for target in report["targets"]:
        verdict = "met" if target["met"] else "NOT met"
        lines.append(
            f"target ({target['subject']}, {target['clients']} clients): async votes at "
            f"SLEEP_TIME={target['sleep_time']:g} keep {target['async_over_off']:.0%} of off's "
            f"req/s (at least {target['at_least']:.0%}): {verdict}"
        )
    errors = sum(row["errors"] for row in rows)
    lines.append(f"errors: {errors}" + ("" if not errors else " (see the points in the JSON)"))
    return "\n".join(lines)


def _table_head(*names: str) -> list[str]:
    return ["| " + " | ".join(names) + " |", "|" + " --- |" * len(names)]


def markdown(report: dict[str, Any]) -> str:
    """The Markdown tables of docs/benchmarks.md: the anchor, req/s and latency per point by
    subject, and CPU."""
    rows = report["summary"]
    subjects = [s["name"] for s in report["subjects"]]
    reference = subjects[0]
    rounds = report["parameters"]["rounds"]
    by_key = {(r["subject"], r["mode"], r["sleep_time"], r["clients"], r["action"]): r
              for r in rows}  # fmt: skip

    def p50_p99(row: dict[str, Any]) -> str:
        return f"{_number(row['latency_ms']['p50'])} / {_number(row['latency_ms']['p99'])}"

    def rate(row: dict[str, Any]) -> str:
        low, high = row["per_second_range"]
        spread = f" ({_number(low)}-{_number(high)})" if rounds > 1 else ""
        return _number(row["per_second"]) + spread

    lines = [
        f"Anchor: a bare aiohttp handler serving the front page's {report['anchor_page_bytes']} "
        f"bytes (median of {rounds} round(s), range):",
        "",
        *_table_head("clients", "req/s", "p50 / p99 ms", "CPU ms per request"),
    ]
    for row in rows:
        if row["subject"] == ANCHOR:
            web = row["cpu_ms_per_request"].get("web")
            cells = [str(row["clients"]), rate(row), p50_p99(row),
                     f"{web:.3f}" if web is not None else "-"]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")

    ratio = [f"{s} / {reference}" for s in subjects[1:]]
    per_subject = [f"{s} {column}" for s in subjects for column in
                   ("req/s", "of anchor", "p50 / p99 ms")]  # fmt: skip
    lines += ["", f"Requests/s (median of {rounds} round(s), range), share of the anchor, and "
              "latency:", ""]  # fmt: skip
    lines += _table_head("action", "clients", "mode", "SLEEP_TIME", *per_subject, *ratio)
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        point = (row["mode"], row["sleep_time"], row["clients"], row["action"])
        if row["subject"] == ANCHOR or point in seen:
            continue
        seen.add(point)
        cells = [row["action"], str(row["clients"]), row["mode"], f"{row['sleep_time']:g} s"]
        for name in subjects:
            mine = by_key.get((name, *point))
            cells += [rate(mine), share(mine["of_anchor"]), p50_p99(mine)] if mine else ["-"] * 3
        for name in subjects[1:]:
            mine = by_key.get((name, *point))
            value = mine.get("over_reference") if mine else None
            cells.append(f"x{value:.2f}" if value is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "CPU ms per request by process (medians), web processes, errors:", ""]
    lines += _table_head("action", "clients", "mode", "SLEEP_TIME", "subject", *PROCESSES,
                         "web processes", "errors")  # fmt: skip
    for row in rows:
        if row["subject"] == ANCHOR:
            continue
        cpu = [f"{row['cpu_ms_per_request'][p]:.3f}" if p in row["cpu_ms_per_request"] else "-"
               for p in PROCESSES]  # fmt: skip
        cells = [row["action"], str(row["clients"]), row["mode"], f"{row['sleep_time']:g} s",
                 row["subject"], *cpu, str(row["web_processes"]), str(row["errors"])]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if report["targets"]:
        lines += ["", f"Async votes at SLEEP_TIME={TARGET_SLEEP_TIME:g} as a share of off's "
                  f"(target at least {TARGET_SHARE:.0%}):", ""]  # fmt: skip
        lines += _table_head("subject", "clients", "async / off", "met")
        for target in report["targets"]:
            cells = [
                target["subject"],
                str(target["clients"]),
                f"{target['async_over_off']:.0%}",
                "yes" if target["met"] else "**no**",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_plot(report: dict[str, Any], path: Path) -> None:
    """Req/s (median, with the range over rounds; the anchor as a dashed line) and p99, a
    column per action, a dot per subject and mode at each client count and SLEEP_TIME, on
    log scales (the anchor is some hundred times the site)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import LogFormatter

    rows = [r for r in report["summary"] if r["subject"] != ANCHOR]
    anchors = {r["clients"]: r for r in report["summary"] if r["subject"] == ANCHOR}
    parameters = report["parameters"]
    actions = [a for a in parameters["actions"] if any(r["action"] == a for r in rows)]
    places = sorted(dict.fromkeys((r["clients"], r["sleep_time"]) for r in rows))
    series = list(dict.fromkeys((r["subject"], r["mode"]) for r in rows))
    subjects = [s["name"] for s in report["subjects"]]
    step = 0.7 / max(len(series), 1)
    columns = max(len(actions), 1)
    figure, panels = pyplot.subplots(
        2, columns, figsize=(4.8 * columns + 1, 8.5), dpi=110, squeeze=False, sharey="row"
    )
    for column, action in enumerate(actions):
        rate_axes, p99_axes = panels[0][column], panels[1][column]
        for index, (subject, mode) in enumerate(series):
            mine = {
                (r["clients"], r["sleep_time"]): r
                for r in rows
                if (r["subject"], r["mode"], r["action"]) == (subject, mode, action)
            }
            spots = [i - 0.35 + step * (index + 0.5) for i, at in enumerate(places) if at in mine]
            chosen = [mine[at] for at in places if at in mine]
            rates = [r["per_second"] for r in chosen]
            spread = [
                [r["per_second"] - r["per_second_range"][0] for r in chosen],
                [r["per_second_range"][1] - r["per_second"] for r in chosen],
            ]
            style = {
                "color": COLOURS.get(mode, "grey"),
                "marker": MARKERS[subjects.index(subject) % len(MARKERS)]
                if subject in subjects
                else "o",
                "markersize": 7,
                "linestyle": "none",
            }
            label = f"{subject} {mode}" if len(subjects) > 1 else mode
            rate_axes.errorbar(spots, rates, yerr=spread, capsize=3, label=label, **style)
            p99_axes.plot(spots, [r["latency_ms"]["p99"] for r in chosen], **style)
        for clients, anchor in anchors.items():
            spots = [i for i, at in enumerate(places) if at[0] == clients]
            if spots:
                rate_axes.hlines(
                    anchor["per_second"], min(spots) - 0.45, max(spots) + 0.45, colors="black",
                    linestyles="--", linewidth=1.2, label="anchor (bare aiohttp)",
                )  # fmt: skip
                rate_axes.annotate(
                    f"{anchor['per_second']:,.0f}/s", (min(spots) - 0.45, anchor["per_second"]),
                    textcoords="offset points", xytext=(2, 3), fontsize=8,
                )  # fmt: skip
        labels = [f"{clients} clients\nSLEEP_TIME {sleep:g}" for clients, sleep in places]
        for axes in (rate_axes, p99_axes):
            axes.set_xticks(range(len(places)))
            axes.set_xticklabels(labels, fontsize=8)
            axes.set_xlim(-0.5, len(places) - 0.5)
            axes.set_yscale("log")
            axes.yaxis.set_major_formatter(LogFormatter())
            axes.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
            axes.grid(True, axis="y", which="both", alpha=0.25)
        rate_axes.set_title(action, fontsize=11)
    panels[0][0].set_ylabel("requests/s, log scale (dashes: the anchor)")
    panels[1][0].set_ylabel("p99 latency, ms, log scale")
    handles, labels = panels[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    figure.legend(
        unique.values(), unique.keys(), loc="lower center", ncol=min(len(unique), 7), fontsize=9
    )
    figure.suptitle(
        f"Closed-loop load, logged-in clients (wrk), median of {parameters['rounds']} round(s)\n"
        f"{report['machine']['cpus']} CPUs, {report['date'][:10]}, database "
        f"{parameters['database'].split('://')[0]}",
        fontsize=12,
    )
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
