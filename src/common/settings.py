"""Settings of every service, read once from the environment and checked at start.

The names and defaults are those of docs/settings.md, a table generated from this class. A
bad value raises `SettingsError`, whose message is one line that names the variable;
`load_settings_or_exit` turns it into that line on stderr and exit status 2, never a
traceback.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from yarl import URL

from src.common.redaction import without_password

__all__ = [
    "DEFAULT_WEB_PROCESSES",
    "MAX_SLEEP_TIME",
    "MAX_WEB_PROCESSES",
    "ActivityMode",
    "Settings",
    "SettingsError",
    "load_settings",
    "load_settings_or_exit",
]

ActivityMode = Literal["async", "sync", "off"]

# The most SLEEP_TIME may be, at start and through PUT /api/chaos alike: longer than any sane
# experiment, shorter than clients' timeouts are likely to tolerate.
MAX_SLEEP_TIME = 60.0

# How many processes `wolfit web` serves with (WEB_PROCESSES): one pre-fork master, this many
# workers sharing its port. The one place the default lives; the lead measures and may change it.
DEFAULT_WEB_PROCESSES = 2
MAX_WEB_PROCESSES = 64

Port = Annotated[int, Field(ge=1, le=65535)]
PositiveSeconds = Annotated[float, Field(gt=0, le=7 * 24 * 3600, allow_inf_nan=False)]

_DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class SettingsError(ValueError):
    """A setting from the environment is unusable; the message names the variable."""


def _env(name: str) -> Any:
    """Bind a field to its environment variable, and to the field name for tests."""
    return AliasChoices(name, name.lower())


def _check_url(value: str, schemes: tuple[str, ...], *, needs_host: bool) -> str:
    try:
        url = URL(value)
    except ValueError as exc:
        raise ValueError(f"is not a URL ({exc})") from None
    if url.scheme not in schemes:
        raise ValueError(f"must start with one of {', '.join(s + '://' for s in schemes)}")
    if needs_host and not url.host:
        raise ValueError("has no host")
    return value


def _check_host(value: str) -> str:
    """An IP address (`127.0.0.1`, `::1`, `0.0.0.0`) or a host name (RFC 1123)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        labels = value.removesuffix(".").split(".")
        if (
            len(value) <= 253
            and all(_HOST_LABEL.fullmatch(label) for label in labels)
            and not labels[-1].isdigit()  # 256.1.1.1 is a bad address, not a name
        ):
            return value
        raise ValueError(
            "must be an IP address such as 127.0.0.1 or 0.0.0.0, or a host name such as localhost"
        ) from None
    return value


