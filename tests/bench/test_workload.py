from __future__ import annotations

import random
from collections import Counter

import pytest

from bench.workload import Mix, MixInvalid


def test_a_mix_keeps_its_weights_and_their_shares() -> None:
    mix = Mix.parse("vote=80, post=15,login=5,comment=0")
    assert mix.weights == (("vote", 80.0), ("post", 15.0), ("login", 5.0))
    assert mix.shares() == {"vote": 0.8, "post": 0.15, "login": 0.05}
    assert str(mix) == "vote=80,post=15,login=5"


def test_a_mix_draws_only_its_actions_with_its_odds() -> None:
    assert {Mix.parse("vote=1").draw(random.Random(1)) for _ in range(50)} == {"vote"}
    rng = random.Random(7)
    drawn = Counter(Mix.parse("vote=3,post=1").draw(rng) for _ in range(4000))
    assert set(drawn) == {"vote", "post"}
    assert drawn["vote"] > 2 * drawn["post"]  # 3:1 expected; far from it only by bad seeding


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one action"),
        ("vote=0", "at least one action"),
        ("vote", "give action=weight"),
        ("dance=3", "give action=weight"),
        ("vote=x", "'x' is not a number"),
        ("vote=-1", "a weight is a number >= 0"),
        ("vote=inf", "a weight is a number >= 0"),
        ("vote=1,vote=2", "given twice"),
    ],
)
def test_a_bad_mix_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(MixInvalid, match=message):
        Mix.parse(text)
