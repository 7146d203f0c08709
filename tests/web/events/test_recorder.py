"""The recorder when nothing downstream answers: actions still succeed and their events wait
in the outbox, marked with the error. (Delivery itself: tests/web/test_delivery.py.)"""

from __future__ import annotations

from src.common.embedded_redis import free_port
from src.web.app_keys import DATABASE
from src.web.data.outbox import OutboxRecord
from tests.support.outbox import all_outbox_rows
from tests.support.site_client import SiteClient
from tests.web.conftest import AppFactory, app_of


async def _outbox(site: SiteClient) -> list[OutboxRecord]:
    return await app_of(site)[DATABASE].read(all_outbox_rows)


async def test_off_writes_no_event(site: SiteClient) -> None:
    await site.register("alice")
    post_id = await site.submit()
    await site.vote(post_id, "up")
    assert await _outbox(site) == []


async def test_sync_with_the_activity_service_down_keeps_every_event(make_site: AppFactory) -> None:
    site = await make_site(activity_mode="sync", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert (await site.register("alice")).status == 303
    post_id = await site.submit()
    assert (await site.vote(post_id, "up")).status == 303
    assert (await site.comment(post_id, "hi")).status == 303
    assert (await site.logout()).status == 303
    assert (await site.login("alice", "wrong password!")).status == 401
    entries = await _outbox(site)
    assert [entry.event["type"] for entry in entries] == [
        "user.register",
        "post.create",
        "post.vote",
        "comment.create",
        "user.logout",
        "user.login_failed",
    ]
    for entry in entries:
        assert entry.attempts >= 1
        assert entry.last_error  # why it is still here


async def test_async_with_redis_unreachable_keeps_every_event(make_site: AppFactory) -> None:
    site = await make_site(activity_mode="async", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert (await site.register("alice")).status == 303
    post_id = await site.submit()
    assert (await site.vote(post_id, "down")).status == 303
    entries = await _outbox(site)
    assert [entry.event["type"] for entry in entries] == [
        "user.register",
        "post.create",
        "post.vote",
    ]
    vote = entries[-1].event
    assert vote["username"] == "alice"
    assert vote["data"] == {
        "post_id": post_id,
        "direction": "down",
        "previous": None,
        "current": "down",
        "score": -1,
    }
    assert all(entry.attempts >= 1 for entry in entries)
