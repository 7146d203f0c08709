"""Bad input through the real app, on SQLite and on PostgreSQL (which refuses NUL bytes that
SQLite stores): every one is a clear 4xx page and changes nothing, never a 500."""

from __future__ import annotations

import pytest

from tests.support.site_client import PASSWORD, SiteClient
from tests.web.raw_http import raw_request

FORM = "application/x-www-form-urlencoded"
BAD_MULTIPART = (
    b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XyZ--\r\n",
    "multipart/form-data; boundary=XyZ",
)
TOO_BIG_ID = "9" * 19  # matches the route's 19 digits, and is beyond a 64-bit integer
UNREADABLE = "could not be read"


@pytest.fixture
async def alice(site_on_each_database: SiteClient) -> tuple[SiteClient, int]:
    """A logged-in user with one post."""
    site = site_on_each_database
    assert (await site.register("alice")).status == 303
    return site, await site.submit("The one post")


async def _front_page_posts(site: SiteClient) -> int:
    return (await site.page("/")).count('class="post-summary"')


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/u/%00", 404),
        ("/u/ali%00ce", 404),
        ("/u/alice%0A", 404),
        ("/u/%FF", 404),
        ("/u/%ED%A0%80", 404),
        ("/u/" + "x" * 300, 404),
        ("/c/%00", 404),
        ("/c/gen%00eral", 404),
        ("/c/general%0A", 404),
        ("/c/%FF", 404),
        (f"/p/{TOO_BIG_ID}", 404),
        ("/?page=%00", 400),
        ("/?page=%FF", 400),
        ("/?page=99999999", 400),
        ("/?page=" + "9" * 5000, 400),
        ("/c/general?page=0", 400),
        ("/u/alice?page=-1", 400),
        ("/login?next=%00", 200),
        ("/login?next=%ED%A0%80", 200),
        ("/register?next=http://evil.example%00/", 200),
    ],
)
async def test_bad_paths_and_queries_are_4xx_pages(
    alice: tuple[SiteClient, int], path: str, status: int
) -> None:
    site, _ = alice
    await site.logout()
    response = await site.client.get(path, allow_redirects=False)
    assert response.status == status, (path, await response.text())
    assert "Something broke" not in await response.text()


@pytest.mark.parametrize("path", [b"/u/\xff", b"/c/\xff", b"/u/al\xffice?page=\xff"])
async def test_paths_that_are_not_utf8_are_404(
    site_on_each_database: SiteClient, path: bytes
) -> None:
    answer = await raw_request(site_on_each_database, "GET", path)
    assert answer.status in (400, 404), answer
    assert "Something broke" not in answer.text


async def test_votes_and_comments_on_impossible_ids_are_404(alice: tuple[SiteClient, int]) -> None:
    site, post_id = alice
    assert (await site.vote(int(TOO_BIG_ID), "up")).status == 404
    assert (await site.comment(int(TOO_BIG_ID), "hi")).status == 404
    assert await site.score(post_id) == 0


async def test_a_login_with_a_nul_byte_is_a_400(site_on_each_database: SiteClient) -> None:
    site = site_on_each_database
    await site.register("alice")
    await site.logout()
    for name in ("ali\x00ce", "alice\x00", "\x00"):
        response = await site.login(name)
        assert response.status == 400, name
        assert "Usernames have only letters" in await response.text()
    assert (await site.login("alice")).status == 303


async def test_an_overlong_login_is_a_400(site_on_each_database: SiteClient) -> None:
    site = site_on_each_database
    response = await site.login("a" * 10_000)
    assert response.status == 400
    assert "at most 32 characters" in await response.text()
    response = await site.login("alice", "p" * 2000)
    assert response.status == 400
    assert "at most 1024 characters" in await response.text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "al\x00ice@example.org"}, "Enter an email address like"),
        ({"email": "alice@exa\x01mple.org"}, "Enter an email address like"),
        ({"email": "a" * 250 + "@example.org"}, "Enter an email address like"),
        ({"username": "ali\x00ce"}, "Use only letters"),
        ({"username": "x" * 5000}, "Use 3 to 32 characters"),
        ({"password": "p" * 2000, "password2": "p" * 2000}, "at most 1024 characters"),
    ],
)
async def test_bad_registrations_are_400_and_store_nobody(
    site_on_each_database: SiteClient, change: dict[str, str], message: str
) -> None:
    site = site_on_each_database
    data = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
    data |= {"password2": PASSWORD} | change
    response = await site.post("/register", data)
    assert response.status == 400
    assert message in await response.text()
    assert (await site.client.get("/u/alice")).status == 404


