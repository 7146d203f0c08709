"""What templates get computed once: versioned static URLs and route URLs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from aiohttp import web

from src.web.templating import STATIC_DIR, RouteUrls, StaticFiles
from tests.support.site_client import SiteClient


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def test_a_static_url_carries_the_hash_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_bytes(b"body { color: red }")
    static = StaticFiles(tmp_path)
    assert static.url("css/site.css") == f"/static/css/site.css?v={_digest(b'body { color: red }')}"
    with pytest.raises(LookupError, match=r"no static file 'missing\.css'"):
        static.url("missing.css")


def test_a_changed_file_gets_a_new_url_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "site.css"
    path.write_bytes(b"body { color: red }")
    running = StaticFiles(tmp_path)
    before = running.url("site.css")
    path.write_bytes(b"body { color: blue }")
    assert running.url("site.css") == before  # read once: no file read per page
    after = StaticFiles(tmp_path).url("site.css")  # what a restarted app serves
    assert after != before
    assert after == f"/static/site.css?v={_digest(b'body { color: blue }')}"


def test_with_reload_a_changed_file_gets_a_new_url_at_once(tmp_path: Path) -> None:
    path = tmp_path / "site.css"
    path.write_bytes(b"one")
    developing = StaticFiles(tmp_path, reload=True)
    before = developing.url("site.css")
    path.write_bytes(b"two")
    assert developing.url("site.css") != before


async def test_pages_link_the_shipped_files_by_their_hash(site: SiteClient) -> None:
    page = await site.page("/")
    shipped = (STATIC_DIR / "style.css").read_bytes()
    assert f'href="/static/style.css?v={_digest(shipped)}"' in page
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        response = await site.client.get(url)
        assert response.status == 200, url


def test_route_urls_are_the_routers_urls() -> None:
    app = web.Application()

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/", handler, name="front")
    app.router.add_get("/p/{id:[0-9]+}", handler, name="post")
    app.router.add_get("/u/{username}", handler, name="profile")
    app.router.add_get("/login", handler, name="login")
    urls = RouteUrls(app.router)
    router = app.router
    assert urls("front") == str(router["front"].url_for()) == "/"
    assert urls("post", id=7) == str(router["post"].url_for(id="7")) == "/p/7"
    assert urls("profile", username="al ice/x") == "/u/al%20ice%2Fx"
    assert urls("login", query_={"next": "/p/1?x=1"}) == str(
        router["login"].url_for().with_query(next="/p/1?x=1")
    )
    with pytest.raises(KeyError):
        urls("nowhere")
