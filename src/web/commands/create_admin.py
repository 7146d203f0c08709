"""`wolfit create-admin NAME`: create an admin user of the web app.

The password comes from a prompt (typed twice) or, for scripts, from the first line of
standard input with `--password-stdin`; never from the command line, where other users of
the machine could read it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from sqlalchemy.exc import SQLAlchemyError

from src.common.settings import load_settings_or_exit
from src.web.data.users import create_user
from src.web.database import Database
from src.web.errors import Conflict
from src.web.forms import check_email, check_password, check_username
from src.web.schema import SchemaOutdated, check_schema
from src.web.security.passwords import hash_password

__all__ = ["main"]


class CommandError(Exception):
    """A problem to report in one line, with exit status 1."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password: use --password-stdin")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        raise CommandError("the two passwords differ; nothing was changed")
    return password


async def _create(database_url: str, username: str, email: str, password: str) -> None:
    database = Database(database_url)
    try:
        await check_schema(database)
        password_hash = await hash_password(password)
        await database.write(
            create_user, username=username, email=email, password_hash=password_hash, is_admin=True
        )
    finally:
        await database.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wolfit create-admin",
        description="Create an admin user of the web app (DATABASE_URL). The password is "
        "asked for twice, or read from the first line of standard input with --password-stdin.",
    )
    parser.add_argument("name", help="the admin's username (3-32 letters, digits, - or _)")
    parser.add_argument("--email", help="the admin's email address (default: NAME@localhost)")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Create the admin NAME; 0 on success, 1 with one line on stderr otherwise."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings_or_exit()
    try:
        if problem := check_username(args.name):
            raise CommandError(f"bad username {args.name!r}: {problem}")
        if args.email is not None and (problem := check_email(args.email)):
            raise CommandError(f"bad --email {args.email!r}: {problem}")
        password = _read_password(args.password_stdin)
        if problem := check_password(password):
            raise CommandError(f"bad password: {problem}")
        email = args.email or f"{args.name}@localhost"
        asyncio.run(_create(settings.database_url, args.name, email, password))
    except (CommandError, SchemaOutdated, Conflict) as exc:
        print(f"wolfit create-admin: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        print(f"wolfit create-admin: database error: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print("\nwolfit create-admin: cancelled; nothing was changed", file=sys.stderr)
        return 1
    print(f"wolfit create-admin: admin {args.name!r} created")
    return 0
