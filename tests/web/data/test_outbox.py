from __future__ import annotations

from datetime import timedelta

from src.common.events import ActivityEvent
from src.web.data import outbox
from src.web.database import Database
from src.web.models import OutboxEntry, utcnow


def _event(n: int) -> ActivityEvent:
    return ActivityEvent.new(
        "post.vote", details=f"event {n}", user_id=n, username=f"u{n}", data={"n": n}
    )


async def test_rows_keep_the_event_and_go_when_deleted(database: Database) -> None:
    events = [_event(n) for n in range(3)]
    async with database.write() as session:
        for event in events:
            await outbox.add(session, event)
    async with database.read() as session:
        assert await outbox.count(session) == 3
        stored = await session.get(OutboxEntry, str(events[0].id))
        assert stored is not None
        assert stored.event == events[0].to_json_dict()
    async with database.write() as session:
        assert await outbox.delete_entries(session, [str(events[0].id), "not-there"]) == 1
        assert await outbox.delete_entries(session, []) == 0
    async with database.read() as session:
        assert await outbox.count(session) == 2


async def test_a_rolled_back_action_leaves_no_row(database: Database) -> None:
    class Boom(Exception):
        pass

    try:
        async with database.write() as session:
            await outbox.add(session, _event(1))
            raise Boom
    except Boom:
        pass
    async with database.read() as session:
        assert await outbox.count(session) == 0


async def test_leftovers_are_failed_rows_and_old_untried_ones(database: Database) -> None:
    fresh, failed, old = _event(1), _event(2), _event(3)
    async with database.write() as session:
        for event in (fresh, failed, old):
            await outbox.add(session, event)
        await session.flush()
        (await session.get(OutboxEntry, str(old.id))).created = utcnow() - timedelta(minutes=5)  # type: ignore[union-attr]
    async with database.write() as session:
        await outbox.record_failure(session, str(failed.id), "redis down " * 500)
    async with database.read() as session:
        left = await outbox.leftovers(
            session, fresh_since=utcnow() - timedelta(seconds=30), limit=10
        )
        entry = await session.get(OutboxEntry, str(failed.id))
    assert [e.id for e in left] == [str(old.id), str(failed.id)]
    assert entry is not None
    assert entry.attempts == 1
    assert len(entry.last_error or "") == 2000
