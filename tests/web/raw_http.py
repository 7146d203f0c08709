"""Requests that no well-behaved client sends: raw bytes on a socket of the test server.

aiohttp's client refuses to write a header or a path that is not UTF-8, so the tests of what
the site does with such bytes write the request themselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tests.support.site_client import SiteClient


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """The status and body of an answer to a raw request."""

    status: int
    text: str


async def raw_request(
    site: SiteClient,
    method: str,
    path: bytes,
    headers: dict[str, bytes] | None = None,
    body: bytes = b"",
) -> RawAnswer:
    """Send one HTTP/1.1 request made of these bytes, with the visitor's cookies."""
    server = site.client.server
    cookies = site.client.session.cookie_jar.filter_cookies(site.client.make_url("/"))
    lines = [method.encode() + b" " + path + b" HTTP/1.1", f"Host: {server.host}".encode()]
    if cookies:
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
        lines.append(b"Cookie: " + cookie.encode())
    for name, value in (headers or {}).items():
        lines.append(name.encode() + b": " + value)
    lines += [f"Content-Length: {len(body)}".encode(), b"Connection: close", b"", b""]
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(b"\r\n".join(lines) + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, content = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return RawAnswer(status, content.decode("utf-8", "replace"))
