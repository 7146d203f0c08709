"""The services `wolfit up` runs, each the same `wolfit` command an operator could run alone.

A `ServiceSpec` says how to start a service and how to tell it is healthy: web and activity
answer `GET /healthz` with 200; the worker proves it polls the queue by writing arq's health
check key after it started.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import redis.asyncio as aioredis

from src.common.settings import Settings

from .child import ChildProcess
from .health import Probe, http_probe

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
    """Healthy when arq's health check key was written since this worker process started.

    arq writes the key on its first poll of the queue and then every `health_check_interval`;
    its TTL is `interval + 1` s, so the remaining TTL tells when it was written. A key left by
    a worker that was killed is older than the new process and does not count.
    """
    try:
        settings_class = importlib.import_module("src.jobs").WorkerSettings
    except (ImportError, AttributeError) as exc:
        failure = f"src.jobs.WorkerSettings cannot be imported: {exc}"

        async def broken(child: ChildProcess) -> str | None:
            return failure

        return broken
    queue_name = getattr(settings_class, "queue_name", None) or "arq:queue"
    key = getattr(settings_class, "health_check_key", None) or f"{queue_name}:health-check"
    interval = float(getattr(settings_class, "health_check_interval", 3600))

    async def probe(child: ChildProcess) -> str | None:
        try:
            remaining_ms = await context.redis.pttl(key)
        except (aioredis.RedisError, OSError) as exc:
            return f"cannot read {key} from Redis: {exc}"
        if remaining_ms < 0:
            return f"arq has not written {key} yet"
        written_ago = (interval + 1) - remaining_ms / 1000
        if written_ago > child.uptime() + 0.5:
            return f"{key} is older than this worker process"
        return None

    return probe


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
        ),
    ]
