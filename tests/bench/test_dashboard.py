"""`python -m bench dashboard` on a small fill: every route answers 200 and is reported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import redis

from bench import main as bench_main
from bench.dashboard import PAGES, ROUTES
from bench.dashboard_fill import fill_events, fill_queue
from src.common.embedded_redis import EmbeddedRedis


def test_bad_options_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench_main(["dashboard", "--requests", "0"])


def test_the_fillers_write_what_arq_and_the_store_read(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    filled = fill_queue(redis_server.url, 50, dead_letters=3, finished=5)
    assert client.zcard("arq:queue") == 50
    assert client.zcard("wolfit:dead-letters") == 3
    assert len(filled.queued) == 45  # a tenth is deferred
    client.close()
    fill_events(tmp_path / "a.sqlite3", 120)
    with sqlite3.connect(tmp_path / "a.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (120,)


@pytest.mark.slow
def test_a_small_run_measures_every_route(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    args = ["dashboard", "--jobs", "300", "--events", "300", "--requests", "3"]
    args += ["--url", "/", "--json", str(out)]
    bench_main(args)
    record = json.loads(out.read_text())
    assert record["benchmark"] == "dashboard"
    assert record["command"] == "python -m bench " + " ".join(args)
    assert record["parameters"] == {"jobs": 300, "events": 300, "requests": 3}
    figures = record["routes"]
    expected = [*(r.label for r in PAGES), "GET /", *(r.label for r in ROUTES)]
    assert [item["route"] for item in figures] == expected
    assert all(item["statuses"] == [200] for item in figures), figures
