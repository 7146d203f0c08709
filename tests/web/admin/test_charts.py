"""The overview's SVG charts, from series as `OpsService.overview()` gives them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from src.web.admin.charts import HEIGHT, latency_chart, nice_ceiling, throughput_chart


def _minute(done: int = 0, retried: int = 0, failed: int = 0, latency: float | None = None) -> Any:
    return {
        "minute": 0,
        "done": done,
        "retried": retried,
        "failed": failed,
        "mean_latency": latency,
    }


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (250, 500), (0.03, 0.05)]
)
def test_nice_ceiling(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_throughput_stacks_done_retried_and_failed() -> None:
    svg = str(throughput_chart([_minute(), _minute(done=6, retried=2, failed=2)]))
    heights = {
        css: float(height)
        for css, height in re.findall(r'<rect class="(bar-\w+)"[^>]* height="([\d.]+)"', svg)
    }
    plot = HEIGHT - 10 - 24
    assert heights == pytest.approx(
        {"bar-done": plot * 0.6, "bar-retried": plot * 0.2, "bar-failed": plot * 0.2}, abs=0.1
    )
    assert ">10/min</text>" in svg
    assert "2 min ago" in svg


def test_latency_leaves_gaps_where_nothing_was_delivered() -> None:
    series = [_minute(latency=0.004), _minute(latency=0.008), _minute(), _minute(latency=0.002)]
    svg = str(latency_chart(series))
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 3
    assert ">10 ms</text>" in svg
    assert "<title>8.0 ms</title>" in svg


def test_empty_series_draw_an_empty_frame() -> None:
    for chart in (throughput_chart, latency_chart):
        svg = str(chart([_minute()] * 60))
        assert "<rect" not in svg
        assert "<circle" not in svg
        assert "60 min ago" in svg
