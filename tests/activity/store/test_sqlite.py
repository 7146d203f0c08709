"""What the SQLite store promises beyond the contract: durability, indexes, recovery."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from src.activity.store import ActivityQuery, SqliteStore, StoreUnavailable, store_from_url
from src.activity.store import sqlite as sqlite_module
from src.activity.store.sqlite import select_events
from src.activity.store.sqlite_schema import SCHEMA
from src.common.events import parse_event
from tests.activity.store.test_contract import TEXT_CASES
from tests.support.activity import event_body, sqlite_write_lock


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "db" / "activity.sqlite3", busy_timeout=0.2)
    await opened.open()
    yield opened
    await opened.close()


def plan(path: Path, sql: str, *params: object) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    conn.close()
    return " | ".join(row[-1] for row in rows)


async def test_the_file_and_its_directory_are_created_in_wal_mode(store: SqliteStore) -> None:
    await store.add(parse_event(event_body()))
    assert store.path.is_file()
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("user_id = 1", "events_by_user_id"),
        ("username = 'alice'", "events_by_username"),
        ("type = 'post.vote'", "events_by_type"),
        ("timestamp >= '2026'", "events_by_time"),
    ],
)
async def test_each_filter_has_an_index(store: SqliteStore, where: str, index: str) -> None:
    sql = f"SELECT body FROM events WHERE {where} ORDER BY timestamp DESC, id DESC LIMIT 5"  # noqa: S608
    assert index in plan(store.path, sql)


async def test_text_search_uses_the_full_text_index(store: SqliteStore) -> None:
    sql = "SELECT rowid FROM events_fts WHERE events_fts MATCH ?"
    assert "VIRTUAL TABLE INDEX" in plan(store.path, sql, '"voted"')


async def test_events_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "activity.sqlite3"
    first = SqliteStore(path)
    await first.open()
    bodies = [event_body() for _ in range(20)]
    await asyncio.gather(*(first.add(parse_event(body)) for body in bodies))
    await first.close()
    second = SqliteStore(path)
    await second.open()
    try:
        assert await second.count() == 20
        for body in bodies:
            assert await second.get(body["id"]) is not None
        assert not (await second.add(parse_event(bodies[0]))).created
    finally:
        await second.close()


async def test_close_finishes_the_writes_already_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "activity.sqlite3"
    store = SqliteStore(path)
    await store.open()
    pending = [asyncio.ensure_future(store.add(parse_event(event_body()))) for _ in range(30)]
    await asyncio.sleep(0)  # let every add queue its write
    await store.close()
    assert all(task.result().created for task in pending)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 30
    conn.close()
    with pytest.raises(StoreUnavailable):
        await store.add(parse_event(event_body()))


async def test_reads_go_on_while_another_process_holds_the_write_lock(
    store: SqliteStore,
) -> None:
    stored = (await store.add(parse_event(event_body()))).event
    with sqlite_write_lock(store.path):
        with pytest.raises(StoreUnavailable, match="locked"):
            await store.add(parse_event(event_body()))
        assert await store.get(stored["id"]) == stored
        assert len(await store.find(ActivityQuery())) == 1


async def test_an_unreachable_file_is_unavailable_until_it_is_reachable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database directory should be")
    store = SqliteStore(blocker / "activity.sqlite3")
    await store.open()
    try:
        with pytest.raises(StoreUnavailable, match="cannot open"):
            await store.ping()
        with pytest.raises(StoreUnavailable, match="cannot open"):
            await store.add(parse_event(event_body()))
        with pytest.raises(StoreUnavailable, match="cannot open"):
            await store.count()
        blocker.unlink()
        await store.ping()
        assert (await store.add(parse_event(event_body()))).created
        assert await store.count() == 1
    finally:
        await store.close()


def test_the_url_names_the_file() -> None:
    store = store_from_url("sqlite:////srv/wolfit/activity.sqlite3")
    assert isinstance(store, SqliteStore)
    assert store.path == Path("/srv/wolfit/activity.sqlite3")
    relative = store_from_url("sqlite:///var/activity.sqlite3")
    assert isinstance(relative, SqliteStore)
    assert relative.path == Path("var/activity.sqlite3")


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (ActivityQuery(username="ann", type="post.vote"), "events_by_username"),
        (ActivityQuery(user_id=7, type="post.vote"), "events_by_user_id"),
        (ActivityQuery(type="post.vote"), "events_by_type"),
        (ActivityQuery(username="ann"), "events_by_username"),
    ],
)
def test_a_user_filter_walks_the_users_events_not_a_whole_type(
    query: ActivityQuery, index: str
) -> None:
    """With no table statistics the planner would otherwise pick the type index for a
    user's votes and read every vote of the log (hundreds of ms at a million events)."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(SCHEMA)
    sql, params = select_events(query)
    plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert f"USING INDEX {index} " in plan
    connection.close()


