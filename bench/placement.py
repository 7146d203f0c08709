"""Which CPUs each process of a benchmark may use, and at which priority.

In production the web process has its cores to itself, and the worker, the activity service
and Redis run on other machines. A benchmark on one small machine cannot have that, but it
can come close: `pinned` gives the process under test (web, or the worker for throughput)
a core of its own, puts the load generator and Redis on another, and runs the background
services there too at `nice` 19, so that they use what the load generator leaves idle and
never delay it. `shared` lets every process run anywhere at the same priority: everything
competes for every core, as on a laptop running the whole suite.

Children get their place before they run any code (`placed_command` wraps the command in a
tiny launcher that sets affinity and niceness, then `exec`s it). Processes started by others
(the embedded Redis) are placed thread by thread once they run (`place_running`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "BACKGROUND_NICE",
    "Place",
    "Placement",
    "PlacementUnavailable",
    "available_cpus",
    "pinned_self",
    "place_running",
    "placed_command",
    "plan",
]

PlacementName = Literal["pinned", "shared"]
BACKGROUND_NICE = 19

# Runs in the child: set affinity and niceness, then become the real command (same pid).
_LAUNCHER = (
    "import os, sys; cpus = {int(c) for c in sys.argv[1].split(',') if c}; "
    "cpus and os.sched_setaffinity(0, cpus); os.nice(int(sys.argv[2])); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


class PlacementUnavailable(ValueError):
    """The machine cannot give the processes the places asked for."""


@dataclass(frozen=True, slots=True)
class Place:
    """The CPUs a process may run on (empty: any) and its niceness."""

    cpus: tuple[int, ...] = ()
    nice: int = 0

    def describe(self) -> str:
        """`cpu 1, nice 19`, `any cpu`: for tables and the JSON."""
        where = f"cpu {','.join(map(str, self.cpus))}" if self.cpus else "any cpu"
        return f"{where}, nice {self.nice}" if self.nice else where


@dataclass(frozen=True, slots=True)
class Placement:
    """Places by role: `subject` (web, or the worker under test), `client` (load generator,
    and Redis with it), `background` (what production runs elsewhere)."""

    name: PlacementName
    subject: Place = field(default_factory=Place)
    client: Place = field(default_factory=Place)
    background: Place = field(default_factory=Place)

    def as_dict(self) -> dict[str, str]:
        """Each role's place, in words."""
        return {
            "name": self.name,
            "subject": self.subject.describe(),
            "client": self.client.describe(),
            "background": self.background.describe(),
        }


def available_cpus() -> list[int]:
    """The CPUs this process may use, in order."""
    return sorted(os.sched_getaffinity(0))


def plan(name: PlacementName, cpus: list[int] | None = None) -> Placement:
    """The placement `name` on `cpus` (default: the CPUs available to this process)."""
    cpus = available_cpus() if cpus is None else cpus
    if name == "shared":
        return Placement("shared")
    if len(cpus) < 2:
        raise PlacementUnavailable(
            f"--placement pinned needs at least 2 CPUs and this process may use {len(cpus)}; "
            "use --placement shared"
        )
    subject, client, *rest = cpus
    background = tuple(rest) or (client,)
    return Placement(
        "pinned",
        subject=Place((subject,)),
        client=Place((client,)),
        background=Place(background, BACKGROUND_NICE),
    )


def placed_command(command: list[str], place: Place) -> list[str]:
    """`command` wrapped so that it starts on `place` (unchanged for the default place)."""
    if not place.cpus and not place.nice:
        return command
    cpus = ",".join(map(str, place.cpus))
    return [sys.executable, "-c", _LAUNCHER, cpus, str(place.nice), *command]


def place_running(pid: int, place: Place) -> None:
    """Move every thread of a running process to `place` (its new threads inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        tid = int(task.name)
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            if place.cpus:
                os.sched_setaffinity(tid, place.cpus)
            if place.nice:
                os.setpriority(os.PRIO_PROCESS, tid, place.nice)


@contextlib.contextmanager
def pinned_self(place: Place) -> Iterator[None]:
    """Run this process's threads on `place.cpus` inside the block, then give them back
    the CPUs they had (a test run in-process must not leave pytest on one core)."""
    if not place.cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    place_running(os.getpid(), Place(place.cpus))
    try:
        yield
    finally:
        place_running(os.getpid(), Place(tuple(before)))
