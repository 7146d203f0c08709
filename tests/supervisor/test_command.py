"""`wolfit up` as a real process: what it refuses before starting anything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from src.common.embedded_redis import free_port
from src.supervisor.lock import RunLock


def wolfit_up(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "WOLFIT_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run(
        [sys.executable, "-m", "src.cli", "up", *args],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_setting_is_one_line_and_status_2(tmp_path: Path) -> None:
    result = wolfit_up(tmp_path, SLEEP_TIME="abc")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("wolfit: bad setting SLEEP_TIME='abc': ")
    assert not (tmp_path / "var").exists()


def test_a_port_in_use_is_named_and_nothing_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = wolfit_up(tmp_path, WEB_PORT=str(port), ACTIVITY_PORT=str(free_port()))
    assert result.returncode == 1
    assert result.stderr == (
        f"wolfit up: WEB_PORT={port} is already in use on 127.0.0.1: stop what listens "
        "there, or set WEB_PORT to a free port\n"
    )
    assert not (tmp_path / "var").exists()


def test_the_same_port_twice_is_refused(tmp_path: Path) -> None:
    port = str(free_port())
    result = wolfit_up(tmp_path, WEB_PORT=port, ACTIVITY_PORT=port)
    assert result.returncode == 1
    assert f"WEB_PORT and ACTIVITY_PORT are both {port}" in result.stderr


def test_a_host_we_cannot_listen_on_is_a_bad_setting(tmp_path: Path) -> None:
    result = wolfit_up(tmp_path, HOST="192.0.2.1", WEB_PORT=str(free_port()))
    assert result.returncode == 2
    assert result.stderr.startswith("wolfit: bad setting HOST='192.0.2.1': cannot listen there")
    assert result.stderr.count("\n") == 1


def test_a_var_dir_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    result = wolfit_up(
        tmp_path,
        WOLFIT_VAR_DIR=str(tmp_path / "file" / "var"),
        WEB_PORT=str(free_port()),
        ACTIVITY_PORT=str(free_port()),
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"wolfit up: cannot write into {tmp_path / 'file' / 'var'}: "
        "Not a directory; set WOLFIT_VAR_DIR to a writable directory\n"
    )


def test_a_second_wolfit_up_on_the_same_var_dir_is_refused(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "var")
    lock.acquire()  # as the first `wolfit up` holds it
    try:
        result = wolfit_up(tmp_path, WEB_PORT=str(free_port()), ACTIVITY_PORT=str(free_port()))
    finally:
        lock.release()
    assert result.returncode == 1
    assert result.stderr == (
        f"wolfit up: another wolfit up (pid {os.getpid()}) runs with WOLFIT_VAR_DIR="
        f"{tmp_path / 'var'}: stop it first, or give this one another WOLFIT_VAR_DIR\n"
    )
    assert not (tmp_path / "var" / "activity-token").exists()


def test_bad_options_are_refused_with_usage(tmp_path: Path) -> None:
    result = wolfit_up(tmp_path, "--redis-port", "70000")
    assert result.returncode == 2
    assert "70000 is not a TCP port (0..65535)" in result.stderr
    assert result.stderr.startswith("usage: wolfit up")
