"""`wolfit up`: check what can be checked before starting anything, then run the `Supervisor`.

Bad settings stop us with one line and status 2, like every service; a port already taken,
or a `var/` we cannot write, with one line and status 1, before any process is started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from src.common.runner import run
from src.common.secrets import ACTIVITY_TOKEN_FILE, SECRET_KEY_FILE, activity_token, secret_key
from src.common.settings import (
    Settings,
    SettingsError,
    exit_with_setting_error,
    load_settings_or_exit,
)
from src.supervisor.broker import DEFAULT_REDIS_PORT, port_in_use
from src.supervisor.lock import AlreadyRunning, RunLock
from src.supervisor.services import display_host, suite_services
from src.supervisor.supervisor import Supervisor

__all__ = ["main"]


def port_number(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0..65535)")
    return port


def seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < 86400:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wolfit up",
        description=(
            "Start Redis (embedded unless REDIS_URL is set), the activity service, one worker "
            "and the web app; print their URLs; restart a service that dies; Ctrl-C stops all. "
            "Each service's output goes to the terminal and to WOLFIT_VAR_DIR/logs/."
        ),
    )
    parser.add_argument(
        "--redis-port",
        type=port_number,
        default=DEFAULT_REDIS_PORT,
        metavar="PORT",
        help="port of the embedded Redis, taken if free, else any free port (0: any free port; "
        "default %(default)s)",
    )
    parser.add_argument(
        "--start-timeout",
        type=seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long each service has to answer healthy (default %(default)g)",
    )
    parser.add_argument(
        "--grace",
        type=seconds,
        default=15.0,
        metavar="SECONDS",
        help="how long a service has to stop after SIGTERM before SIGKILL (default %(default)g)",
    )
    return parser


def _secrets(settings: Settings) -> tuple[str, str, list[str]]:
    """ACTIVITY_TOKEN and SECRET_KEY, generated into var/ when unset, and notes saying so."""
    notes = []
    for name, filename, given in (
        ("ACTIVITY_TOKEN", ACTIVITY_TOKEN_FILE, settings.activity_token),
        ("SECRET_KEY", SECRET_KEY_FILE, settings.secret_key),
    ):
        path = settings.var_dir / filename
        if given:
            notes.append(f"{name}: from the environment")
        else:
            made = "read from" if path.exists() else "generated into"
            notes.append(f"{name}: {made} {path} (mode 0600)")
    return activity_token(settings, create=True), secret_key(settings), notes


def _busy_port(settings: Settings) -> str | None:
    """One line naming the first listen port that something else already holds."""
    if settings.activity_port == settings.web_port:
        return f"wolfit up: WEB_PORT and ACTIVITY_PORT are both {settings.web_port}: set them apart"
    host = settings.host or "0.0.0.0"  # noqa: S104 (a bind test, closed at once)
    for variable, port in (
        ("ACTIVITY_PORT", settings.activity_port),
        ("WEB_PORT", settings.web_port),
    ):
        try:
            busy = port_in_use(host, port)
        except OSError as exc:
            raise SettingsError(f"HOST={host!r}: cannot listen there ({exc})") from None
        if busy:
            return (
                f"wolfit up: {variable}={port} is already in use on {host}: stop what "
                f"listens there, or set {variable} to a free port"
            )
    return None


def main(argv: list[str]) -> int:
    """Run the whole suite until Ctrl-C; the exit status (0 stopped by a signal, 1 failed)."""
    args = _parser().parse_args(argv)
    settings = load_settings_or_exit()
    try:
        problem = _busy_port(settings)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        lock = RunLock(settings.var_dir)
        lock.acquire()
        token, key, notes = _secrets(settings)
    except SettingsError as exc:
        exit_with_setting_error(exc)
    except AlreadyRunning as exc:
        print(
            f"wolfit up: another wolfit up (pid {exc}) runs with WOLFIT_VAR_DIR="
            f"{settings.var_dir}: stop it first, or give this one another WOLFIT_VAR_DIR",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(
            f"wolfit up: cannot write into {settings.var_dir}: "
            f"{exc.strerror}; set WOLFIT_VAR_DIR to a writable directory",
            file=sys.stderr,
        )
        return 1

    activity_url = f"http://{display_host(settings.host)}:{settings.activity_port}"
    if os.environ.get("ACTIVITY_URL") and settings.activity_url != activity_url:
        notes.append(
            f"ACTIVITY_URL={settings.activity_url} is replaced by {activity_url} for the "
            "children: wolfit up runs its own activity service"
        )
    env = {
        **os.environ,
        "ACTIVITY_TOKEN": token,
        "SECRET_KEY": key,
        "ACTIVITY_URL": activity_url,
        "WOLFIT_VAR_DIR": str(settings.var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    supervisor = Supervisor(
        suite_services(settings),
        env=env,
        log_dir=settings.var_dir / "logs",
        redis_url=settings.redis_url,
        redis_dir=settings.var_dir / "redis",
        redis_port=args.redis_port,
        notes=tuple(notes),
        start_timeout=args.start_timeout,
        grace=args.grace,
    )
    try:
        return int(run(_until_stopped(supervisor)) or 0)
    finally:
        lock.release()


async def _until_stopped(supervisor: Supervisor) -> int:
    """Run the supervisor; SIGHUP (its terminal closed) stops it like SIGINT and SIGTERM.

    Without this the children, in sessions of their own, would outlive a closed terminal.
    """
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, task.cancel)
    return await supervisor.run()
