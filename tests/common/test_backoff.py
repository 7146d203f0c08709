from __future__ import annotations

import random

import pytest

from src.common.backoff import Backoff


def test_the_ceiling_doubles_from_base_up_to_the_cap() -> None:
    backoff = Backoff(0.5, 10)
    assert [backoff.ceiling(n) for n in range(0, 8)] == [0.5, 0.5, 1, 2, 4, 8, 10, 10]
    assert backoff.ceiling(10_000) == 10  # no overflow however many failures


def test_a_cap_below_the_base_caps_every_wait() -> None:
    assert Backoff(2.0, 1.0).ceiling(1) == 1.0


def test_full_jitter_draws_below_the_ceiling() -> None:
    backoff, rng = Backoff(1, 30), random.Random(3)
    draws = [backoff.jittered(4, rng) for _ in range(200)]
    assert all(0 <= draw <= 8 for draw in draws)
    assert len(set(draws)) > 100


@pytest.mark.parametrize(("base", "cap"), [(0, 1), (1, 0), (-1, 5)])
def test_a_wait_that_is_not_positive_is_refused(base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Backoff(base, cap)
