from __future__ import annotations

import pytest

from bench.stats import percentile, rank_interval, summarize

ONE_TO_HUNDRED = [float(n) for n in range(1, 101)]


def test_percentiles_are_real_samples_by_nearest_rank() -> None:
    shuffled = ONE_TO_HUNDRED[50:] + ONE_TO_HUNDRED[:50]
    assert percentile(shuffled, 0.50) == 50.0
    assert percentile(shuffled, 0.95) == 95.0
    assert percentile(shuffled, 0.99) == 99.0
    assert percentile(shuffled, 1.0) == 100.0
    assert percentile(shuffled, 0.0) == 1.0
    assert percentile([7.0], 0.99) == 7.0
    # Nearest rank never blends two samples: p50 of four values is the second one.
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0


def test_percentiles_refuse_nothing_and_nonsense() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 99)


def test_the_confidence_interval_of_a_quantile_is_the_classic_one() -> None:
    assert rank_interval(100, 0.5) == (40, 61)  # the textbook ranks for a median of 100
    assert rank_interval(500, 0.99) == (490, 500)  # p99 of 500 samples: the top 11
    assert rank_interval(1, 0.99) == (1, 1)
    with pytest.raises(ValueError, match="no samples"):
        rank_interval(0, 0.5)


def test_a_summary_is_in_milliseconds_with_its_rate() -> None:
    summary = summarize([n / 1000 for n in ONE_TO_HUNDRED], seconds=4.0)
    assert summary.count == 100
    assert (summary.p50_ms, summary.p95_ms, summary.p99_ms) == (50.0, 95.0, 99.0)
    assert summary.mean_ms == 50.5
    assert summary.max_ms == 100.0
    assert summary.per_second == 25.0
    assert summary.p99_range_ms == (97.0, 100.0)  # ranks 97..100 of 100