class Settings(BaseSettings):
    """Everything the suite reads from the environment (docs/settings.md), validated.

    Tests build one directly with field names: `Settings(sleep_time=0.3, var_dir=tmp_path)`.
    Every field has a one-sentence `description`: docs/settings.md is built from them, and the
    docs build fails on a field without one.
    """

    model_config = SettingsConfigDict(
        env_ignore_empty=True, populate_by_name=True, frozen=True, extra="ignore"
    )

    redis_url: str | None = Field(
        None,
        validation_alias=_env("REDIS_URL"),
        description=(
            "The Redis of the arq queue (`redis://`, `rediss://` or `unix://`); unset, `wolfit up`"
            " starts an embedded `redis-server` with AOF on and its data in `var/redis/`."
        ),
    )
    activity_db_url: str = Field(
        "sqlite:///var/activity.sqlite3",
        validation_alias=_env("ACTIVITY_DB_URL"),
        description=(
            "The activity service's store: `sqlite:///PATH` (a relative path starts from the"
            " working directory), or `mongodb://...` for MongoDB through Motor."
        ),
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///var/web.sqlite3",
        validation_alias=_env("DATABASE_URL"),
        description=(
            "The web app's database: `sqlite+aiosqlite:///PATH`, or"
            " `postgresql+asyncpg://...` in production."
        ),
    )
    activity_url: str = Field(
        "http://127.0.0.1:8081",
        validation_alias=_env("ACTIVITY_URL"),
        description="Where the web app and the worker reach the activity service.",
    )
    activity_token: str | None = Field(
        None,
        validation_alias=_env("ACTIVITY_TOKEN"),
        description=(
            "Bearer token of the activity API, at least 16 characters; unset, a service uses"
            " the `var/activity-token` that `wolfit up` generates, and refuses to start"
            " without one."
        ),
    )
    activity_mode: ActivityMode = Field(
        "async",
        validation_alias=_env("ACTIVITY_MODE"),
        description=(
            "How the web app logs actions: `async` enqueues each event, `sync` POSTs it inline"
            " and waits (the slow design, kept for the experiment), `off` logs nothing (the"
            " baseline)."
        ),
    )
    sleep_time: Annotated[float, Field(ge=0, le=MAX_SLEEP_TIME, allow_inf_nan=False)] = Field(
        0.0,
        validation_alias=_env("SLEEP_TIME"),
        description="Seconds the activity service sleeps after saving an event (simulated delay).",
    )
    fail_rate: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0,
        validation_alias=_env("FAIL_RATE"),
        description=(
            "Fraction of activity POSTs the service answers `503` before saving (simulated"
            " failures)."
        ),
    )
    secret_key: str | None = Field(
        None,
        validation_alias=_env("SECRET_KEY"),
        description=(
            "Key of the web app's session cookies and CSRF tokens, at least 16 characters;"
            " unset, generated once into `var/secret-key`."
        ),
    )
    host: str = Field(
        "127.0.0.1",
        validation_alias=_env("HOST"),
        description=(
            "Listen address of the web app and the activity service: an IP address or a host name."
        ),
    )
    web_port: Port = Field(
        8080, validation_alias=_env("WEB_PORT"), description="Port the web app listens on."
    )
    web_auto_reload: bool = Field(
        False,
        validation_alias=_env("WEB_AUTO_RELOAD"),
        description=(
            "For development: templates and static files are read again when they change"
            " (otherwise templates are compiled once and static URLs hashed once per start)."
        ),
    )
    database_pool_size: Annotated[int, Field(ge=1, le=1_000)] = Field(
        20,
        validation_alias=_env("DATABASE_POOL_SIZE"),
        description=(
            "PostgreSQL connections the web app holds at most, all its processes together"
            " (each gets an equal share, at least 2)."
        ),
    )
    activity_port: Port = Field(
        8081,
        validation_alias=_env("ACTIVITY_PORT"),
        description="Port the activity service listens on.",
    )
    web_processes: Annotated[int, Field(ge=1, le=MAX_WEB_PROCESSES)] = Field(
        DEFAULT_WEB_PROCESSES,
        validation_alias=_env("WEB_PROCESSES"),
        description="Processes `wolfit web` serves with, all on `WEB_PORT`.",
    )
    worker_max_jobs: Annotated[int, Field(ge=1, le=10_000)] = Field(
        100,
        validation_alias=_env("WORKER_MAX_JOBS"),
        description="Deliveries one worker runs at once.",
    )
    delivery_max_tries: Annotated[int, Field(ge=1, le=1_000)] = Field(
        25,
        validation_alias=_env("DELIVERY_MAX_TRIES"),
        description="Tries of a delivery before its event is parked in the dead-letter store.",
    )
    delivery_backoff_base: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        0.5,
        validation_alias=_env("DELIVERY_BACKOFF_BASE"),
        description="Seconds: the longest wait after the first failed try (full-jitter backoff).",
    )
    delivery_backoff_cap: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        300.0,
        validation_alias=_env("DELIVERY_BACKOFF_CAP"),
        description="Seconds: the longest wait between two tries, however many failed.",
    )
    ops_token: str | None = Field(
        None,
        validation_alias=_env("OPS_TOKEN"),
        description=(
            "Bearer token of the ops JSON API, at least 16 characters; unset, the ops API"
            " takes admin sessions only."
        ),
    )
    alert_webhook_url: str | None = Field(
        None,
        validation_alias=_env("ALERT_WEBHOOK_URL"),
        description="Where alerts are POSTed as JSON when raised and resolved; unset, nowhere.",
    )
    var_dir: Path = Field(
        Path("var"),
        validation_alias=_env("WOLFIT_VAR_DIR"),
        description="Where generated secrets, logs, alerts and the embedded Redis's data live.",
    )
    # Alert rules of the operator dashboard (docs/dashboard.md): thresholds and timings.
    alert_queue_depth: Annotated[int, Field(ge=1)] = Field(
        10_000,
        validation_alias=_env("ALERT_QUEUE_DEPTH"),
        description="Jobs queued above which the `queue_depth` alert is raised.",
    )
    alert_queue_age: PositiveSeconds = Field(
        300.0,
        validation_alias=_env("ALERT_QUEUE_AGE"),
        description="Seconds the oldest due job may wait before the `queue_age` alert.",
    )
    alert_worker_absent: PositiveSeconds = Field(
        30.0,
        validation_alias=_env("ALERT_WORKER_ABSENT"),
        description="Seconds without a live worker before the `worker_absent` alert.",
    )
    alert_login_failures: Annotated[int, Field(ge=1, le=1_000)] = Field(
        5,
        validation_alias=_env("ALERT_LOGIN_FAILURES"),
        description=(
            "Failed logins for one username within `ALERT_LOGIN_WINDOW` that raise the"
            " `login_failures` alert."
        ),
    )
    alert_login_window: PositiveSeconds = Field(
        300.0,
        validation_alias=_env("ALERT_LOGIN_WINDOW"),
        description="Seconds over which failed logins are counted.",
    )
    alert_forbidden_quiet: PositiveSeconds = Field(
        600.0,
        validation_alias=_env("ALERT_FORBIDDEN_QUIET"),
        description=(
            "Seconds without a forbidden request from its subject before a `forbidden` alert"
            " is resolved."
        ),
    )
    alert_dead_letter_quiet: PositiveSeconds = Field(
        600.0,
        validation_alias=_env("ALERT_DEAD_LETTER_QUIET"),
        description="Seconds without a new dead letter before the `dead_letter` alert is resolved.",
    )
    alert_interval: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = Field(
        5.0,
        validation_alias=_env("ALERT_INTERVAL"),
        description="Seconds between two evaluations of the alert rules.",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _check_url(value, ("redis", "rediss", "unix"), needs_host=False)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return _check_host(value)

    @field_validator("activity_url", "alert_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _check_url(value, ("http", "https"), needs_host=True).rstrip("/")

    @field_validator("activity_db_url")
    @classmethod
    def _activity_db_url(cls, value: str) -> str:
        if value.startswith("sqlite:///"):
            path = value.removeprefix("sqlite:///")
            if path in ("", ":memory:"):
                raise ValueError("must name a database file, e.g. sqlite:///var/a.db")
            return value
        return _check_url(value, ("mongodb", "mongodb+srv"), needs_host=True)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        if url.drivername not in _DATABASE_DRIVERS:
            drivers = ", ".join(driver + "://" for driver in _DATABASE_DRIVERS)
            raise ValueError(f"must start with one of {drivers}")
        return value

    @field_validator("activity_token", "secret_key", "ops_token")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError(
                "must be at least 16 characters; generate one with `openssl rand -hex 32`"
            )
        return value


_ENV_NAMES = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}


def env_name(field: str) -> str:
    """The environment variable that sets a `Settings` field (`sleep_time` -> `SLEEP_TIME`)."""
    return _ENV_NAMES[field]


# Settings whose values an error line never shows (other values show, passwords masked).
_SECRET_FIELDS = frozenset({"activity_token", "secret_key", "ops_token"})


def _shown(field: str, value: Any) -> str:
    """How a rejected value appears in the error line: secrets hidden, passwords masked."""
    if field in _SECRET_FIELDS:
        return "<hidden>"
    if isinstance(value, str):
        return repr(without_password(value))
    return repr(value)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    given = str(first["loc"][0]) if first["loc"] else ""
    field, name = next(
        ((f, env) for f, env in _ENV_NAMES.items() if given in (f, env)), (given, given)
    )
    value = first.get("input")
    message = first["msg"].removeprefix("Value error, ")
    if isinstance(value, str) and value and value in message:  # never twice, never in clear
        message = message.replace(value, "<hidden>" if field in _SECRET_FIELDS else "***")
    return f"{name}={_shown(field, value)}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (overridden by keyword arguments), or `SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def load_settings_or_exit(**overrides: Any) -> Settings:
    """Settings, or one line on stderr naming the bad variable and exit status 2."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        exit_with_setting_error(exc)


def exit_with_setting_error(exc: SettingsError) -> NoReturn:
    """Print the one-line explanation the user needs, and stop with status 2."""
    print(f"wolfit: bad setting {exc}", file=sys.stderr)
    raise SystemExit(2)
