from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from src.jobs.worker.retry_delay import backoff_ceiling, retry_delay


def test_the_ceiling_doubles_from_base_until_the_cap() -> None:
    ceilings = [backoff_ceiling(n, base=0.5, cap=300) for n in range(1, 13)]
    assert ceilings[:10] == [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert ceilings[10:] == [300, 300]


def test_a_very_late_try_stays_at_the_cap() -> None:
    assert backoff_ceiling(1_000, base=0.5, cap=300) == 300


@given(
    job_try=st.integers(min_value=1, max_value=2_000),
    base=st.floats(min_value=0.001, max_value=10),
    cap=st.floats(min_value=0.001, max_value=3_600),
    seed=st.integers(),
)
def test_full_jitter_stays_between_zero_and_the_ceiling(
    job_try: int, base: float, cap: float, seed: int
) -> None:
    delay = retry_delay(job_try, base=base, cap=cap, rng=random.Random(seed))
    assert delay.source == "backoff"
    assert 0 <= delay.seconds <= delay.ceiling <= cap
    assert delay.ceiling == min(cap, base * 2 ** min(job_try - 1, 64))


def test_jitter_spreads_the_waits() -> None:
    rng = random.Random(7)
    draws = {retry_delay(6, base=0.5, cap=300, rng=rng).seconds for _ in range(50)}
    assert len(draws) == 50
    assert min(draws) < 4 < max(draws) <= 16


@given(
    job_try=st.integers(min_value=1, max_value=40),
    retry_after=st.floats(min_value=0, max_value=600),
    seed=st.integers(),
)
def test_retry_after_is_a_floor_under_the_jitter_and_the_cap_still_holds(
    job_try: int, retry_after: float, seed: int
) -> None:
    delay = retry_delay(
        job_try, base=0.5, cap=300, retry_after=retry_after, rng=random.Random(seed)
    )
    assert delay.source == "retry-after"
    assert min(retry_after, 300) <= delay.seconds <= min(retry_after + delay.ceiling, 300)


def test_a_negative_retry_after_counts_as_none() -> None:
    delay = retry_delay(3, base=0.5, cap=300, retry_after=-5, rng=random.Random(1))
    assert 0 <= delay.seconds <= delay.ceiling == 2
