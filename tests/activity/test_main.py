"""`wolfit activity` as a user runs it: a real process, its exit codes, its durability."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from src.common.embedded_redis import free_port
from tests.conftest import TEST_TOKEN
from tests.support.activity import AUTH, event_body

WOLFIT = Path(sys.executable).with_name("wolfit")
COMMAND = [str(WOLFIT)] if WOLFIT.exists() else [sys.executable, "-m", "src.cli"]


def run_wolfit(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "activity", *args],
        env={**os.environ, "WOLFIT_VAR_DIR": str(tmp_path / "var"), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_describes_the_settings(tmp_path: Path) -> None:
    result = run_wolfit(tmp_path, "--help")
    assert result.returncode == 0
    assert "ACTIVITY_DB_URL" in result.stdout
    module = subprocess.run(
        [sys.executable, "-m", "src.activity", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert module.returncode == 0
    assert module.stdout == result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLEEP_TIME", "abc"),
        ("SLEEP_TIME", "120"),
        ("HOST", "256.1.1.1"),
        ("ACTIVITY_DB_URL", "postgres://app:hunter2@db/events"),
    ],
)
def test_a_bad_setting_exits_2_with_one_line_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    result = run_wolfit(tmp_path, **{name: value}, ACTIVITY_TOKEN=TEST_TOKEN)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert name in lines[0]
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_a_bad_token_exits_2_without_showing_it(tmp_path: Path) -> None:
    result = run_wolfit(tmp_path, ACTIVITY_TOKEN="hunter2")
    assert result.returncode == 2
    assert result.stderr.startswith("wolfit: bad setting ACTIVITY_TOKEN=")
    assert "hunter2" not in result.stderr


def test_a_missing_token_exits_2_with_one_line_saying_so(tmp_path: Path) -> None:
    result = run_wolfit(tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ACTIVITY_TOKEN" in lines[0]


def test_a_port_in_use_exits_1_with_one_line_naming_it(tmp_path: Path) -> None:
    """It once ended in an OSError traceback (errno 98) and exit status 1."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_wolfit(
            tmp_path,
            ACTIVITY_TOKEN=TEST_TOKEN,
            ACTIVITY_PORT=str(port),
            ACTIVITY_DB_URL=f"sqlite:///{tmp_path / 'activity.sqlite3'}",
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"wolfit activity: cannot listen on 127.0.0.1:{port} (ACTIVITY_PORT): "
        "address already in use"
    ]


def test_an_address_not_of_this_machine_exits_1_naming_host(tmp_path: Path) -> None:
    port = free_port()
    result = run_wolfit(
        tmp_path,
        ACTIVITY_TOKEN=TEST_TOKEN,
        HOST="192.0.2.1",  # TEST-NET-1: a valid address that no machine here has
        ACTIVITY_PORT=str(port),
        ACTIVITY_DB_URL=f"sqlite:///{tmp_path / 'activity.sqlite3'}",
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"wolfit activity: cannot listen on 192.0.2.1:{port} (HOST): "
        "cannot assign requested address"
    ]


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def service(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`wolfit activity` on `port`, with its store in `tmp_path`, once it answers."""
    env = {
        **os.environ,
        "ACTIVITY_TOKEN": TEST_TOKEN,
        "ACTIVITY_PORT": str(port),
        "ACTIVITY_DB_URL": f"sqlite:///{tmp_path / 'activity.sqlite3'}",
        "WOLFIT_VAR_DIR": str(tmp_path / "var"),
    }
    log = (tmp_path / "service.log").open("ab")
    process = subprocess.Popen([*COMMAND, "activity"], env=env, stderr=log, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "service.log").read_text()
            try:
                if call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the service did not answer in 30 s"
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


def test_events_survive_a_crash_and_a_restart(tmp_path: Path) -> None:
    port = free_port()
    bodies = [event_body(details=f"event {n}") for n in range(20)]
    with service(tmp_path, port) as process:
        for body in bodies:
            assert call(port, "POST", "/api/activities", body)[0] == 201
        process.send_signal(signal.SIGKILL)  # no shutdown: only what was committed remains
        process.wait(timeout=30)
    with service(tmp_path, port) as process:
        for body in bodies:
            status, stored = call(port, "GET", f"/api/activities/{body['id']}")
            assert status == 200
            assert stored["details"] == body["details"]
        assert call(port, "POST", "/api/activities", bodies[0])[0] == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    log = (tmp_path / "service.log").read_text()
    assert "Traceback" not in log
    first = json.loads(log.splitlines()[0])
    assert first["service"] == "activity"


def test_the_service_runs_on_uvloop(tmp_path: Path) -> None:
    port = free_port()
    with service(tmp_path, port) as process:
        status, health = call(port, "GET", "/healthz")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert (status, health["loop"]) == (200, "uvloop")
    records = [json.loads(line) for line in (tmp_path / "service.log").read_text().splitlines()]
    assert any(
        "listening on" in record["message"] and record["message"].endswith(" on uvloop")
        for record in records
    ), records


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_service_stops_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    port = free_port()
    with service(tmp_path, port) as process:
        assert call(port, "POST", "/api/activities", event_body())[0] == 201
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0
