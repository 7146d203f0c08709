from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from src.activity import create_app as create_activity_app
from src.common.activity_client import ActivityClient
from src.common.settings import Settings
from src.web import create_app
from src.web.app_keys import ACTIVITY_CLIENT, DATABASE
from src.web.data.users import find_user
from src.web.views.users import PROFILE_ACTIVITY_TIMEOUT
from tests.conftest import TEST_TOKEN
from tests.support.activity import event_body
from tests.support.site_client import SiteClient
from tests.web.conftest import AppFactory, app_of


async def test_a_profile_lists_the_users_posts_and_renders_without_the_activity_service(
    site: SiteClient,
) -> None:
    """The web fixture's ACTIVITY_URL is a closed port: the page renders with a note."""
    await site.register("alice")
    await site.submit("Alice's first")
    page = await site.page("/u/ALICE")
    assert "<h1>alice" in page
    assert "Alice&#39;s first" in page
    assert "Recent activity is unavailable right now" in page


async def test_profile_pages_of_nobody_are_404(site: SiteClient) -> None:
    assert (await site.client.get("/u/nobody")).status == 404
    assert (await site.client.get("/u/" + "x" * 300)).status == 404
    assert (await site.client.get("/u/alice?page=x")).status == 400


class SilentService:
    """An activity service that takes requests and answers none until the test ends."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.release = asyncio.Event()

    async def hang(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        await self.release.wait()
        return web.json_response({"items": [], "next_cursor": None})


@pytest.fixture
async def silent_service(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> AsyncIterator[tuple[SilentService, str]]:
    service = SilentService()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", service.hang)
    server = await aiohttp_server(app)
    try:
        yield service, str(server.make_url("")).rstrip("/")
    finally:
        service.release.set()


async def test_a_profile_renders_with_its_note_when_the_activity_service_hangs(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    web_settings: Settings,
    silent_service: tuple[SilentService, str],
) -> None:
    service, url = silent_service
    app = create_app(web_settings.model_copy(update={"activity_url": url}))
    app[PROFILE_ACTIVITY_TIMEOUT] = 0.2
    site = SiteClient(await aiohttp_client(app))
    # Only the profile's own timeout may end the wait: the HTTP client's is lifted.
    app[ACTIVITY_CLIENT].timeout = aiohttp.ClientTimeout(total=None)
    await site.register("alice")
    await site.submit("Alice's first")
    async with asyncio.timeout(30):  # a deadline for the test, not a measurement
        page = await site.page("/u/alice")
    assert "Alice&#39;s first" in page
    assert "Recent activity is unavailable right now" in page
    assert service.requests  # the service was asked, and did not answer


async def test_public_activity_shows_behind_many_logins(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
    make_site: AppFactory,
    web_settings: Settings,
    visitor: Callable[[SiteClient], Awaitable[SiteClient]],
) -> None:
    """Sixty logins after a post and a comment: strangers still see the post and the
    comment (newest first), the user sees their newest twenty events, all logins."""
    service = await aiohttp_server(create_activity_app(web_settings))
    url = str(service.make_url("")).rstrip("/")
    site = await make_site(activity_url=url)
    await site.register("alice")
    alice = await app_of(site)[DATABASE].read(find_user, "alice")
    assert alice is not None
    start = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    stories = [("post.create", "alice posted 'Hello'"), ("comment.create", "alice commented")]
    stories += [("user.login", "alice logged in")] * 60
    async with aiohttp.ClientSession() as http:
        client = ActivityClient(http, url, TEST_TOKEN)
        for minute, (event_type, details) in enumerate(stories):
            when = (start + timedelta(minutes=minute)).isoformat()
            await client.post_event(
                event_body(
                    type=event_type, user_id=alice.id, timestamp=when, details=details, data={}
                )
            )
    public = await (await visitor(site)).page("/u/alice")
    assert "logged in" not in public
    assert public.index("alice commented") < public.index("alice posted &#39;Hello&#39;")
    own = await site.page("/u/alice")
    assert own.count("alice logged in") == 20
    assert "alice commented" not in own
