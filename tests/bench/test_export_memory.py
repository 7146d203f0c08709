"""`python -m bench export-memory`: its options, its reading of memory and files, a small run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import BENCHMARKS
from bench import main as bench_main
from bench.export_memory import _events_in, rss_bytes


def test_it_is_listed_and_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert BENCHMARKS["export-memory"][0] == "bench.export_memory"
    for bad in (["--events", "0"], ["--formats", "xml"], ["--interval", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            bench_main(["export-memory", *bad])
        assert exit_info.value.code == 2
    assert "python -m bench export-memory" in capsys.readouterr().err


def test_rss_is_read_from_proc() -> None:
    before = rss_bytes(os.getpid())
    assert before is not None
    assert before > 1024 * 1024
    ballast = bytearray(64 * 1024 * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page, so it is resident
    after = rss_bytes(os.getpid())
    assert after is not None
    assert after - before > 32 * 1024 * 1024
    assert rss_bytes(2**22 + 1) is None  # no such process


def test_events_and_completeness_are_read_from_the_files_end() -> None:
    assert _events_in("csv", b"id,type\r\na,b\r\nc,d\r\n", 3) == (2, True)
    assert _events_in("csv", b"a,b\r\nEXPORT_INCOMPLETE,200 events\r\n", 202) == (200, False)
    assert _events_in("jsonl", b'{"id":"a"}\n{"id":"b"}\n', 2) == (2, True)
    marker = b'{"id":"a"}\n{"export_incomplete": true, "exported": 1}\n'
    assert _events_in("jsonl", marker, 2) == (1, False)


@pytest.mark.slow
def test_a_small_run_exports_every_event_with_flat_memory(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    status = bench_main(["export-memory", "--events", "3000", "--json", str(out)])
    record = json.loads(out.read_text())
    assert (record["benchmark"], record["parameters"]) == ("export-memory", {"events": 3000})
    figures = record["exports"]
    assert [item["format"] for item in figures] == ["csv", "jsonl"]
    for item in figures:
        assert item["events"] == 3000
        assert item["complete"] is True
        assert item["bytes"] > 3000 * 100
        assert item["samples"] > 0
        assert item["rss_peak"] >= item["rss_before"] > 0
        assert item["rss_growth"] < 64 * 1024 * 1024
    assert status == 0
