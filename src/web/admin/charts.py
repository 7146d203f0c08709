"""Server-side SVG charts of the overview: deliveries per minute and their mean latency.

Both take `OpsService.overview()["series"]` (one dict per minute, oldest first) and answer
an inline `<svg>` that needs no script and no chart library. `admin.js` redraws the same
charts with the same geometry (`WIDTH`, `HEIGHT`, the margins) from each poll of
`/api/ops/overview`, so the page and its updates look alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

__all__ = ["latency_chart", "nice_ceiling", "throughput_chart"]

WIDTH = 640
HEIGHT = 200
LEFT = 52  # room for the y labels
RIGHT = 8
TOP = 10
BOTTOM = 24  # room for the x labels
# Stacked from the bottom: what was delivered, then retried, then dead-lettered.
BAR_PARTS = (("done", "bar-done"), ("retried", "bar-retried"), ("failed", "bar-failed"))


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n at or above `value` (1 for nothing), for the y axis."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power + 1e-9:
            return float(step * power)
    return 10 * power  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def _frame(top: float, unit: str, minutes: int, scale: float = 1.0) -> list[str]:
    """Gridlines at 0, half and top, their labels (divided by `scale`), and the time axis."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for share in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - share)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        label = _number(top * share / scale) + (unit if share else "")
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    bottom = HEIGHT - 6
    parts.append(f'<text class="axis" x="{LEFT}" y="{bottom}">{minutes} min ago</text>')
    parts.append(
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{bottom}" text-anchor="end">now</text>'
    )
    return parts


def _svg(name: str, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    return Markup(  # noqa: S704 - built from numbers and fixed words only
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{title}" preserveAspectRatio="none"><title>{title}</title>{body}</svg>'
    )


def throughput_chart(series: Sequence[dict[str, Any]]) -> Markup:
    """Stacked bars per minute: delivered, retried and dead-lettered."""
    count = max(len(series), 1)
    totals = [sum(int(minute[key]) for key, _ in BAR_PARTS) for minute in series]
    top = nice_ceiling(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    parts = _frame(top, "/min", len(series))
    for index, minute in enumerate(series):
        x = LEFT + index * slot + slot * 0.1
        base = 0.0
        for key, css in BAR_PARTS:
            value = int(minute[key])
            if value <= 0:
                continue
            height = plot_h * value / top
            y = TOP + plot_h - plot_h * base / top - height
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
                f'height="{height:.1f}"><title>{value} {key}</title></rect>'
            )
            base += value
    return _svg("throughput", "Deliveries per minute over the last hour", parts)


def latency_chart(series: Sequence[dict[str, Any]]) -> Markup:
    """The mean delivery latency per minute (enqueue to stored), in milliseconds; minutes
    with no delivery leave a gap."""
    count = max(len(series), 1)
    values = [
        None if minute["mean_latency"] is None else float(minute["mean_latency"]) * 1000
        for minute in series
    ]
    top = nice_ceiling(max((value for value in values if value is not None), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    scale, unit = (1000.0, " s") if top >= 1000 else (1.0, " ms")
    parts = _frame(top, unit, len(series), scale)
    segment: list[str] = []
    for index, value in enumerate([*values, None]):
        if value is None:
            if segment:
                parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        x = LEFT + index * slot + slot / 2
        y = TOP + plot_h - plot_h * min(value, top) / top
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
            f"<title>{value:.1f} ms</title></circle>"
        )
    return _svg("latency", "Mean delivery latency per minute over the last hour", parts)
