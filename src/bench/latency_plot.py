"""The latency experiment as one picture: latency against SLEEP_TIME, a line per mode.

p50 solid, p99 dashed, log-scale latency so that 5 ms and 2 s fit on one chart; a grey
line marks SLEEP_TIME itself, the floor of a synchronous action. Drawn with matplotlib's
Agg backend (no display needed) from the report's JSON dictionary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["write_plot"]

COLOURS = {"off": "#4c72b0", "sync": "#c44e52", "async": "#55a868"}


def _duration(milliseconds: float, _position: object) -> str:
    return f"{milliseconds:g} ms" if milliseconds < 1000 else f"{milliseconds / 1000:g} s"


def write_plot(report: dict[str, Any], path: Path) -> None:
    """Draw the report's points into a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter, LogLocator

    figure, axes = pyplot.subplots(figsize=(9, 5.6), dpi=120)
    points = report["points"]
    sleep_times = sorted({p["sleep_time"] for p in points})
    for mode in dict.fromkeys(p["mode"] for p in points):
        mine = sorted((p for p in points if p["mode"] == mode and "all" in p["actions"]),
                      key=lambda p: p["sleep_time"])  # fmt: skip
        xs = [p["sleep_time"] for p in mine]
        colour = COLOURS.get(mode, "black")
        for quantile, style, marker in (("p50", "-", "o"), ("p99", "--", "^")):
            ys = [p["actions"]["all"][f"{quantile}_ms"] for p in mine]
            axes.plot(xs, ys, style, color=colour, marker=marker, markersize=5,
                      label=f"{mode} {quantile}")  # fmt: skip
    floor = [s for s in sleep_times if s > 0]
    if floor:
        axes.plot(floor, [s * 1000 for s in floor], ":", color="grey", linewidth=1,
                  label="SLEEP_TIME itself")  # fmt: skip
    axes.set_yscale("log")
    axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_minor_locator(LogLocator(base=10, subs="auto"))
    axes.yaxis.set_major_formatter(FuncFormatter(_duration))
    axes.set_xticks(sleep_times)
    axes.set_xticklabels([f"{s:g}" for s in sleep_times])
    axes.set_xlabel("SLEEP_TIME of the activity service (s)")
    axes.set_ylabel("latency of a web action (log scale)")
    parameters = report["parameters"]
    users = f"{parameters['clients']} user{'s' if parameters['clients'] != 1 else ''}"
    offered = f"{parameters['rate']:g} actions/s offered" if parameters["rate"] else "no think time"
    axes.set_title(
        f"Latency of a web action ({', '.join(parameters['mix'])}) vs a slow activity service\n"
        f"{users}, {offered}, "
        f"placement {parameters['placement']['name']}, {report['machine']['cpus']} CPUs, "
        f"{report['date'][:10]}",
        fontsize=11,
    )
    axes.grid(True, which="major", alpha=0.35)
    axes.grid(True, which="minor", axis="y", alpha=0.1)
    axes.legend(ncol=2, fontsize=9, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
