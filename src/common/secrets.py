"""Secrets that are generated once into `var/` when the environment does not give them.

`wolfit up` writes `var/activity-token` and `var/secret-key` (mode 0600) on its first run, so
that a fresh clone runs with no setup, and every later start, and every service started by
hand beside it, reads the same values.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .settings import Settings, SettingsError

__all__ = ["activity_token", "load_or_create_secret", "secret_key"]

ACTIVITY_TOKEN_FILE = "activity-token"  # noqa: S105 (a file name)
SECRET_KEY_FILE = "secret-key"  # noqa: S105 (a file name)


def load_or_create_secret(var_dir: Path, filename: str) -> str:
    """The secret stored in `var_dir/filename`, created (random, mode 0600) if missing."""
    path = var_dir / filename
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        value = secrets.token_urlsafe(32)
        file.write(value + "\n")
    return value


def activity_token(settings: Settings, *, create: bool = False) -> str:
    """The bearer token of the activity API: `ACTIVITY_TOKEN`, else the one `wolfit up` made.

    Outside `wolfit up` (`create=False`) a missing token is a `SettingsError`: a service
    that guessed one would answer every client 401.
    """
    if settings.activity_token:
        return settings.activity_token
    path = settings.var_dir / ACTIVITY_TOKEN_FILE
    if create or path.exists():
        return load_or_create_secret(settings.var_dir, ACTIVITY_TOKEN_FILE)
    raise SettingsError(
        "ACTIVITY_TOKEN is not set: set it (the same value for web, worker and activity), "
        "or run `wolfit up` once to generate var/activity-token"
    )


def secret_key(settings: Settings) -> str:
    """The web session and CSRF key: `SECRET_KEY`, else generated once into `var/`."""
    return settings.secret_key or load_or_create_secret(settings.var_dir, SECRET_KEY_FILE)
