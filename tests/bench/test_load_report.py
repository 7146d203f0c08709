from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.load import main
from bench.load_report import markdown, summarize, table, targets, write_plot, write_report
from bench.machine import run_header
from bench.report_file import read_report_file

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PARAMETERS: dict[str, Any] = {
    "actions": ["vote"], "clients": [10], "modes": ["off", "async"], "sleep_times": [1.0],
    "rounds": 3, "duration": 10, "warmup": 2, "web_processes": None, "database": "sqlite",
    "users": 20, "posts": 200, "seed": 1, "placement": {"name": "shared"},
    "load_generator": "wrk 4.1.0",
}  # fmt: skip


def _point(subject: str, mode: str | None, rate: float, round_number: int) -> dict[str, Any]:
    anchor = subject == "anchor"
    return {
        "round": round_number, "subject": subject, "mode": mode,
        "sleep_time": None if anchor else 1.0, "clients": 10,
        "action": "front" if anchor else "vote", "seconds": 10.0,
        "requests": int(rate * 10), "per_second": rate,
        "latency_ms": {"p50": 1000 / rate * 10, "p95": 150.0, "p99": 200.0 + round_number,
                       "max": 300.0, "mean": 100.0},
        "statuses": {"303": int(rate * 10)}, "errors": {}, "warmup_requests": 100,
        "warmup_errors": {}, "drain_seconds": 0.1, "web_processes": 1,
        "cpu_seconds": {"web": 10.0}, "cpu_ms_per_request": {
            "web": 8.0 + round_number, "activity": 1.0, "worker": 2.0, "redis": 0.5, "wrk": 0.2},
    }  # fmt: skip


@pytest.fixture
def points() -> list[dict[str, Any]]:
    """Three rounds: the anchor; base and this, off and async votes at SLEEP_TIME=1."""
    found = []
    for n, spread in enumerate((0.0, -10.0, 10.0), start=1):
        found.append(_point("anchor", None, 5000 + spread, n))
        for mode, base, this in (("off", 100, 200), ("async", 75, 190)):
            found.append(_point("base", mode, base + spread, n))
            found.append(_point("this", mode, this + spread, n))
    found[-1]["errors"] = {"status 500": 2}  # this, async, round 3
    return found


@pytest.fixture
def report(tmp_path: Path, points: list[dict[str, Any]]) -> dict[str, Any]:
    subjects = [{"name": "base", "dir": "/b", "commit": "f4f8910"},
                {"name": "this", "dir": "/t", "commit": "abc1234"}]  # fmt: skip
    header = run_header("load", ["--out", str(tmp_path)])
    return write_report(tmp_path, header, PARAMETERS, subjects, points, page_bytes=21000)


def test_rows_are_medians_over_the_rounds_with_their_range(points: list[dict[str, Any]]) -> None:
    rows = summarize(points, PARAMETERS, ["base", "this"])
    keys = [(r["subject"], r["mode"]) for r in rows]
    assert keys == [("anchor", None), ("base", "off"), ("this", "off"), ("base", "async"),
                    ("this", "async")]  # fmt: skip
    anchor, base_off, this_off, base_async, this_async = rows
    assert (anchor["per_second"], anchor["per_second_range"]) == (5000, [4990, 5010])
    assert anchor["of_anchor"] == 1.0
    assert (this_off["per_second"], this_off["per_second_range"]) == (200, [190, 210])
    assert this_off["of_anchor"] == 0.04
    assert this_off["latency_ms"]["p99"] == 202.0  # the median of 201, 202, 203
    assert this_off["cpu_ms_per_request"]["web"] == 10.0
    assert this_off["rounds"] == 3
    assert this_off["over_reference"] == 2.0  # this / base at the same point
    assert "over_reference" not in base_off
    assert (this_async["errors"], base_async["errors"]) == (2, 0)


def test_the_vote_target_is_async_over_off_at_sleep_time_1(points: list[dict[str, Any]]) -> None:
    found = targets(summarize(points, PARAMETERS, ["base", "this"]))
    assert [(t["subject"], t["async_over_off"], t["met"]) for t in found] == [
        ("base", 0.75, False), ("this", 0.95, True)
    ]  # fmt: skip


def test_the_json_keeps_every_point_and_its_provenance(
    report: dict[str, Any], tmp_path: Path, points: list[dict[str, Any]]
) -> None:
    stored = read_report_file(tmp_path / "load.json", "load")
    assert stored == json.loads(json.dumps(report))
    assert stored["points"] == points
    for field in ("command", "date", "commit", "machine", "method", "subjects", "parameters"):
        assert stored[field]
    assert stored["subjects"][0]["commit"] == "f4f8910"
    assert "21000 bytes" in " ".join(stored["method"])


def test_the_table_shows_every_row_the_ratio_and_the_targets(report: dict[str, Any]) -> None:
    text = table(report)
    lines = text.splitlines()
    assert lines[0].split()[:6] == ["subject", "mode", "SLEEP", "clients", "action", "req/s"]
    assert lines[0].endswith("/base")
    assert lines[1].split()[:7] == ["anchor", "-", "-", "10", "front", "5,000", "4,990-5,010"]
    assert lines[3].split()[:8] == [
        "this",
        "off",
        "1",
        "10",
        "vote",
        "200.0",
        "190.0-210.0",
        "4.0%",
    ]
    assert lines[3].endswith("x2.00")
    assert "target (base, 10 clients): async votes at SLEEP_TIME=1 keep 75% " in text
    assert "(at least 90%): NOT met" in text
    assert (
        "target (this, 10 clients): async votes at SLEEP_TIME=1 keep 95% of off's req/s "
        "(at least 90%): met"
    ) in lines
    assert lines[-1] == "errors: 2 (see the points in the JSON)"


def test_markdown_has_the_anchor_each_subject_side_by_side_and_cpu(report: dict[str, Any]) -> None:
    text = markdown(report)
    assert "| 10 | 5,000 (4,990-5,010) | 2.00 / 202.0 | 10.000 |" in text
    assert (
        "| action | clients | mode | SLEEP_TIME | base req/s | base of anchor | base p50 / p99 ms "
        "| this req/s | this of anchor | this p50 / p99 ms | this / base |"
    ) in text
    assert (
        "| vote | 10 | off | 1 s | 100.0 (90.0-110.0) | 2.0% | 100.0 / 202.0 "
        "| 200.0 (190.0-210.0) | 4.0% | 50.0 / 202.0 | x2.00 |"
    ) in text
    assert (
        "| vote | 10 | async | 1 s | this | 10.000 | 1.000 | 2.000 | 0.500 | 0.200 | 1 | 2 |"
        in text
    )
    assert "| base | 10 | 75% | **no** |" in text


def test_the_plot_is_a_png(report: dict[str, Any], tmp_path: Path) -> None:
    write_plot(report, tmp_path / "load.png")
    assert (tmp_path / "load.png").read_bytes().startswith(PNG_MAGIC)


def test_markdown_option_reprints_the_tables_without_running(
    report: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--markdown", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == markdown(report) + "\n"


def test_markdown_of_another_benchmarks_json_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "load.json").write_text(json.dumps({"benchmark": "latency"}))
    assert main(["--markdown", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"python -m bench load: cannot read {tmp_path / 'load.json'}: "
        "not the JSON of `python -m bench load`\n"
    )
