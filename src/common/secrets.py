"""Secrets that are generated once into `var/` when the environment does not give them.

`wolfit up` writes `var/activity-token` and `var/secret-key` (mode 0600) on its first run, so
that a fresh clone runs with no setup, and every later start, and every service started by
hand beside it, reads the same values.

Several processes may start at once (the workers of `wolfit web`, or two services started
side by side), so a secret file never appears empty or half written: it is written whole into
a private temporary file and then hard-linked into place, which fails for every process but
the first. Each process then reads the one value that won.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from pathlib import Path

from src.common.settings import Settings, SettingsError

__all__ = ["activity_token", "load_or_create_secret", "secret_key"]

ACTIVITY_TOKEN_FILE = "activity-token"  # noqa: S105 (a file name)
SECRET_KEY_FILE = "secret-key"  # noqa: S105 (a file name)
_VARIABLES = {ACTIVITY_TOKEN_FILE: "ACTIVITY_TOKEN", SECRET_KEY_FILE: "SECRET_KEY"}

# An empty file may be one that an older version is writing (it created the file first and
# wrote it next); it gets this long to fill before it counts as broken.
_READ_TRIES = 50
_READ_PAUSE = 0.02


def load_or_create_secret(var_dir: Path, filename: str) -> str:
    """The secret stored in `var_dir/filename`, created (random, mode 0600) if missing."""
    path = var_dir / filename
    var_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    """Put a new secret at `path` unless another process puts one there first."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: theirs wins
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read(path: Path) -> str:
    for _ in range(_READ_TRIES):
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(_READ_PAUSE)
    variable = _VARIABLES.get(path.name)
    instead = f", or set {variable}" if variable else ""
    raise SettingsError(f"{path} is empty: delete it to have a new one generated{instead}")


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