@pytest.mark.parametrize("threshold", [3, 1_000], ids=["common-term-walk", "rare-term-index"])
async def test_text_search_finds_the_same_events_whether_the_term_is_common_or_rare(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """A term in many events is tested row by row, a rare one taken from the trigram index;
    both answer the same events, newest first, case-insensitively."""
    monkeypatch.setattr(sqlite_module, "COMMON_TERM_HITS", threshold)
    for minute in range(8):
        details = f"alice found the NeedLe {minute}" if minute % 2 else f"bob waited {minute}"
        kind = "post.vote" if minute < 6 else "post.create"
        await store.add(
            parse_event(
                event_body(
                    details=details, type=kind, timestamp=f"2026-11-22T10:0{minute}:00+00:00"
                )
            )
        )
    found = await store.find(ActivityQuery(q="needle"))
    assert [event["details"][-1] for event in found] == ["7", "5", "3", "1"]
    votes = await store.find(ActivityQuery(q="needle", type="post.vote", limit=1))
    assert [event["details"][-1] for event in votes] == ["5", "3"]  # a page and one more
    assert await store.find(ActivityQuery(q="haystack")) == []


def test_a_common_term_walks_the_newest_events_instead_of_collecting_every_match() -> None:
    connection = sqlite3.connect(":memory:")
    connection.create_function("casefold", 1, str.casefold, deterministic=True)
    connection.executescript(SCHEMA)
    query = ActivityQuery(q="number", type="post.vote")
    common, common_params = select_events(query, common_term=True)
    rare, rare_params = select_events(query)
    common_plan = " ".join(
        r[-1] for r in connection.execute(f"EXPLAIN QUERY PLAN {common}", common_params)
    )
    rare_plan = " ".join(
        r[-1] for r in connection.execute(f"EXPLAIN QUERY PLAN {rare}", rare_params)
    )
    assert "events_fts" not in common_plan
    assert "events_by_type" in common_plan
    assert "events_fts" in rare_plan
    connection.close()


async def test_a_statement_sqlite_refuses_is_an_error_not_an_outage(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a database that cannot serve is `StoreUnavailable` (a 503 that clients retry);
    a statement SQLite refuses is a bug, reported as one, and the read connection stays."""
    await store.find(ActivityQuery())
    reader = store._reader
    monkeypatch.setattr(
        sqlite_module,
        "select_events",
        lambda query, common_term=False: ("SELECT body FROM nowhere", []),
    )
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await store.find(ActivityQuery())
    assert store._reader is reader
    monkeypatch.undo()
    assert await store.find(ActivityQuery()) == []


@pytest.mark.parametrize("threshold", [0, 10**9], ids=["common-term-walk", "rare-term-index"])
@pytest.mark.parametrize(("details", "q", "matches"), TEXT_CASES)
async def test_both_search_paths_fold_text_the_same_way(
    store: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
    threshold: int,
    details: str,
    q: str,
    matches: bool,
) -> None:
    """The walk once casefolded in Python and the index folded as FTS5 does, so `STRASSE`
    found `Straße` only when the term was common."""
    monkeypatch.setattr(sqlite_module, "COMMON_TERM_HITS", threshold)
    wanted = (await store.add(parse_event(event_body(details=details)))).event
    await store.add(parse_event(event_body(details="nothing to see")))
    found = await store.find(ActivityQuery(q=q))
    assert [event["id"] for event in found] == ([wanted["id"]] if matches else [])


# The schema the store wrote before `search_text` (version 1), as files of that time have it.
SCHEMA_V1 = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, user_id INTEGER,
    username TEXT, timestamp TEXT NOT NULL, details TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (timestamp, id);
CREATE INDEX events_by_user_id ON events (user_id, timestamp, id);
CREATE INDEX events_by_username ON events (username, timestamp, id);
CREATE INDEX events_by_type ON events (type, timestamp, id);
CREATE VIRTUAL TABLE events_fts USING fts5(
    details, content='events', content_rowid='seq', tokenize='trigram'
);
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, details) VALUES (new.seq, new.details);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, details) VALUES ('delete', old.seq, old.details);
END;
PRAGMA user_version=1;
"""


def schema_1_file(path: Path, events: list[dict[str, object]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1)
        for event in events:
            conn.execute(
                "INSERT INTO events (id, type, user_id, username, timestamp, details, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*(event[key] for key in EVENT_COLUMNS), json.dumps(event)),
            )
    conn.close()


EVENT_COLUMNS = ("id", "type", "user_id", "username", "timestamp", "details")


@pytest.mark.parametrize("threshold", [0, 10**9], ids=["common-term-walk", "rare-term-index"])
async def test_a_schema_1_file_is_upgraded_at_start_and_keeps_its_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    monkeypatch.setattr(sqlite_module, "COMMON_TERM_HITS", threshold)
    path = tmp_path / "activity.sqlite3"
    old = [
        {**event_body(details=details), "received_at": "2026-11-22T10:01:12.000000+00:00"}
        for details in ("Straße 5", "İstanbul'da", "alice up-voted post 7")
    ]
    schema_1_file(path, old)
    store = SqliteStore(path)
    await store.open()
    try:
        assert await store.count() == 3
        assert await store.get(old[0]["id"]) == old[0]
        for q, index in [("STRASSE", 0), ("istanbul", 1), ("UP-VOTED", 2)]:
            assert [event["id"] for event in await store.find(ActivityQuery(q=q))] == [
                old[index]["id"]
            ]
        again = {key: value for key, value in old[2].items() if key != "received_at"}
        assert not (await store.add(parse_event(again))).created
        new = (await store.add(parse_event(event_body(details="Grüße aus İzmir")))).event
        assert [event["id"] for event in await store.find(ActivityQuery(q="izmir"))] == [new["id"]]
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    conn.close()
