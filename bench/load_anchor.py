"""The anchor of `python -m bench load`: a bare aiohttp handler on uvloop serving a page.

`python -m bench.load_anchor PAGE [PROCESSES]` serves the bytes of the file PAGE (the
site's front page, fetched once logged in) at `/` and `/p/{id}` on `HOST:WEB_PORT`, with
`/healthz` for the suite to wait on. With PROCESSES > 1 it forks that many processes
sharing the port (SO_REUSEPORT), as many as the web runs, so that "share of the anchor"
compares the site with the framework's own ceiling on the same number of processes. No
middleware, no template, no database: what aiohttp costs per request, and no more.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import uvloop
from aiohttp import web

__all__ = ["create_app", "main"]


def create_app(page: bytes) -> web.Application:
    """The anchor's application: `page` at `/` and `/p/{id}`, and `/healthz`."""

    async def serve_page(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/", serve_page, name="front")
    app.router.add_get("/p/{id}", serve_page, name="post")
    app.router.add_get("/healthz", healthz, name="healthz")
    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the page until SIGTERM or SIGINT (the forked processes stop with the first)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        print("usage: python -m bench.load_anchor PAGE [PROCESSES]", file=sys.stderr)
        return 2
    page = Path(args[0]).read_bytes()
    processes = int(args[1]) if len(args) == 2 else 1
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ["WEB_PORT"])
    forked: list[int] = []
    for _ in range(processes - 1):
        pid = os.fork()
        if pid == 0:
            forked.clear()
            break
        forked.append(pid)
    try:
        web.run_app(
            create_app(page), host=host, port=port, reuse_port=True, print=None,
            access_log=None, loop=uvloop.new_event_loop(),
        )  # fmt: skip
    finally:
        for pid in forked:
            os.kill(pid, signal.SIGTERM)
        for pid in forked:
            os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
