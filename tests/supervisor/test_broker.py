from __future__ import annotations

import os
import socket
from pathlib import Path

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.supervisor.broker import PID_FILE, choose_port, port_in_use, stop_leftover
from tests.support.processes import pid_alive


def test_a_listening_port_is_in_use_and_a_closed_one_is_not() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        assert choose_port(port) != port
    assert not port_in_use("127.0.0.1", port)


def test_the_preferred_port_is_taken_when_free() -> None:
    port = free_port()
    assert choose_port(port) == port


def test_no_preference_means_any_free_port() -> None:
    port = choose_port(0)
    assert 0 < port < 65536
    assert not port_in_use("127.0.0.1", port)


def test_a_redis_left_by_a_killed_wolfit_up_is_stopped(tmp_path: Path) -> None:
    leftover = EmbeddedRedis(tmp_path / "redis").start()
    try:
        pid = leftover.pid
        assert pid is not None
        (tmp_path / "redis" / PID_FILE).write_text(f"{pid}\n")
        assert stop_leftover(tmp_path / "redis") == pid
        assert not leftover.running()
        assert not (tmp_path / "redis" / PID_FILE).exists()
    finally:
        if leftover.running():
            leftover.kill()


def test_a_pid_file_naming_another_program_kills_nothing(tmp_path: Path) -> None:
    (tmp_path / PID_FILE).write_text(f"{os.getpid()}\n")  # this test process: not a Redis
    assert stop_leftover(tmp_path) is None
    assert pid_alive(os.getpid())
    assert not (tmp_path / PID_FILE).exists()
    (tmp_path / PID_FILE).write_text("garbage")
    assert stop_leftover(tmp_path) is None
    assert stop_leftover(tmp_path / "nothing-here") is None
