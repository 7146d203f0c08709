"""The web database's units of work: writers of every process take turns, reads see commits."""

from __future__ import annotations

import asyncio
import fcntl
import os

from sqlalchemy.engine import make_url

from src.web.data import outbox
from src.web.database import Database
from tests.support.outbox import all_outbox_rows, put_leftovers


async def test_a_writer_waits_for_the_write_lock_another_process_holds(sqlite_url: str) -> None:
    """Writers of all web processes queue on one file lock (the kernel wakes the next one at
    once), so a write starts only when the writer before it, in any process, is done."""
    ids = await put_leftovers(sqlite_url, 2)
    path = f"{make_url(sqlite_url).database}.write-lock"
    database = Database(sqlite_url)
    other_process = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        write = asyncio.create_task(database.write(outbox.delete_entries, [ids[0]]))
        await asyncio.sleep(0.2)
        assert not write.done()
        assert await database.read(outbox.count) == 2  # reads do not wait for writers
        fcntl.flock(other_process, fcntl.LOCK_UN)
        assert await write == 1
        assert [row.id for row in await database.read(all_outbox_rows)] == [ids[1]]
    finally:
        os.close(other_process)
        await database.close()


async def test_two_processes_writing_at_once_lose_nothing(sqlite_url: str) -> None:
    ids = await put_leftovers(sqlite_url, 40)
    first, second = Database(sqlite_url), Database(sqlite_url)
    try:
        deleted = await asyncio.gather(
            *(
                (first if n % 2 else second).write(outbox.delete_entries, [event_id])
                for n, event_id in enumerate(ids)
            )
        )
        assert deleted == [1] * 40
        assert await first.read(outbox.count) == 0
    finally:
        await first.close()
        await second.close()
