from __future__ import annotations

from pathlib import Path

import redis

from src.common.embedded_redis import EmbeddedRedis


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
