"""`stop_task` ends a background task even when the task loses a cancellation."""

from __future__ import annotations

import asyncio
import contextlib

from src.common.tasks import stop_task


async def _loses_first_cancel(laps: list[int]) -> None:
    """Loops like a background evaluator whose library once absorbed a cancellation."""
    swallowed = False
    while True:
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed = True  # what redis-py's zero-second read timeout did to one cancel:
            current = asyncio.current_task()  # asyncio.timeout took it back as its own
            assert current is not None
            current.uncancel()
        laps.append(1)


async def _ignores_cancels(release: asyncio.Event) -> None:
    """Deaf to cancellation until `release` is set."""
    while not release.is_set():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.01)


async def test_a_task_that_loses_one_cancellation_still_stops() -> None:
    laps: list[int] = []
    task = asyncio.create_task(_loses_first_cancel(laps))
    await asyncio.sleep(0.05)
    assert await stop_task(task) is True
    assert task.cancelled()


async def test_one_plain_cancel_does_not_stop_it() -> None:
    """The reason stop_task exists: a single cancel leaves such a task running."""
    task = asyncio.create_task(_loses_first_cancel([]))
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=0.3)
    assert not done
    assert await stop_task(task) is True


async def test_cleanup_on_the_way_out_is_not_cancelled_again() -> None:
    """A pipeline handing its connection back must not be cut short by a second cancel."""
    cleaning, release = asyncio.Event(), asyncio.Event()
    cleaned: list[bool] = []

    async def cleans_up_slowly() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaning.set()
            await release.wait()
            cleaned.append(True)

    task = asyncio.create_task(cleans_up_slowly())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(stop_task(task))
    await cleaning.wait()
    await asyncio.sleep(0.3)  # several check intervals of stop_task
    release.set()
    assert await stopping is True
    assert cleaned == [True]


async def test_a_task_that_never_stops_is_left_after_the_grace() -> None:
    release = asyncio.Event()
    task = asyncio.create_task(_ignores_cancels(release))
    await asyncio.sleep(0.05)  # running, so a cancel reaches its loop
    try:
        assert await stop_task(task, grace=0.3) is False
        assert not task.done()
    finally:
        release.set()
        await asyncio.wait([task])


async def test_a_finished_or_missing_task_is_fine() -> None:
    async def boom() -> None:
        raise RuntimeError("failed on its own")

    task = asyncio.create_task(boom())
    await asyncio.wait([task])
    assert await stop_task(task) is True
    assert await stop_task(None) is True
