from __future__ import annotations

import signal
import sys
from pathlib import Path

from src.supervisor.child import ChildProcess, describe_exit
from src.supervisor.output import ServiceOutput, Terminal
from tests.support.processes import RecordingStream


def test_exit_statuses_read_as_an_operator_says_them() -> None:
    assert describe_exit(0) == "exited with status 0"
    assert describe_exit(3) == "exited with status 3"
    assert describe_exit(-signal.SIGKILL) == "killed by signal SIGKILL"
    assert describe_exit(-signal.SIGTERM) == "killed by signal SIGTERM"


async def test_stdout_and_stderr_become_lines_and_the_exit_status_is_kept(
    tmp_path: Path,
) -> None:
    stream = RecordingStream()
    output = ServiceOutput("job", Terminal(["job"], stream), tmp_path)
    code = (
        "import sys; print('out'); print('err', file=sys.stderr); "
        "sys.stdout.write('no newline'); sys.exit(4)"
    )
    child = ChildProcess("job", [sys.executable, "-c", code], {}, output)
    await child.start()
    assert await child.wait() == 4
    assert not child.running
    assert sorted(output.tail()) == ["err", "no newline", "out"]
    assert "job    | no newline\n" in stream.getvalue()
    output.close()


async def test_stop_returns_the_status_of_a_child_that_obeys_sigterm(tmp_path: Path) -> None:
    output = ServiceOutput("job", Terminal(["job"], RecordingStream()), tmp_path)
    code = "import time; print('ready', flush=True); time.sleep(600)"
    child = ChildProcess("job", [sys.executable, "-c", code], {}, output)
    await child.start()
    assert await child.stop(grace=30) == (-signal.SIGTERM, False)
    output.close()
