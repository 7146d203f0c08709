"""Every dashboard page of helper P's: admins only (a plain user gets the 403 page), and a
Redis that stops answering is a 503 page that says so, never a 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from src.common.embedded_redis import EmbeddedRedis
from tests.support.site_client import SiteClient
from tests.web.ops.conftest import Ops, add_user

PAGES = [
    "/admin",
    "/admin/jobs",
    "/admin/jobs?status=failed",
    "/admin/jobs/some-job",
    "/admin/dead-letters",
    "/admin/dead-letters/some-event",
    "/admin/workers",
    "/admin/schedules",
    "/admin/alerts",
]


@pytest.mark.parametrize("path", PAGES)
async def test_a_plain_user_gets_the_403_page(
    ops: Ops, visitor: Callable[[SiteClient], Awaitable[SiteClient]], path: str
) -> None:
    alice = await visitor(ops.site)
    await add_user(ops.site, "alice", admin=False)
    await alice.login("alice")
    html = await alice.page(path, status=403)
    assert "who is not an admin" in html
    assert "Queue depth" not in html


async def test_actions_are_refused_to_a_plain_user(
    ops: Ops, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    alice = await visitor(ops.site)
    await add_user(ops.site, "alice", admin=False)
    await alice.login("alice")
    for path in ("/admin/jobs", "/admin/jobs/x/abort", "/admin/dead-letters/retry-all"):
        response = await alice.post(path, {"function": "check_activity_health"})
        assert response.status == 403, path
    queued = await ops.api("GET", "/api/ops/jobs?status=queued&limit=200")
    assert {job["function"] for job in queued["items"]} == {"post_activity"}  # events only


async def test_a_redis_that_does_not_answer_is_a_503_page(
    make_ops: Callable[..., Awaitable[Ops]], own_redis: EmbeddedRedis
) -> None:
    ops = await make_ops(redis_url=own_redis.url)
    assert "Queue depth" in await ops.site.page("/admin")
    own_redis.stop()
    for path in PAGES:
        html = await ops.site.page(path, status=503)
        assert "A service is not answering" in html, path
        assert "Redis does not answer" in html, path
        assert "Traceback" not in html
    response = await ops.site.post("/admin/dead-letters/retry-all")
    assert response.status == 503
