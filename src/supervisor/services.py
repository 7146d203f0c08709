"""The services `wolfit up` runs, each the same `wolfit` command an operator could run alone.

A `ServiceSpec` says how to start a service and how to tell it is healthy: web and activity
answer `GET /healthz` with 200; the worker must have published its heartbeat, which names
its pid.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from src.common.settings import Settings
from src.jobs import live_workers
from src.supervisor.child import ChildProcess
from src.supervisor.health import Probe, http_probe

__all__ = ["ProbeContext", "ServiceSpec", "display_host", "suite_services", "worker_probe"]


@dataclass(frozen=True)
class ProbeContext:
    """The clients probes share, opened once the broker is up."""

    http: aiohttp.ClientSession
    redis: aioredis.Redis


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one service, how to probe it, and what URL to show for it."""

    name: str
    argv: tuple[str, ...]
    probe: Callable[[ProbeContext], Probe]
    url: str | None = None
    command: str = field(default="")
    detail: str = ""  # shown after the URL in the table of `wolfit up`

    def shown_where(self, pid: int) -> str:
        """Where to reach the service (its URL, else its pid), and its detail."""
        where = self.url or f"pid {pid}"
        return f"{where} ({self.detail})" if self.detail else where

    def shown_command(self) -> str:
        """The command line as an operator would type it."""
        return self.command or " ".join(self.argv)


def display_host(host: str) -> str:
    """The address to reach a server listening on `host` (any-address means loopback)."""
    if host in ("", "0.0.0.0"):  # noqa: S104 (reading the setting, not binding)
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def worker_probe(context: ProbeContext) -> Probe:
    """Healthy when this very worker process has a live heartbeat in Redis (docs/worker.md).

    Matched on pid and host: a worker that was killed keeps its heartbeat for a few seconds
    more, and another worker on the same Redis (started by hand) is alive too, but neither is
    the process we started.
    """
    host = socket.gethostname()

    async def probe(child: ChildProcess) -> str | None:
        try:
            workers = await live_workers(context.redis)
        except (RedisError, OSError) as exc:
            return f"cannot read the worker heartbeats from Redis: {exc}"
        if any(worker.pid == child.pid and worker.host == host for worker in workers):
            return None
        return f"no live heartbeat from worker pid {child.pid} on {host}"

    return probe


def _processes(count: int) -> str:
    return f"{count} process{'' if count == 1 else 'es'}, WEB_PROCESSES"


def suite_services(settings: Settings) -> list[ServiceSpec]:
    """activity, worker and web, in starting order, reached on `HOST` and their ports."""
    host = display_host(settings.host)
    activity = f"http://{host}:{settings.activity_port}"
    web = f"http://{host}:{settings.web_port}"

    def command(name: str) -> tuple[str, ...]:
        # The interpreter running us, so the children use the same install as `wolfit up`.
        return (sys.executable, "-m", "src.cli", name)

    return [
        ServiceSpec(
            "activity",
            command("activity"),
            lambda context: http_probe(context.http, f"{activity}/healthz"),
            url=f"{activity}/",
            command="wolfit activity",
        ),
        ServiceSpec("worker", command("worker"), worker_probe, command="wolfit worker"),
        ServiceSpec(
            "web",
            command("web"),
            lambda context: http_probe(context.http, f"{web}/healthz"),
            url=f"{web}/",
            command="wolfit web",
            detail=_processes(settings.web_processes),
        ),
    ]