async def test_control_characters_are_dropped_from_posts_and_comments(
    alice: tuple[SiteClient, int],
) -> None:
    site, _ = alice
    post_id = await site.submit(
        "Tit\x00le\x01 with\x1b[31m junk\x7f", "line\x00 one\x07\n\tline two"
    )
    page = await site.page(f"/p/{post_id}")
    assert "Title with[31m junk</h1>" in page
    assert "<p>line one\nline two</p>" in page
    for junk in ("\x00", "\x01", "\x07", "\x1b", "\x7f"):
        assert junk not in page
    assert (await site.comment(post_id, "a\x00b\x02c")).status == 303
    assert "abc" in await site.page(f"/p/{post_id}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "t" * 201, "category": "general"}, "Keep the title within 200"),
        ({"title": "\x00\x01", "category": "general"}, "Give your post a title."),
        ({"title": "t", "category": "gen\x00eral"}, "lowercase letters"),
        ({"title": "t", "category": "gen\neral"}, "lowercase letters"),
        ({"title": "t", "category": "general", "body": "b" * 40_001}, "Keep the text within"),
    ],
)
async def test_bad_posts_are_400_and_store_nothing(
    alice: tuple[SiteClient, int], data: dict[str, str], message: str
) -> None:
    site, _ = alice
    response = await site.post("/submit", data)
    assert response.status == 400
    assert message in await response.text()
    assert await _front_page_posts(site) == 1


async def test_bad_comments_are_400(alice: tuple[SiteClient, int]) -> None:
    site, post_id = alice
    for body, message in (("\x00\x01 ", "Write something first."), ("c" * 10_001, "Keep comments")):
        response = await site.comment(post_id, body)
        assert response.status == 400
        assert message in await response.text()
    assert "0 comments" in await site.page(f"/p/{post_id}")


def _targets(post_id: int) -> list[str]:
    return [
        "/login",
        "/register",
        "/logout",
        "/submit",
        f"/p/{post_id}/comment",
        f"/p/{post_id}/vote",
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"username=\xff&csrf_token=x", FORM),
        (b"title=\xc3(&csrf_token=x", FORM + "; charset=utf-8"),
        (b"title=x&csrf_token=x", FORM + "; charset=no-such-charset"),
        (b"title=+2AA-&csrf_token=x", FORM + "; charset=utf-7"),  # a lone surrogate
        BAD_MULTIPART,
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="t"\r\n\r\n\xff\r\n--XyZ--\r\n',
            "multipart/form-data; boundary=XyZ",
        ),
        (b"garbage", "multipart/form-data; boundary=XyZ"),
        (b"garbage", "multipart/form-data"),
    ],
)
async def test_unreadable_form_bodies_are_400_pages(
    alice: tuple[SiteClient, int], body: bytes, content_type: str
) -> None:
    """The CSRF check cannot read the token from such a body, nor a view its fields."""
    site, post_id = alice
    token = await site.csrf()
    for path in _targets(post_id):
        for headers in ({}, {"X-CSRF-Token": token}):
            response = await site.client.post(
                path,
                data=body,
                headers={"Content-Type": content_type, **headers},
                allow_redirects=False,
            )
            text = await response.text()
            assert response.status == 400, (path, headers, text[:300])
            assert UNREADABLE in text
    assert await _front_page_posts(site) == 1
    assert await site.score(post_id) == 0
    assert 'class="user-link"' in await site.page("/")  # the logout did not happen


async def test_an_anonymous_unreadable_login_is_a_400(site_on_each_database: SiteClient) -> None:
    site = site_on_each_database
    for body, content_type in ((b"username=\xff", FORM), BAD_MULTIPART):
        response = await site.client.post(
            "/login", data=body, headers={"Content-Type": content_type}
        )
        assert response.status == 400
        assert UNREADABLE in await response.text()


@pytest.mark.parametrize("token", [b"\xff\xfe", b"caf\xe9", b"\xed\xa0\x80"])
async def test_a_csrf_header_that_is_not_utf8_is_a_403(
    alice: tuple[SiteClient, int], token: bytes
) -> None:
    site, post_id = alice
    answer = await raw_request(
        site,
        "POST",
        f"/p/{post_id}/vote".encode(),
        {"X-CSRF-Token": token, "Content-Type": FORM.encode()},
        b"direction=up",
    )
    assert answer.status == 403, answer
    assert "did not come from this site" in answer.text
    assert await site.score(post_id) == 0
