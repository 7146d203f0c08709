"""`wolfit migrate`: create the web database schema, or upgrade it to the newest migration."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from src.common.settings import load_settings_or_exit
from src.web.schema import upgrade

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Upgrade the database of DATABASE_URL to the newest schema; 0 on success."""
    parser = argparse.ArgumentParser(
        prog="wolfit migrate",
        description="Create or upgrade the web database (DATABASE_URL) to the newest schema. "
        "Safe to run again: a database that is up to date is left as it is.",
    )
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings_or_exit()
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        before, after = asyncio.run(upgrade(settings.database_url))
    except (SQLAlchemyError, OSError) as exc:
        print(f"wolfit migrate: cannot migrate {where}: {_first_line(exc)}", file=sys.stderr)
        return 1
    if before == after:
        print(f"wolfit migrate: {where} is up to date (revision {after})")
    else:
        print(f"wolfit migrate: {where} upgraded from {before or 'empty'} to revision {after}")
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
