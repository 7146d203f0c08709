from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.delivery_check import DeliveryCheck
from bench.latency import main, parse_options
from bench.latency_plot import write_plot
from bench.latency_points import Point
from bench.latency_report import markdown, read_report, table, write_report
from bench.machine import run_header
from bench.stats import summarize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _point(mode: str, sleep_time: float, base_ms: float, expected: int) -> Point:
    latencies = [(base_ms + n / 10) / 1000 for n in range(100)]  # base .. base + 9.9 ms
    votes, logins = latencies[:80], latencies[80:]
    check = DeliveryCheck(
        expected=expected, stored=expected, missing=0, duplicated=0, unexpected=0,
        dead_letters=0, drain_seconds=0.25,
    )  # fmt: skip
    return Point(
        mode=mode,
        sleep_time=sleep_time,
        actions={
            "all": summarize(latencies, 10.0),
            "vote": summarize(votes, 10.0),
            "login": summarize(logins, 10.0),
        },
        warmup_actions=20,
        errors={},
        cpu_ms_per_action={"web": 5.0, "worker": 2.5 if mode == "async" else 0.1},
        delivery=check,
    )


@pytest.fixture
def report(tmp_path: Path) -> dict[str, object]:
    argv = ["--sleep-times", "0,1", "--clients", "4", "--out", str(tmp_path)]
    options, placement = parse_options(argv)
    points = [
        _point("off", 0.0, 10, 0), _point("async", 0.0, 12, 120),
        _point("off", 1.0, 10, 0), _point("async", 1.0, 12.5, 120),
        _point("sync", 1.0, 1005, 120),
    ]  # fmt: skip
    report = write_report(tmp_path, run_header("latency", argv), options, placement, points)
    write_plot(report, tmp_path / "latency.png")
    return report


def test_the_json_holds_figures_parameters_machine_and_method(
    report: dict[str, object], tmp_path: Path
) -> None:
    stored = read_report(tmp_path / "latency.json")
    assert stored == json.loads(json.dumps(report))
    command = f"python -m bench latency --sleep-times 0,1 --clients 4 --out {tmp_path}"
    assert stored["command"] == command
    assert stored["machine"]["cpus"] >= 1
    assert stored["parameters"]["clients"] == 4
    assert stored["parameters"]["mix"] == {"vote": 0.85, "post": 0.12, "login": 0.03}
    assert any("closed loop with think time" in sentence for sentence in stored["method"])
    first = stored["points"][0]
    assert first["actions"]["all"]["p50_ms"] == 14.9  # the 50th of 10.0 .. 19.9 ms
    assert first["delivery"]["exactly_once"] is True
    assert stored["headline_action"] == "vote"
    ratio = next(r for r in stored["ratios"] if (r["sleep_time"], r["action"]) == (1.0, "vote"))
    assert ratio == {
        "sleep_time": 1.0,
        "action": "vote",
        "sync_over_off": {"p50": round(1008.9 / 13.9, 2), "p99": round(1012.9 / 17.9, 2)},
        "async_over_off": {"p50": round(16.4 / 13.9, 2), "p99": round(20.4 / 17.9, 2)},
    }
    assert stored["target"] == {
        "sleep_time": 1.0,
        "action": "vote",
        "async_within": 1.25,
        "async_over_off": ratio["async_over_off"],
        "async_met": True,
        "sync_p50_ms": 1008.9,
        "sync_met": True,
    }


def test_the_plot_is_a_png(report: dict[str, object], tmp_path: Path) -> None:
    image = (tmp_path / "latency.png").read_bytes()
    assert image.startswith(PNG_MAGIC)
    assert len(image) > 10_000  # axes, lines and labels, not an empty canvas


def test_the_table_shows_every_point_and_the_verdict(report: dict[str, object]) -> None:
    text = table(report)
    assert "         1 sync  all        100     1010     1014     1015     1015      10.0" in text
    assert "         1 async vote        80     16.4     20.0     20.4     20.4       8.0" in text
    assert "120/120 yes" in text
    assert "vote: async / off at SLEEP_TIME=1: p50 x1.18, p99 x1.14" in text
    assert "target (vote, SLEEP_TIME=1): async within 1.25x of off at p50 and p99: met" in text
    assert "sync p50 at least SLEEP_TIME: yes (1009 ms)" in text


def test_markdown_rebuilds_the_docs_tables_from_the_json(
    report: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = markdown(report)
    assert text.startswith("Latency of a vote, p50 / p99 in ms:")
    assert "| SLEEP_TIME | off | async | sync | async / off p50, p99 |" in text
    assert "| 0 s | 13.9 / 17.9 | 15.9 / 19.9 | - | x1.14, x1.11 |" in text
    assert "| 1 s | 13.9 / 17.9 | 16.4 / 20.4 | 1009 / 1013 | x1.18, x1.14 |" in text
    assert "| login | 18.9 / 19.9 (20) | 21.4 / 22.4 (20) | 1014 / 1015 (20) |" in text
    assert "| all | 14.9 / 19.8 (100) | 17.4 / 22.3 (100) | 1010 / 1015 (100) |" in text
    assert "| 1 s | async | 10.0 | 5.00 | 0.00 | 2.50 | 0.00 | 0.00 | 120/120 yes |" in text
    assert main(["--markdown", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == text


def test_markdown_without_figures_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--markdown", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"python -m bench latency: cannot read {tmp_path}")
    (tmp_path / "latency.json").write_text('{"benchmark": "throughput"}')
    assert main(["--markdown", "--out", str(tmp_path)]) == 1
    assert "not the JSON of `python -m bench latency`" in capsys.readouterr().err
