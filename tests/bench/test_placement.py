from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.placement import (
    BACKGROUND_NICE,
    Place,
    PlacementUnavailable,
    available_cpus,
    pinned_self,
    placed_command,
    plan,
)

REPORT = "import os; print(sorted(os.sched_getaffinity(0)), os.nice(0))"


def test_shared_places_nothing() -> None:
    placement = plan("shared", [0, 1])
    assert placement.subject == placement.client == placement.background == Place()
    assert placement.as_dict()["subject"] == "any cpu"


def test_pinned_on_two_cpus_gives_the_subject_a_core_and_shares_the_other() -> None:
    placement = plan("pinned", [0, 1])
    assert placement.subject == Place((0,))
    assert placement.client == Place((1,))
    assert placement.background == Place((1,), BACKGROUND_NICE)
    assert placement.as_dict() == {
        "name": "pinned",
        "subject": "cpu 0",
        "client": "cpu 1",
        "background": "cpu 1, nice 19",
    }


def test_pinned_on_more_cpus_gives_the_background_its_own() -> None:
    placement = plan("pinned", [2, 3, 4, 5])
    assert (placement.subject, placement.client) == (Place((2,)), Place((3,)))
    assert placement.background == Place((4, 5), BACKGROUND_NICE)


def test_pinned_needs_two_cpus() -> None:
    with pytest.raises(PlacementUnavailable, match=r"at least 2 CPUs.*--placement shared"):
        plan("pinned", [0])


def test_the_default_place_leaves_a_command_alone() -> None:
    assert placed_command(["/bin/true"], Place()) == ["/bin/true"]


def test_a_placed_command_starts_on_its_cpus_at_its_niceness() -> None:
    cpu = available_cpus()[-1]
    command = placed_command([sys.executable, "-c", REPORT], Place((cpu,), 5))
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
    assert done.stdout.split("] ") == [f"[{cpu}", f"{os.nice(0) + 5}\n"]


def test_pinned_self_gives_the_cpus_back() -> None:
    before = os.sched_getaffinity(0)
    cpu = available_cpus()[0]
    with pinned_self(Place((cpu,))):
        assert os.sched_getaffinity(0) == {cpu}
    assert os.sched_getaffinity(0) == before
