"""`Supervisor`: start Redis and the services, keep them running, stop them in order.

Life of a run:

1. Redis: the operator's (`REDIS_URL`) or an embedded `redis-server`.
2. All services are started at once, then each must answer healthy within `start_timeout`.
   A service that dies or stays unhealthy at start has a problem a restart will not fix
   (a port in use, a database it cannot open): its last lines are shown and everything
   stops, exit status 1.
3. Running: a service that dies is reported loudly (name, pid, exit status, its last lines)
   and restarted with backoff (`RestartPolicy`); one that keeps dying makes the supervisor
   give up and stop everything, exit status 1. Health is probed every few seconds and
   changes are reported (an activity service whose MongoDB is down says so; restarting it
   would not help, so it is only reported). An embedded Redis that dies is restarted too.
4. SIGINT or SIGTERM (`src.common.runner.run` cancels us): web, worker and activity get
   SIGTERM one after the other, each with `grace` seconds before SIGKILL, and Redis goes
   last so the worker can finish with it. A second signal kills the children at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import redis.asyncio as aioredis

from src.common.redaction import without_password
from src.supervisor.broker import DEFAULT_REDIS_PORT, Broker, choose_port, stop_leftover
from src.supervisor.child import ChildProcess, describe_exit
from src.supervisor.health import ChildExited, HealthTimeout, Probe, wait_healthy
from src.supervisor.output import SUPERVISOR_NAME, ServiceOutput, SupervisorLog, Terminal, file_tail
from src.supervisor.policy import RestartPolicy
from src.supervisor.services import ProbeContext, ServiceSpec

__all__ = ["StartFailed", "Supervisor"]

T = TypeVar("T")


class StartFailed(RuntimeError):
    """The suite could not be brought up; the message says which service and why."""


@dataclass
class _Service:
    """The running state of one service across its restarts."""

    spec: ServiceSpec
    output: ServiceOutput
    policy: RestartPolicy
    probe: Probe | None = None
    child: ChildProcess | None = None
    healthy: bool = False


class Supervisor:
    """Runs Redis and the services as child processes; `run()` gives the exit status."""

    def __init__(
        self,
        specs: list[ServiceSpec],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        redis_url: str | None = None,
        redis_dir: Path | None = None,
        redis_port: int = DEFAULT_REDIS_PORT,
        notes: tuple[str, ...] = (),
        start_timeout: float = 60.0,
        grace: float = 15.0,
        health_interval: float = 5.0,
        policy: RestartPolicy | None = None,
        terminal: Terminal | None = None,
    ) -> None:
        if redis_url is None and redis_dir is None:
            raise ValueError("give redis_url, or redis_dir for an embedded Redis")
        self.terminal = terminal or Terminal([spec.name for spec in specs])
        self.log = SupervisorLog(SUPERVISOR_NAME, self.terminal, log_dir)
        self.policy = policy or RestartPolicy()
        self.services = [
            _Service(
                spec,
                ServiceOutput(spec.name, self.terminal, log_dir),
                dataclasses.replace(self.policy, restarts=0),
            )
            for spec in specs
        ]
        self.env = dict(env)
        self.redis_url, self.redis_dir, self.redis_port = redis_url, redis_dir, redis_port
        self.notes = notes
        self.start_timeout = start_timeout
        self.grace = grace
        self.health_interval = health_interval
        self.broker: Broker | None = None
        self._context: ProbeContext | None = None
        self._watchers: list[asyncio.Task[None]] = []
        self._spawns: set[asyncio.Future[ChildProcess]] = set()
        self._gave_up = asyncio.Event()
        self._force = False

    def say(self, text: str) -> None:
        """Lines of the supervisor's own, on the terminal and in `var/logs/wolfit.log`."""
        for line in text.splitlines():
            self.log.line(line)

    async def run(self) -> int:
        """Start everything and supervise until a signal (0) or a failure (1)."""
        try:
            await self._start_all()
            self._banner()
            await self._watch()
            return 1
        except StartFailed as exc:
            self.say(f"ERROR {exc}")
            self.say("stopping everything: the suite cannot start")
            return 1
        except asyncio.CancelledError:
            self.say("stopping everything (signal received; a second one kills at once)")
            return 0
        finally:
            await self._stop_all()

    # -- start -------------------------------------------------------------------------

    async def _start_all(self) -> None:
        for note in self.notes:
            self.say(note)
        self.broker = await self._open_broker()
        self.env["REDIS_URL"] = self.broker.url
        probe_redis = aioredis.from_url(self.broker.url, socket_timeout=3, socket_connect_timeout=3)
        self._context = ProbeContext(aiohttp.ClientSession(), probe_redis)
        for service in self.services:
            service.probe = service.spec.probe(self._context)
        for service in self.services:
            await self._spawn(service)
        checks = [asyncio.create_task(self._first_health(service)) for service in self.services]
        try:
            await asyncio.wait(checks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for check in checks:
                check.cancel()
            await asyncio.gather(*checks, return_exceptions=True)
        failures = [
            str(check.exception())
            for check in checks
            if not check.cancelled() and check.exception() is not None
        ]
        if failures:
            raise StartFailed("\n".join(failures))

    async def _open_broker(self) -> Broker:
        if self.redis_url is not None:
            shown = without_password(self.redis_url)
            try:
                await Broker.ping(self.redis_url)
            except (aioredis.RedisError, OSError) as exc:
                raise StartFailed(
                    f"redis at REDIS_URL={shown} does not answer: {exc}; start it, or unset "
                    "REDIS_URL to have wolfit up run an embedded one"
                ) from None
            self.say(f"redis: {shown} (REDIS_URL; wolfit up neither starts nor stops it)")
            return Broker.external(self.redis_url)
        assert self.redis_dir is not None
        leftover = await asyncio.to_thread(stop_leftover, self.redis_dir)
        if leftover is not None:
            self.say(
                f"redis: stopped the embedded redis-server (pid {leftover}) that an earlier "
                f"wolfit up left running on {self.redis_dir}"
            )
        port = choose_port(self.redis_port)
        if self.redis_port and port != self.redis_port:
            self.say(f"redis: port {self.redis_port} is in use, so the embedded Redis takes {port}")
        try:
            broker = await Broker.embedded(self.redis_dir, port)
        except Exception as exc:
            log = file_tail(self.redis_dir / "redis.log")
            raise StartFailed(f"redis could not start: {exc}{log}") from None
        assert broker.server is not None
        self.say(
            f"redis: embedded redis-server on 127.0.0.1:{broker.server.port} "
            f"(pid {broker.server.pid}), data in {self.redis_dir} (AOF on)"
        )
        return broker

    async def _spawn(self, service: _Service) -> ChildProcess:
        child = ChildProcess(service.spec.name, service.spec.argv, self.env, service.output)
        try:
            await child.start()
        except OSError as exc:
            raise StartFailed(f"{service.spec.name} could not be started: {exc}") from None
        service.child, service.healthy = child, False
        self.say(f"{service.spec.name}: started `{service.spec.shown_command()}` (pid {child.pid})")
        return child

    async def _first_health(self, service: _Service) -> None:
        assert service.child is not None
        assert service.probe is not None
        try:
            await wait_healthy(service.child, service.probe, self.start_timeout)
        except ChildExited as exc:
            raise StartFailed(f"{service.spec.name} {exc} at start{self._tail(service)}") from None
        except HealthTimeout as exc:
            raise StartFailed(f"{service.spec.name} {exc}{self._tail(service)}") from None
        service.healthy = True
        self.say(f"{service.spec.name}: healthy")

    def _tail(self, service: _Service) -> str:
        lines = service.output.tail()
        if not lines:
            return f"; it wrote nothing (log: {service.output.log_path})"
        shown = "\n".join(f"    {line}" for line in lines)
        return f"; its last lines (full log: {service.output.log_path}):\n{shown}"

    def _banner(self) -> None:
        assert self.broker is not None
        rows = [(s.spec.name, s.spec.shown_where(s.child.pid)) for s in self.services if s.child]
        rows.append(("redis", without_password(self.broker.url)))
        width = max(len(name) for name, _ in rows)
        self.say("Wolfit Async is up:")
        for name, where in rows:
            self.say(f"  {name:<{width}}  {where}")
        self.say(f"logs in {self.log.log_path.parent}/; Ctrl-C stops everything")

    # -- running -----------------------------------------------------------------------

    async def _watch(self) -> None:
        """Supervise until a service is given up on (then return) or we are cancelled."""
        for service in self.services:
            self._watch_over(service.spec.name, self._supervise(service))
        if self.broker is not None and self.broker.server is not None:
            self._watch_over("redis", self._supervise_broker(self.broker))
        await self._gave_up.wait()

    def _watch_over(self, name: str, supervision: Coroutine[Any, Any, None]) -> None:
        """Run one supervision task; if it fails itself, say so and stop, never go silent."""
        task = asyncio.create_task(supervision, name=f"supervise {name}")

        def done(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                self.say(f"ERROR supervising {name} failed: {task.exception()}; stopping")
                self._gave_up.set()

        task.add_done_callback(done)
        self._watchers.append(task)

    async def _supervise(self, service: _Service) -> None:
        name = service.spec.name
        child = service.child
        assert child is not None
        assert service.probe is not None
        while True:
            returncode = await self._wait_exit(service, child)
            lived = child.uptime()
            service.healthy = False
            self.say(
                f"ERROR {name} (pid {child.pid}) {describe_exit(returncode)} "
                f"after {lived:.1f} s{self._tail(service)}"
            )
            delay = service.policy.after_exit(lived)
            if delay is None:
                self.say(
                    f"ERROR {name} died {service.policy.restarts + 1} times in a row, each "
                    f"within {service.policy.stable_after:g} s of starting: giving up"
                )
                self._gave_up.set()
                return
            restart = service.policy.restarts
            self.say(f"restarting {name} in {delay:g} s (restart {restart} in a row)")
            await asyncio.sleep(delay)
            # Shielded and tracked: a signal during the spawn must not leave an untracked child.
            spawn = asyncio.ensure_future(self._spawn(service))
            self._spawns.add(spawn)
            spawn.add_done_callback(self._spawns.discard)
            child = await asyncio.shield(spawn)
            try:
                await wait_healthy(child, service.probe, self.start_timeout)
            except ChildExited:
                continue
            except HealthTimeout as exc:
                self.say(f"ERROR {name} {exc}: stopping it")
                await child.stop(self.grace)
                continue
            service.healthy = True
            self.say(f"{name}: healthy again (pid {child.pid})")

    async def _wait_exit(self, service: _Service, child: ChildProcess) -> int:
        """Wait for the child to end, probing its health meanwhile and reporting changes."""
        assert child.process is not None
        assert service.probe is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(child.process.wait()), self.health_interval)
            if child.process.returncode is not None:
                return await child.wait()
            reason = await service.probe(child)
            if reason is not None and service.healthy:
                self.say(f"WARNING {service.spec.name} is unhealthy: {reason}")
            elif reason is None and not service.healthy:
                self.say(f"{service.spec.name}: healthy again")
            service.healthy = reason is None

    async def _supervise_broker(self, broker: Broker) -> None:
        await broker.keep_alive(dataclasses.replace(self.policy, restarts=0), self.say)
        self._gave_up.set()  # keep_alive returns only when Redis keeps dying

    # -- stop --------------------------------------------------------------------------

    async def _stop_all(self) -> None:
        """Stop web, worker, activity, then Redis; never raises, even on a second signal."""
        if self._gave_up.is_set():
            self.say("stopping everything")
        for task in self._watchers:
            task.cancel()
        await self._finish(asyncio.gather(*self._watchers, *self._spawns, return_exceptions=True))
        for service in reversed(self.services):
            child = service.child
            if child is None or not child.running:
                continue
            returncode, killed = await self._finish(child.stop(self.grace))
            how = f" (SIGKILL after {self.grace:g} s)" if killed and not self._force else ""
            self.say(f"{service.spec.name}: stopped, {describe_exit(returncode)}{how}")
        if self.broker is not None and self.broker.server is not None:
            try:
                await self._finish(self.broker.stop())
                self.say("redis: stopped")
            except Exception as exc:
                self.say(f"ERROR redis did not stop cleanly: {exc}")
        if self._context is not None:
            await self._finish(self._context.http.close())
            await self._finish(self._context.redis.aclose())
        for service in self.services:
            service.output.close()
        self.say("all stopped")
        self.log.close()

    async def _finish(self, awaitable: Awaitable[T]) -> T:
        """Await to the end through further signals; the first one SIGKILLs the children."""
        future = asyncio.ensure_future(awaitable)
        while True:
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                if future.done():
                    return future.result()
                if not self._force:
                    self._force = True
                    self.say("second signal: killing the services now")
                    for service in self.services:
                        if service.child is not None and service.child.running:
                            service.child.signal(signal.SIGKILL)
