from __future__ import annotations

import io
from pathlib import Path

import pytest

from src.supervisor.output import ServiceOutput, Terminal
from tests.support.processes import RecordingStream


class Tty(RecordingStream):
    def isatty(self) -> bool:
        return True


def test_prefixes_are_aligned_on_the_longest_name() -> None:
    stream = RecordingStream()
    terminal = Terminal(["web", "activity"], stream)
    terminal.write("web", '{"message": "hi"}')
    terminal.write("activity", "ready")
    assert stream.getvalue() == 'web      | {"message": "hi"}\nactivity | ready\n'


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = Tty()
    Terminal(["web"], tty).write("web", "x")
    assert tty.getvalue().startswith("\x1b[")
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Tty()
    Terminal(["web"], plain).write("web", "x")
    assert plain.getvalue() == "web    | x\n"


def test_a_closed_stdout_silences_the_echo_but_not_the_log(tmp_path: Path) -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    output = ServiceOutput("web", Terminal(["web"], Closed()), tmp_path)
    output.line("one")
    output.line("two")
    output.close()
    assert (tmp_path / "web.log").read_text() == "one\ntwo\n"


def test_the_tail_keeps_the_last_twenty_lines(tmp_path: Path) -> None:
    output = ServiceOutput("web", Terminal(["web"], RecordingStream()), tmp_path)
    for n in range(30):
        output.line(f"line {n}")
    output.close()
    assert output.tail() == [f"line {n}" for n in range(10, 30)]


def test_the_log_file_is_appended_to_across_starts(tmp_path: Path) -> None:
    for text in ("first run", "second run"):
        output = ServiceOutput("web", Terminal(["web"], RecordingStream()), tmp_path)
        output.line(text)
        output.close()
    assert (tmp_path / "web.log").read_text() == "first run\nsecond run\n"
