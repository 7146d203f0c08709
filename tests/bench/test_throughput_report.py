from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from bench.enqueue_cost import EnqueueCost
from bench.placement import plan
from bench.throughput_report import markdown, read_report, table, write_report
from bench.throughput_runs import Figure

OPTIONS = argparse.Namespace(
    events=1000, sleep_time=0.05, max_jobs=100, worker=["arq", "wolfit"], poll_delay=[0.05],
    queue_read_limit=[0], latency_jobs=400, idle_window=10.0, enqueues=2000, repeat=3,
)  # fmt: skip
HEADER = {"benchmark": "throughput", "command": "python -m bench throughput", "machine": {}}


def _figure(name: str, worker: str, per_second: float, **fields: Any) -> Figure:
    return Figure(
        name=name, poll_delay=0.05, queue_read_limit=None, jobs=1000, seconds=1000 / per_second,
        per_second=per_second, worker_cpu=0.5, failed=0, worker=worker, **fields,
    )  # fmt: skip


FIGURES = [
    _figure("noop", "arq", 2000.0, cpu_ms_per_job=0.36, round_trips_per_job=6.01),
    _figure(
        "post_activity",
        "arq",
        600.0,
        stored=1000,
        cpu_ms_per_job=0.886,
        round_trips_per_job=6.58,
        service_cpu_ms_per_job=0.649,
        redis_cpu_ms_per_job=0.165,
        start_p50_ms=28.04,
        start_p99_ms=52.4,
        idle_commands_per_second=103.5,
    ),
    _figure("noop", "wolfit", 4000.0),
    _figure("post_activity", "wolfit", 1000.0, stored=999, start_p50_ms=1.8, start_p99_ms=5.5),
]
PRODUCER = [
    EnqueueCost("arq enqueue_job", 2000, 3.0, 284.0, 188.0),
    EnqueueCost("enqueue_event (Lua)", 2000, 1.0, 133.0, 82.0),
]


def test_the_report_is_written_and_read_back_with_shares_of_each_kinds_ceiling(
    tmp_path: Path,
) -> None:
    written = write_report(
        tmp_path, HEADER, OPTIONS, plan("pinned", [0, 1]), FIGURES, PRODUCER, [FIGURES] * 3
    )
    report = read_report(tmp_path / "throughput.json")
    assert report == written
    assert report["limit"] == 2000
    assert report["parameters"]["placement"]["subject"] == "cpu 0"
    assert report["parameters"]["repeat"] == 3
    shares = [(f["of_limit"], f["of_noop"]) for f in report["figures"]]
    assert shares == [(1.0, 1.0), (0.3, 0.3), (2.0, 1.0), (0.5, 0.25)]
    assert report["figures"][0]["per_worker_cpu_second"] == 2000
    assert report["producer"][1] == {
        "producer": "enqueue_event (Lua)", "enqueues": 2000, "round_trips": 1.0,
        "wall_us": 133.0, "cpu_us": 82.0,
    }  # fmt: skip
    assert len(report["runs"]) == 3
    assert any("medians of 3 runs" in line for line in report["method"])


def test_the_tables_show_every_configuration_and_the_producer(tmp_path: Path) -> None:
    report = write_report(
        tmp_path, HEADER, OPTIONS, plan("shared", [0, 1]), FIGURES, PRODUCER, [FIGURES]
    )
    text = table(report)
    assert text.splitlines()[0] == (
        "one worker, WORKER_MAX_JOBS=100, SLEEP_TIME=0.05: limit 2,000 events/s; each kind's "
        "no-op ceiling in the same run (medians of 3 runs, placement shared)"
    )
    delivery = next(line for line in text.splitlines() if "post_activity arq" in line)
    assert "28.0 / 52.4" in delivery
    assert "1000/1000" in delivery
    assert "post_activity wolfit (woken)" in text
    assert "enqueue_event (Lua)" in text

    rows = markdown(report).splitlines()
    assert rows[2] == (
        "| noop arq poll_delay=0.05 | 2,000 | 100% | 100% | 0.36, 0.00, 0.00 | 6.01 | - | - | - |"
    )
    assert rows[3] == (
        "| post_activity arq poll_delay=0.05 | 600 | 30% | 30% | 0.89, 0.65, 0.17 | 6.58 | "
        "28.0 / 52.4 | 103.5 | 1000/1000 |"
    )
    assert rows[5].endswith("| 1.8 / 5.5 | - | 999/1000 |")
    assert rows[-2:] == [
        "| arq enqueue_job | 3.00 | 284 | 188 |",
        "| enqueue_event (Lua) | 1.00 | 133 | 82 |",
    ]


def test_a_report_from_before_worker_kinds_and_costs_still_prints(tmp_path: Path) -> None:
    """The committed JSON of an earlier version: what it lacks shows as `-`."""
    old = {
        **HEADER,
        "parameters": {"events": 60, "sleep_time": 0.05, "max_jobs": 100},
        "limit": 2000.0,
        "figures": [
            {"name": "post_activity", "poll_delay": 0.05, "queue_read_limit": None, "jobs": 60,
             "seconds": 0.1, "per_second": 600.0, "worker_cpu": 1.0, "failed": 0, "stored": 60,
             "of_limit": 0.3, "of_noop": 0.4, "per_worker_cpu_second": 60.0},
        ],
    }  # fmt: skip
    (tmp_path / "throughput.json").write_text(json.dumps(old))
    report = read_report(tmp_path / "throughput.json")
    assert markdown(report).splitlines()[2] == (
        "| post_activity arq poll_delay=0.05 | 600 | 30% | 40% | -, -, - | - | - | - | 60/60 |"
    )
    assert "post_activity arq poll_delay=0.05" in table(report)


@pytest.mark.parametrize("content", ['{"benchmark": "latency"}', "[1, 2]"])
def test_a_file_that_is_not_a_throughput_report_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / "throughput.json").write_text(content)
    with pytest.raises(ValueError, match="not the JSON of `python -m bench throughput`"):
        read_report(tmp_path / "throughput.json")
