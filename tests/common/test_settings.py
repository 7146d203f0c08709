from __future__ import annotations

import subprocess
import sys

import pytest

from src.common.settings import DEFAULT_WEB_PROCESSES, Settings, SettingsError, load_settings


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.activity_db_url == "sqlite:///var/activity.sqlite3"
    assert settings.database_url == "sqlite+aiosqlite:///var/web.sqlite3"
    assert settings.activity_url == "http://127.0.0.1:8081"
    assert settings.activity_mode == "async"
    assert (settings.sleep_time, settings.fail_rate) == (0, 0)
    assert (settings.web_port, settings.activity_port) == (8080, 8081)
    assert settings.worker_max_jobs == 100
    assert settings.delivery_max_tries == 25
    assert (settings.delivery_backoff_base, settings.delivery_backoff_cap) == (0.5, 300)
    assert settings.web_processes == DEFAULT_WEB_PROCESSES


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEEP_TIME", "0.25")
    monkeypatch.setenv("ACTIVITY_MODE", "sync")
    monkeypatch.setenv("ACTIVITY_URL", "http://activity:8081/")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@db/wolfit")
    monkeypatch.setenv("FAIL_RATE", "")  # empty is unset
    settings = load_settings()
    assert settings.sleep_time == 0.25
    assert settings.activity_mode == "sync"
    assert settings.activity_url == "http://activity:8081"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.fail_rate == 0


def test_web_processes_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_PROCESSES", "3")
    assert load_settings().web_processes == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLEEP_TIME", "abc"),
        ("SLEEP_TIME", "-1"),
        ("SLEEP_TIME", "nan"),
        ("SLEEP_TIME", "60.5"),  # PUT /api/chaos allows at most 60
        ("FAIL_RATE", "1.5"),
        ("ACTIVITY_MODE", "fast"),
        ("WEB_PORT", "70000"),
        ("WORKER_MAX_JOBS", "0"),
        ("WEB_PROCESSES", "0"),
        ("WEB_PROCESSES", "two"),
        ("WEB_PROCESSES", "1000"),
        ("ACTIVITY_URL", "ftp://x"),
        ("ACTIVITY_URL", "http://"),
        ("REDIS_URL", "localhost:6379"),
        ("ALERT_QUEUE_DEPTH", "0"),
        ("ALERT_QUEUE_AGE", "soon"),
        ("ALERT_WORKER_ABSENT", "0"),
        ("ALERT_LOGIN_FAILURES", "-5"),
        ("ALERT_LOGIN_WINDOW", "inf"),
        ("ALERT_FORBIDDEN_QUIET", "-1"),
        ("ALERT_DEAD_LETTER_QUIET", "x"),
        ("ALERT_INTERVAL", "0"),
        ("DATABASE_URL", "mysql://root@db/x"),
        ("DATABASE_URL", "not a url"),
        ("ACTIVITY_DB_URL", "postgres://x/y"),
        ("ACTIVITY_DB_URL", "sqlite:///:memory:"),
        ("ACTIVITY_DB_URL", "sqlite:///"),
        ("ACTIVITY_TOKEN", "short"),
        ("DELIVERY_BACKOFF_BASE", "0"),
        ("HOST", "256.1.1.1"),  # once a socket.gaierror traceback at bind time
        ("HOST", "1.2.3"),
        ("HOST", "bad host"),
        ("HOST", "-activity"),
        ("HOST", "db..internal"),
        ("HOST", "activity:8081"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}=")
    assert "\n" not in message


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "activity", "activity.internal."],  # noqa: S104
)
def test_host_is_an_ip_address_or_a_host_name(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("HOST", host)
    assert load_settings().host == host


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("ACTIVITY_TOKEN", "hunter2", "hunter2"),
        ("SECRET_KEY", "my-secret", "my-secret"),
        ("OPS_TOKEN", "opstoken", "opstoken"),
        ("DATABASE_URL", "mysql://root:hunter2@db/wolfit", "hunter2"),
        ("DATABASE_URL", "postgresql://app:hunter2@db/wolfit", "hunter2"),
        ("ACTIVITY_DB_URL", "postgres://app:s3cr3t@db/events", "s3cr3t"),
        ("REDIS_URL", "http://:redis-pass@cache:6379/0", "redis-pass"),
        ("REDIS_URL", "http://user:p@ss@cache/0", "p@ss"),
        ("REDIS_URL", "http://cache/0?password=q-pass&db=1", "q-pass"),
    ],
)
def test_a_rejected_value_never_shows_a_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, secret: str
) -> None:
    """The line once printed ACTIVITY_TOKEN='short': it names the variable and the problem."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}=")
    assert secret not in message
    assert "must" in message


def test_keyword_overrides_use_field_names(tmp_path: object) -> None:
    assert load_settings(sleep_time=0.3).sleep_time == 0.3
    with pytest.raises(SettingsError, match=r"^FAIL_RATE="):
        load_settings(fail_rate=2)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.sleep_time = 1  # type: ignore[misc]


def test_load_settings_or_exit_prints_one_line_and_exits_2() -> None:
    code = "from src.common.settings import load_settings_or_exit; load_settings_or_exit()"
    env = {"SLEEP_TIME": "abc", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SLEEP_TIME" in lines[0]
    assert "Traceback" not in done.stderr
