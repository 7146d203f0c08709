"""Health probes of the children, and waiting for a child to become healthy.

A probe answers `None` when the service is healthy, else one line saying why not, which the
supervisor shows when a start times out or a running service turns unhealthy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import aiohttp

from src.supervisor.child import ChildProcess, describe_exit

__all__ = ["ChildExited", "HealthTimeout", "Probe", "http_probe", "wait_healthy"]

Probe = Callable[[ChildProcess], Awaitable[str | None]]

PROBE_TIMEOUT = 3.0


class ChildExited(RuntimeError):
    """The child ended while we waited for it to become healthy."""

    def __init__(self, returncode: int) -> None:
        super().__init__(describe_exit(returncode))
        self.returncode = returncode


class HealthTimeout(RuntimeError):
    """The child kept running but never answered healthy in time."""


def http_probe(session: aiohttp.ClientSession, url: str) -> Probe:
    """Healthy when `GET url` answers 200 (the `/healthz` of web and activity)."""

    async def probe(child: ChildProcess) -> str | None:
        try:
            async with session.get(
                url, timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
            ) as response:
                if response.status == 200:
                    return None
                body = (await response.text())[:200]
                return f"GET {url} answered {response.status} {body}".strip()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"GET {url} failed: {exc.__class__.__name__} {exc}".strip()

    return probe


async def wait_healthy(
    child: ChildProcess, probe: Probe, within: float, interval: float = 0.2
) -> None:
    """Return once `probe` says healthy; `ChildExited` or `HealthTimeout` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    reason: str | None = "not probed yet"
    while True:
        if child.process is not None and child.process.returncode is not None:
            raise ChildExited(await child.wait())
        reason = await probe(child)
        if reason is None:
            return
        if loop.time() >= deadline:
            raise HealthTimeout(f"not healthy after {within:g} s: {reason}")
        # Wake early if the child dies, rather than sleeping through its exit.
        assert child.process is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(child.process.wait()), interval)
