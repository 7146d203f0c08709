from __future__ import annotations

import pytest

from src.activity.chaos import Chaos, ChaosInvalid
from src.common.settings import MAX_SLEEP_TIME, SettingsError, load_settings


def test_update_changes_only_what_is_given() -> None:
    chaos = Chaos(sleep_time=0.5, fail_rate=0.1)
    chaos.update({"fail_rate": 0.25})
    assert chaos.as_dict() == {"sleep_time": 0.5, "fail_rate": 0.25}
    chaos.update({"sleep_time": 0})
    assert chaos.as_dict() == {"sleep_time": 0.0, "fail_rate": 0.25}


def test_a_bad_update_changes_nothing() -> None:
    chaos = Chaos(sleep_time=0.5, fail_rate=0.1)
    with pytest.raises(ChaosInvalid) as caught:
        chaos.update({"sleep_time": 2, "fail_rate": 7, "extra": 1})
    assert set(caught.value.fields) == {"fail_rate", "extra"}
    assert chaos.as_dict() == {"sleep_time": 0.5, "fail_rate": 0.1}


def test_fail_rate_zero_never_fails_and_one_always_does() -> None:
    assert not any(Chaos(fail_rate=0).should_fail() for _ in range(1000))
    assert all(Chaos(fail_rate=1).should_fail() for _ in range(1000))


def test_update_checks_only_the_values_sent() -> None:
    """With SLEEP_TIME=120 (allowed at start once), `{"fail_rate": 0.5}` was a 400 naming
    sleep_time, the value the client had not sent."""
    chaos = Chaos(sleep_time=120.0, fail_rate=0.1)
    chaos.update({"fail_rate": 0.5})
    assert chaos.as_dict() == {"sleep_time": 120.0, "fail_rate": 0.5}


def test_start_and_run_time_share_one_sleep_time_limit() -> None:
    assert load_settings(sleep_time=MAX_SLEEP_TIME).sleep_time == MAX_SLEEP_TIME
    Chaos().update({"sleep_time": MAX_SLEEP_TIME})
    with pytest.raises(SettingsError, match=r"^SLEEP_TIME="):
        load_settings(sleep_time=MAX_SLEEP_TIME + 0.5)
    with pytest.raises(ChaosInvalid) as caught:
        Chaos().update({"sleep_time": MAX_SLEEP_TIME + 0.5})
    assert set(caught.value.fields) == {"sleep_time"}
