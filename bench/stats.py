"""Latency statistics of a benchmark: nearest-rank percentiles and how far to trust them.

Percentiles are nearest rank, so every figure reported is a latency some request really had.
`rank_interval` is the distribution-free 95% confidence interval of a percentile (which
order statistics it lies between, from the binomial law of the number of samples under the
true quantile): with 500 samples the p99 is only known to lie between the 490th and the
500th sample, which is why the benchmarks report how many samples each figure stands on.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PERCENTILES", "Summary", "percentile", "rank_interval", "summarize"]

PERCENTILES = (0.50, 0.95, 0.99)
Z_95 = 1.959964


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` by nearest rank (a real sample, never a blend)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def rank_interval(count: int, fraction: float) -> tuple[int, int]:
    """1-based ranks of the samples between which the true `fraction` quantile lies (95%).

    The number of samples below the true quantile is Binomial(count, fraction); its normal
    approximation gives the ranks, clamped to the samples there are.
    """
    if count < 1:
        raise ValueError("no samples")
    centre = count * fraction
    spread = Z_95 * math.sqrt(count * fraction * (1 - fraction))
    low = max(1, math.floor(centre - spread))
    high = min(count, math.ceil(centre + spread) + 1)
    return low, high


@dataclass(frozen=True, slots=True)
class Summary:
    """Latencies of one group of requests, in milliseconds, and their rate."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    per_second: float
    p99_range_ms: tuple[float, float]  # 95% confidence interval of the p99


def summarize(latencies: Sequence[float], seconds: float) -> Summary:
    """Summary of `latencies` (seconds each) completed over `seconds` of wall time."""
    ordered = sorted(latencies)
    low, high = rank_interval(len(ordered), 0.99)

    def ms(value: float) -> float:
        return round(value * 1000, 2)

    p50, p95, p99 = (percentile(ordered, fraction) for fraction in PERCENTILES)
    return Summary(
        count=len(ordered),
        p50_ms=ms(p50),
        p95_ms=ms(p95),
        p99_ms=ms(p99),
        mean_ms=ms(statistics.fmean(ordered)),
        max_ms=ms(ordered[-1]),
        per_second=round(len(ordered) / seconds, 2) if seconds > 0 else 0.0,
        p99_range_ms=(ms(ordered[low - 1]), ms(ordered[high - 1])),
    )
