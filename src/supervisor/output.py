"""Where the lines of `wolfit up` go: the terminal, prefixed by service name, and a log file each.

Every child's output (JSON log lines) is echoed to the supervisor's stdout as `web      | ...`,
like `docker compose up` does, and appended unchanged to `var/logs/<service>.log`, so an
operator can follow the whole suite in one terminal and still grep one service's history.
The last lines of each service are kept in memory for the report when it dies.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import TextIO

__all__ = ["SUPERVISOR_NAME", "ServiceOutput", "SupervisorLog", "Terminal", "file_tail"]

SUPERVISOR_NAME = "wolfit"
TAIL_LINES = 20

# Distinct, readable ANSI colours for the prefixes; the supervisor's own lines are bold.
_COLOURS = ("36", "35", "33", "32", "34", "31")


class Terminal:
    """The supervisor's stdout, shared by every service, with aligned and coloured prefixes."""

    def __init__(self, names: list[str], stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.width = max(len(name) for name in [SUPERVISOR_NAME, *names])
        self.colour = _wants_colour(self.stream)
        self._colours = {name: _COLOURS[i % len(_COLOURS)] for i, name in enumerate(names)}
        self._colours[SUPERVISOR_NAME] = "1"
        self._broken = False

    def write(self, name: str, line: str) -> None:
        """Print one line as `name | line`; a closed stdout (`| head`) silences the echo only."""
        if self._broken:
            return
        prefix = f"{name:<{self.width}} |"
        if self.colour:
            prefix = f"\x1b[{self._colours.get(name, '0')}m{prefix}\x1b[0m"
        try:
            self.stream.write(f"{prefix} {line}\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe, a terminal that went away (EIO)
            self._broken = True


def _wants_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ServiceOutput:
    """One service's lines: echoed to the terminal, appended to its log file, tail kept."""

    def __init__(self, name: str, terminal: Terminal, log_dir: Path) -> None:
        self.name = name
        self.terminal = terminal
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        # Append mode, so `logrotate` with copytruncate works and restarts add to one history.
        self._file = self.log_path.open("a", encoding="utf-8", buffering=1)
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)

    def line(self, text: str) -> None:
        """Record one line of the service's output."""
        self._tail.append(text)
        self.terminal.write(self.name, text)
        self._file.write(text + "\n")

    def tail(self) -> list[str]:
        """The last lines the service wrote, oldest first."""
        return list(self._tail)

    def close(self) -> None:
        self._file.close()


class SupervisorLog(ServiceOutput):
    """The supervisor's own lines: plain text on the terminal, timestamped in its log file."""

    def line(self, text: str) -> None:
        self._tail.append(text)
        self.terminal.write(self.name, text)
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        self._file.write(f"{stamp} {text}\n")


def file_tail(path: Path | None, lines: int = 20) -> str:
    """`; the last lines of PATH:` and those lines, or nothing when there is no file."""
    if path is None or not path.exists():
        return ""
    tail = path.read_text(errors="replace").splitlines()[-lines:]
    return f"; the last lines of {path}:\n" + "\n".join(f"    {line}" for line in tail)
