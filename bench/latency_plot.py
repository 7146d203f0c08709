"""The latency experiment as one picture: latency against SLEEP_TIME, a line per mode, a
panel per action (a login's password hashing would hide everything else in one panel).

p50 solid, p99 dashed, log-scale latency so that 5 ms and 2 s fit on one chart; a grey
line marks SLEEP_TIME itself, the floor of a synchronous action. Drawn with matplotlib's
Agg backend (no display needed) from the report's JSON dictionary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.latency_points import actions_of

__all__ = ["write_plot"]

COLOURS = {"off": "#4c72b0", "sync": "#c44e52", "async": "#55a868"}


def _duration(milliseconds: float, _position: object) -> str:
    return f"{milliseconds:g} ms" if milliseconds < 1000 else f"{milliseconds / 1000:g} s"


def _subtitle(report: dict[str, Any]) -> str:
    parameters = report["parameters"]
    users = f"{parameters['clients']} user{'s' if parameters['clients'] != 1 else ''}"
    offered = f"{parameters['rate']:g} actions/s offered" if parameters["rate"] else "no think time"
    return (
        f"{users}, {offered}, placement {parameters['placement']['name']}, "
        f"{report['machine']['cpus']} CPUs, {report['date'][:10]}"
    )


def write_plot(report: dict[str, Any], path: Path) -> None:
    """Draw the report's points into a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter, LogLocator

    points = report["points"]
    actions = actions_of(points) or ["all"]
    shares = report["parameters"].get("mix", {})
    sleep_times = sorted({p["sleep_time"] for p in points})
    figure, panels = pyplot.subplots(
        1, len(actions), figsize=(4.6 * len(actions) + 1, 5.8), dpi=110, sharey=True,
        squeeze=False,
    )  # fmt: skip
    for axes, action in zip(panels[0], actions, strict=True):
        for mode in dict.fromkeys(p["mode"] for p in points):
            mine = sorted((p for p in points if p["mode"] == mode and action in p["actions"]),
                          key=lambda p: p["sleep_time"])  # fmt: skip
            xs = [p["sleep_time"] for p in mine]
            for quantile, style, marker in (("p50", "-", "o"), ("p99", "--", "^")):
                ys = [p["actions"][action][f"{quantile}_ms"] for p in mine]
                axes.plot(xs, ys, style, color=COLOURS.get(mode, "black"), marker=marker,
                          markersize=5, label=f"{mode} {quantile}")  # fmt: skip
        floor = [s for s in sleep_times if s > 0]
        if floor:
            axes.plot(floor, [s * 1000 for s in floor], ":", color="grey", linewidth=1,
                      label="SLEEP_TIME itself")  # fmt: skip
        share = f" ({shares[action]:.0%} of actions)" if action in shares else ""
        axes.set_title(f"{action}{share}", fontsize=11)
        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_minor_locator(LogLocator(base=10, subs="auto"))
        axes.yaxis.set_major_formatter(FuncFormatter(_duration))
        axes.set_xticks(sleep_times)
        axes.set_xticklabels([f"{s:g}" for s in sleep_times])
        axes.set_xlabel("SLEEP_TIME of the activity service (s)")
        axes.grid(True, which="major", alpha=0.35)
        axes.grid(True, which="minor", axis="y", alpha=0.1)
    panels[0][0].set_ylabel("latency as the user sees it (log scale)")
    handles, labels = panels[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)
    figure.suptitle(
        "Latency of web actions with a slow activity service, by ACTIVITY_MODE\n"
        + _subtitle(report),
        fontsize=12,
    )
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
