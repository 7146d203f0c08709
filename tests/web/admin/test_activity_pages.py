"""The activity log browser against the real activity service: filters, paging, search,
one event, and the 400, 403 and 503 pages."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.site_client import SiteClient
from tests.web.admin.activity_seed import Seeded, listed_ids, next_link, seed
from tests.web.ops.conftest import Ops, add_user

COUNT = 30
_EXPORT_LINK = re.compile(r'href="(/admin/activity/export\?[^"]+)"')


def export_links(page: str) -> list[str]:
    return [html.unescape(link) for link in _EXPORT_LINK.findall(page)]


@pytest.fixture
async def seeded(ops: Ops) -> Seeded:
    return await seed(ops.activity, COUNT)


async def browse(ops: Ops, status: int = 200, **query: str) -> str:
    return await ops.site.page(f"/admin/activity?{urlencode({'limit': '200', **query})}", status)


async def test_without_filters_every_event_is_listed_newest_first(ops: Ops, seeded: Seeded) -> None:
    page = await browse(ops)
    assert listed_ids(page) == seeded.ids()
    assert "alice did thing 27" in page  # the summary of the payload
    assert "req-27" in page  # the request id


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ({"user_id": "2"}, lambda e: e["user_id"] == 2),
        ({"username": "carol"}, lambda e: e["username"] == "carol"),
        ({"type": "post.vote"}, lambda e: e["type"] == "post.vote"),
        ({"since": "2026-01-01T20:00:00Z"}, lambda e: e["timestamp"] >= "2026-01-01T20"),
        ({"until": "2026-01-01T05:00:00Z"}, lambda e: e["timestamp"] < "2026-01-01T05"),
        ({"q": "needle"}, lambda e: "needle" in e["details"]),
        (
            {"username": "alice", "type": "post.create", "since": "2026-01-01T10:00:00+00:00"},
            lambda e: (
                e["username"] == "alice"
                and e["type"] == "post.create"
                and e["timestamp"] >= "2026-01-01T10"
            ),
        ),
    ],
)
async def test_each_filter_narrows_the_list(
    ops: Ops, seeded: Seeded, query: dict[str, str], keep: Callable[..., bool]
) -> None:
    expected = seeded.ids(keep)
    assert 0 < len(expected) < COUNT
    page = await browse(ops, **query)
    assert listed_ids(page) == expected
    # the form shows the filters again, and the export links carry them
    exports = export_links(page)
    assert len(exports) == 2
    for name, value in query.items():
        assert f'name="{name}" value="{html.escape(value)}"' in page
        assert all(parse_qs(urlsplit(link).query)[name] == [value] for link in exports)


async def test_text_search_finds_words_of_the_details(ops: Ops, seeded: Seeded) -> None:
    page = await browse(ops, q="thing 17")
    assert listed_ids(page) == seeded.ids(lambda e: "thing 17" in e["details"])
    assert "No events match these filters" in await browse(ops, q="no such words")


async def test_paging_walks_every_event_exactly_once(ops: Ops, seeded: Seeded) -> None:
    seen: list[str] = []
    url: str | None = "/admin/activity?limit=7"
    pages = 0
    while url is not None:
        page = await ops.site.page(url)
        seen += listed_ids(page)
        pages += 1
        if pages > 1:
            assert "First page" in page
        url = next_link(page)
    assert seen == seeded.ids()
    assert pages == 5  # 7 + 7 + 7 + 7 + 2


async def test_paging_keeps_the_filters(ops: Ops, seeded: Seeded) -> None:
    seen: list[str] = []
    url: str | None = "/admin/activity?username=bob&limit=3"
    while url is not None:
        assert "username=bob" in url
        page = await ops.site.page(url)
        seen += listed_ids(page)
        url = next_link(page)
    assert seen == seeded.ids(lambda e: e["username"] == "bob")


async def test_one_event_shows_its_whole_json(ops: Ops, seeded: Seeded) -> None:
    event = seeded.events[3]
    page = html.unescape(await browse(ops, id=event["id"]))
    assert f'"id": "{event["id"]}"' in page
    assert f'"details": "{event["details"]}"'.replace('"quoted"', '\\"quoted\\"') in page
    assert '"number":' in page
    assert '"received_at":' in page
    missing = await browse(ops, 404, id="00000000-0000-4000-8000-000000000000")
    assert "no event has the id" in missing


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": "99999999999999999999"}, "user_id"),
        ({"username": "x" * 65}, "username"),
        ({"type": "Not A Type"}, "type"),
        ({"since": "yesterday"}, "since"),
        ({"until": "1700000000"}, "until"),
        ({"since": "2026-01-02", "until": "2026-01-01"}, "until"),
        ({"q": "x" * 201}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not a cursor!"}, "cursor"),
        ({"id": "not-an-id"}, "id"),
    ],
)
async def test_a_bad_filter_is_a_400_page_naming_it(
    ops: Ops, seeded: Seeded, query: dict[str, str], field: str
) -> None:
    page = await ops.site.page(f"/admin/activity?{urlencode(query)}", 400)
    assert f"<code>{field}</code>" in page
    assert listed_ids(page) == []


async def test_a_repeated_filter_is_a_400(ops: Ops) -> None:
    page = await ops.site.page("/admin/activity?type=post.vote&type=post.create", 400)
    assert "<code>type</code> was given more than once" in page


async def test_a_cursor_the_service_refuses_is_a_400_page_too(ops: Ops, seeded: Seeded) -> None:
    # well-formed for the dashboard, not a cursor the service issued: its own 400
    page = await ops.site.page("/admin/activity?cursor=abcdef", 400)
    assert "<code>cursor</code>" in page


async def test_an_unreachable_activity_service_is_a_503_page(ops: Ops) -> None:
    await ops.activity.stop()
    page = await ops.site.page("/admin/activity", 503)
    assert "activity service is not answering" in page
    await ops.site.page("/admin/activity/export?format=csv", 503)


async def test_a_plain_user_gets_403(
    ops: Ops, seeded: Seeded, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    alice = await visitor(ops.site)
    await add_user(ops.site, "plainuser", admin=False)
    assert (await alice.login("plainuser")).status == 303
    for path in ("/admin/activity", "/admin/activity/export?format=jsonl", "/admin/chaos"):
        page = await alice.page(path, 403)
        assert seeded.events[0]["id"] not in page
    stranger = await visitor(ops.site)
    await stranger.page("/admin/activity", 403)


async def test_the_page_links_back_to_the_first_page_and_the_exports(
    ops: Ops, seeded: Seeded
) -> None:
    first = await ops.site.page("/admin/activity?limit=3&type=post.vote")
    second = next_link(first)
    assert second is not None
    page = html.unescape(await ops.site.page(second))
    assert 'href="/admin/activity?type=post.vote&limit=3">⇤ First page' in page
    assert "/admin/activity/export?format=csv&type=post.vote" in page
    assert "/admin/activity/export?format=jsonl&type=post.vote" in page
