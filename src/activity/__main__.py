"""`wolfit activity` and `python -m src.activity`: serve the activity API on uvloop."""

from __future__ import annotations

import argparse
import sys

from src.activity.app import create_app
from src.common.logging import configure_logging
from src.common.runner import run_app
from src.common.secrets import activity_token
from src.common.settings import SettingsError, load_settings_or_exit

__all__ = ["main"]

DESCRIPTION = """\
Serve the activity service: the HTTP API that stores activity events once per id.
Settings come from the environment: ACTIVITY_DB_URL (sqlite:///var/activity.sqlite3 or
mongodb://...), ACTIVITY_TOKEN (required unless `wolfit up` generated var/activity-token),
ACTIVITY_PORT (8081), HOST (127.0.0.1), SLEEP_TIME and FAIL_RATE (simulated latency and
failures). Logs are JSON lines on stderr."""


def main(argv: list[str]) -> int | None:
    """Run the service until SIGINT or SIGTERM; 2 for a bad setting or a missing token,
    1 when its address cannot be listened on."""
    parser = argparse.ArgumentParser(
        prog="wolfit activity",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="listen address (default: HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: ACTIVITY_PORT or 8081)")
    args = parser.parse_args(argv)
    overrides = {
        key: value
        for key, value in (("host", args.host), ("activity_port", args.port))
        if value is not None
    }
    settings = load_settings_or_exit(**overrides)
    try:
        token = activity_token(settings)
    except SettingsError as exc:
        print(f"wolfit: {exc}", file=sys.stderr)
        return 2
    settings = settings.model_copy(update={"activity_token": token})
    configure_logging("activity")
    run_app(
        create_app(settings),
        host=settings.host,
        port=settings.activity_port,
        name=f"activity service ({settings.activity_db_url.split('://')[0]})",
        program="wolfit activity",
        port_variable="ACTIVITY_PORT",
    )
    return None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
