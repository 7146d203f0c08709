"""`wolfit web`: serve the Wolfit web app on HOST:WEB_PORT (default 127.0.0.1:8080).

WEB_PROCESSES worker processes serve it, forked by a gunicorn master that holds the port
(`src.common.prefork`); the same path serves WEB_PROCESSES=1, so one process or several
behave alike (signals, logs, metrics, a dead worker replaced). What can stop the web app
from starting is checked here once, before anything forks, and said in one line: a bad
setting, a missing token or REDIS_URL (exit 2), a database that was not migrated (exit 2),
one that cannot be reached, or a port in use (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import warnings

import uvloop
from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning
from sqlalchemy.exc import SQLAlchemyError

from src.common.logging import configure_logging
from src.common.prefork import BOOT_FAILED, listen, serve
from src.common.runner import cannot_listen, loop_name
from src.common.secrets import activity_token, secret_key
from src.common.settings import Settings, SettingsError, load_settings_or_exit

__all__ = ["main"]

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Serve the web app until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="wolfit web",
        description="Serve Wolfit, the web app. Settings come from the environment "
        "(DATABASE_URL, REDIS_URL, ACTIVITY_URL, ACTIVITY_TOKEN, ACTIVITY_MODE, WEB_PORT, "
        "WEB_PROCESSES...).",
    )
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings_or_exit()
    try:
        activity_token(settings)  # checked now: a missing token is one clear line, not a crash
    except SettingsError as exc:
        print(f"wolfit web: {exc}", file=sys.stderr)
        return 2
    if settings.activity_mode != "off" and not settings.redis_url:
        print(
            f"wolfit web: REDIS_URL is not set: ACTIVITY_MODE={settings.activity_mode} "
            "delivers events through the queue (set REDIS_URL, or run the suite with `wolfit up`)",
            file=sys.stderr,
        )
        return 2
    configure_logging("web")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the schema check's chatter
    # aiohttp-session keeps its state under string request keys; aiohttp warns once a process.
    warnings.filterwarnings("ignore", category=NotAppKeyWarning, module="aiohttp_session")

    from src.web.app import create_app
    from src.web.schema import SchemaOutdated

    try:
        secret_key(settings)  # made now if missing, so that every worker reads the same key
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_check_database(settings))
    except (SettingsError, SchemaOutdated) as exc:
        print(f"wolfit web: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        # Database unreachable, var/ not writable: say which, without a traceback.
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        print(f"wolfit web: cannot start: {reason}", file=sys.stderr)
        return 1
    try:
        sockets = listen(settings.host, settings.web_port)
    except OSError as exc:
        line = cannot_listen(
            exc, host=settings.host, port=settings.web_port, port_variable="WEB_PORT"
        )
        print(f"wolfit web: {line or f'cannot start: {exc}'}", file=sys.stderr)
        raise SystemExit(1) from None

    async def make_app() -> web.Application:
        """Run in each worker after the fork: its own app, pools and background tasks."""
        log.info("web process %d serving on %s", os.getpid(), loop_name())
        return create_app(settings)

    status = serve(make_app, sockets=sockets, processes=settings.web_processes, name="web")
    if status == BOOT_FAILED:
        print(
            "wolfit web: a web process could not start (its error is logged above)", file=sys.stderr
        )
        return 1
    return status


async def _check_database(settings: Settings) -> None:
    """`SchemaOutdated` unless the database answers and is migrated: once, in the master."""
    from src.web.database import Database
    from src.web.schema import check_schema

    database = Database(settings.database_url)
    try:
        await check_schema(database)
    finally:
        await database.close()


if __name__ == "__main__":
    raise SystemExit(main())
