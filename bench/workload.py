"""The load: registered users doing a mix of actions, each waiting a think time in between.

A closed loop with think time, the way people use a site: each of the `clients` users does
one action, waits for its answer, thinks for a random time (exponential, mean
`clients / rate` seconds), and does the next. While the site answers fast, the users
together offer about `rate` actions a second whatever ACTIVITY_MODE is, so the modes are
compared under the same load; when the site is slow (sync mode, slow activity service)
the users simply wait, as people would, and fewer actions happen. `rate=0` drops the think
time: every user clicks again the moment the answer arrives, which saturates the machine
and measures throughput more than latency.

The random draws (actions, think times, posts voted on) come from one seeded generator per
user, so every point of a run sees the same sequence of actions.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from bench.site_user import ActionFailed, Outcome, SiteUser

__all__ = ["ACTIONS", "LoadResult", "Mix", "MixInvalid", "Sample", "run_load"]

ACTIONS = ("login", "post", "comment", "vote")
CATEGORIES = ("general", "python", "bench")
BODY = (
    "Measured on **two cores**, with the activity service asleep for a while.\n\n"
    "- one worker\n- one web process\n\nSee [the front page](/) for more."
)
ERROR_PAUSE = 0.1  # after a failed action, so a dead site does not spin the loop
RECENT_POSTS = 50  # votes and comments go to the newest posts, as on a front page


class MixInvalid(ValueError):
    """A `--mix` the benchmark cannot use; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Mix:
    """Relative weights of the actions, e.g. `vote=80,post=15,login=5`."""

    weights: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> Mix:
        """`action=weight,...` with actions from ACTIONS and weights >= 0, not all zero."""
        weights: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep or name not in ACTIONS:
                raise MixInvalid(f"{part!r}: give action=weight with actions {', '.join(ACTIONS)}")
            if name in weights:
                raise MixInvalid(f"{name!r} is given twice")
            try:
                weight = float(value)
            except ValueError:
                raise MixInvalid(f"{part!r}: {value!r} is not a number") from None
            if not 0 <= weight < float("inf"):
                raise MixInvalid(f"{part!r}: a weight is a number >= 0")
            weights[name] = weight
        if not weights or sum(weights.values()) <= 0:
            raise MixInvalid(f"{text!r}: give at least one action a weight above 0")
        return cls(tuple((name, weight) for name, weight in weights.items() if weight > 0))

    def shares(self) -> dict[str, float]:
        """Each action's fraction of all actions."""
        total = sum(weight for _, weight in self.weights)
        return {name: round(weight / total, 4) for name, weight in self.weights}

    def draw(self, rng: random.Random) -> str:
        """One action, with the mix's odds."""
        names, weights = zip(*self.weights, strict=True)
        return rng.choices(names, weights)[0]

    def __str__(self) -> str:
        return ",".join(f"{name}={weight:g}" for name, weight in self.weights)


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured action."""

    action: str
    request_id: str
    seconds: float


@dataclass(slots=True)
class LoadResult:
    """Measured samples, the request ids of warm-up actions too, failures, and wall time."""

    samples: list[Sample] = field(default_factory=list)
    warmup_request_ids: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def request_ids(self) -> list[str]:
        """Every action that succeeded, warm-up included: each must have made one event."""
        return self.warmup_request_ids + [sample.request_id for sample in self.samples]


class _Window:
    """When measuring starts and stops, shared by the users of one load."""

    def __init__(self, warmup: float, duration: float | None, requests: int | None) -> None:
        self.start = time.perf_counter() + warmup
        self.end = self.start + duration if duration is not None else float("inf")
        self.tickets = requests
        self.last_answer = self.start

    def admit(self, now: float) -> tuple[bool, bool]:
        """(go on, measured) for an action starting at `now`."""
        if now < self.start:
            return True, False
        if now >= self.end:
            return False, False
        if self.tickets is None:
            return True, True
        if self.tickets <= 0:
            return False, False
        self.tickets -= 1
        return True, True


async def _act(user: SiteUser, action: str, rng: random.Random, posts: list[int]) -> Outcome:
    if action == "login":
        return await user.log_in()
    if action == "post":
        title = f"{user.name}: notes {rng.randrange(10**6)}"
        outcome, post_id = await user.submit(title, BODY, rng.choice(CATEGORIES))
        posts.append(post_id)
        return outcome
    post_id = rng.choice(posts[-RECENT_POSTS:])
    if action == "comment":
        return await user.comment(post_id, f"Agreed, {rng.randrange(1000)} times over.")
    return await user.vote(post_id, rng.choice(("up", "down")))


async def _user_loop(
    user: SiteUser,
    rng: random.Random,
    mix: Mix,
    think_mean: float,
    posts: list[int],
    window: _Window,
    result: LoadResult,
) -> None:
    while True:
        if think_mean > 0:
            await asyncio.sleep(rng.expovariate(1 / think_mean))
        go_on, measured = window.admit(time.perf_counter())
        if not go_on:
            return
        action = mix.draw(rng)
        try:
            outcome = await _act(user, action, rng, posts)
        except (ActionFailed, aiohttp.ClientError, TimeoutError) as exc:
            result.errors[f"{action}: {exc or type(exc).__name__}"] += 1
            await asyncio.sleep(ERROR_PAUSE)
            continue
        if measured:
            result.samples.append(Sample(action, outcome.request_id, outcome.seconds))
            window.last_answer = max(window.last_answer, time.perf_counter())
        else:
            result.warmup_request_ids.append(outcome.request_id)


async def run_load(
    users: list[SiteUser],
    posts: list[int],
    *,
    mix: Mix,
    rate: float,
    warmup: float,
    duration: float | None = None,
    requests: int | None = None,
    seed: int = 0,
) -> LoadResult:
    """Drive `users` for `warmup` seconds, then measure for `duration` seconds or `requests`
    actions; actions that started in the window are waited for and measured."""
    if (duration is None) == (requests is None):
        raise ValueError("give either duration or requests")
    if not posts:
        raise ValueError("votes and comments need at least one post")
    think_mean = len(users) / rate if rate > 0 else 0.0
    window = _Window(warmup, duration, requests)
    result = LoadResult()
    await asyncio.gather(
        *(
            _user_loop(
                user, random.Random(f"{seed}:{index}"), mix, think_mean, posts, window, result
            )
            for index, user in enumerate(users)
        )
    )
    result.seconds = max(window.last_answer - window.start, 1e-9)
    return result
