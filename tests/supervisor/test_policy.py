from __future__ import annotations

from src.supervisor.policy import RestartPolicy


def test_restarts_back_off_exponentially_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay=1, max_delay=5, max_restarts=10)
    assert [policy.after_exit(lived=0.5) for _ in range(5)] == [1, 2, 4, 5, 5]


def test_a_run_that_lasted_resets_the_backoff() -> None:
    policy = RestartPolicy(first_delay=1, stable_after=30)
    assert policy.after_exit(lived=1) == 1
    assert policy.after_exit(lived=1) == 2
    assert policy.after_exit(lived=30) == 1
    assert policy.restarts == 1


def test_it_gives_up_after_max_restarts_of_a_service_dying_young() -> None:
    policy = RestartPolicy(max_restarts=2, stable_after=30)
    assert policy.after_exit(lived=1) is not None
    assert policy.after_exit(lived=1) is not None
    assert policy.after_exit(lived=1) is None


def test_defaults_are_what_the_readme_promises() -> None:
    policy = RestartPolicy()
    delays = [policy.after_exit(lived=0) for _ in range(6)]
    assert delays == [1, 2, 4, 8, 16, None]
