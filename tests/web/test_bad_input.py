"""Bad input through the real app, on SQLite and on PostgreSQL (which refuses NUL bytes that
SQLite stores): every one is a clear 4xx page and changes nothing, never a 500."""

from __future__ import annotations

import pytest

from tests.support.site_client import SiteClient
from tests.web.raw_http import raw_request

FORM = "application/x-www-form-urlencoded"
BAD_MULTIPART = (
    b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XyZ--\r\n",
    "multipart/form-data; boundary=XyZ",
)
UNREADABLE = "could not be read"


@pytest.fixture
async def alice(site_on_each_database: SiteClient) -> tuple[SiteClient, int]:
    """A logged-in user with one post."""
    site = site_on_each_database
    assert (await site.register("alice")).status == 303
    return site, await site.submit("The one post")


async def _front_page_posts(site: SiteClient) -> int:
    return (await site.page("/")).count('class="post-summary"')


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
