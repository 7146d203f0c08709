from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, update

from src.common.events import ActivityEvent
from src.web.data import outbox
from src.web.database import Database
from src.web.models import outbox as outbox_table
from src.web.models import utcnow
from tests.support.outbox import all_outbox_rows


def _event(n: int) -> ActivityEvent:
    return ActivityEvent.new(
        "post.vote", details=f"event {n}", user_id=n, username=f"u{n}", data={"n": n}
    )


def _add_all(connection: Connection, events: list[ActivityEvent]) -> None:
    for event in events:
        outbox.add(connection, event)


async def test_rows_keep_the_event_and_go_when_deleted(database: Database) -> None:
    events = [_event(n) for n in range(3)]
    await database.write(_add_all, events)
    assert await database.read(outbox.count) == 3
    stored = {row.id: row for row in await database.read(all_outbox_rows)}
    assert stored[str(events[0].id)].event == events[0].to_json_dict()
    assert await database.write(outbox.delete_entries, [str(events[0].id), "not-there"]) == 1
    assert await database.write(outbox.delete_entries, []) == 0
    assert await database.read(outbox.count) == 2


async def test_a_rolled_back_action_leaves_no_row(database: Database) -> None:
    class Boom(Exception):
        pass

    def add_then_fail(connection: Connection) -> None:
        outbox.add(connection, _event(1))
        raise Boom

    with pytest.raises(Boom):
        await database.write(add_then_fail)
    assert await database.read(outbox.count) == 0


async def test_leftovers_are_failed_rows_and_old_untried_ones(database: Database) -> None:
    fresh, failed, old = _event(1), _event(2), _event(3)

    def add_one_old(connection: Connection) -> None:
        _add_all(connection, [fresh, failed, old])
        connection.execute(
            update(outbox_table)
            .where(outbox_table.c.id == str(old.id))
            .values(created=utcnow() - timedelta(minutes=5))
        )

    await database.write(add_one_old)
    await database.write(outbox.record_failure, str(failed.id), "redis down " * 500)
    left = await database.read(
        outbox.leftovers, fresh_since=utcnow() - timedelta(seconds=30), limit=10
    )
    entry = {row.id: row for row in await database.read(all_outbox_rows)}[str(failed.id)]
    assert [e.id for e in left] == [str(old.id), str(failed.id)]
    assert entry.attempts == 1
    assert len(entry.last_error or "") == 2000
