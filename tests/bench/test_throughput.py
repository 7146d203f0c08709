from __future__ import annotations

import json
from pathlib import Path

import pytest

from src.bench.throughput import main


@pytest.mark.slow
def test_the_benchmark_delivers_every_event_and_reports_against_both_bounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "throughput.json"
    args = ["--events", "60", "--sleep-time", "0.01", "--max-jobs", "20", "--poll-delay", "0.05"]
    args += ["--worker", "arq", "wolfit", "--latency-jobs", "20", "--idle-window", "0.5"]
    assert main([*args, "--enqueues", "50", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["limit"], report["max_jobs"]) == (2000, 20)
    figures = report["figures"]
    assert [(figure["worker"], figure["name"]) for figure in figures] == [
        ("arq", "noop"),
        ("arq", "post_activity"),
        ("wolfit", "noop"),
        ("wolfit", "post_activity"),
    ]
    for figure in figures:
        assert (figure["jobs"], figure["failed"]) == (60, 0)
        assert figure["per_second"] > 0
        assert figure["worker_cpu"] > 0
        assert figure["round_trips_per_job"] > 1  # arq's start and finish, at least
        assert figure["redis_commands_per_job"] > 0
    for delivery in figures[1::2]:
        assert delivery["service_cpu_ms_per_job"] > 0
        assert 0 < delivery["start_p50_ms"] <= delivery["start_p99_ms"]
        assert delivery["idle_commands_per_second"] > 0
        assert delivery["trickle_cpu_ms_per_job"] > 0
    arq_enqueue, our_enqueue = report["producer"]
    assert (arq_enqueue["round_trips"], our_enqueue["round_trips"]) == (3, 1)
    table = capsys.readouterr().out
    assert "limit 2,000 events/s" in table
    assert "post_activity arq poll_delay=0.05" in table
    assert "post_activity wolfit (woken)" in table
    assert "enqueue_event (Lua)" in table
