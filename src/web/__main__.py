"""`wolfit web`: serve the Wolfit web app on HOST:WEB_PORT (default 127.0.0.1:8080)."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from aiohttp.web_exceptions import NotAppKeyWarning

from src.common.logging import configure_logging
from src.common.runner import run_app
from src.common.secrets import activity_token
from src.common.settings import SettingsError, load_settings_or_exit

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Serve the web app until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="wolfit web",
        description="Serve Wolfit, the web app. Settings come from the environment "
        "(DATABASE_URL, REDIS_URL, ACTIVITY_URL, ACTIVITY_TOKEN, ACTIVITY_MODE, WEB_PORT...).",
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

    from .app import create_app
    from .schema import SchemaOutdated

    try:
        run_app(
            create_app(settings),
            host=settings.host,
            port=settings.web_port,
            name="web",
            program="wolfit web",
            port_variable="WEB_PORT",
        )
    except SchemaOutdated as exc:
        print(f"wolfit web: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Port in use, database unreachable: say which, without a traceback.
        print(f"wolfit web: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
