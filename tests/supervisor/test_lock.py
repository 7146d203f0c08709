from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from src.supervisor.lock import AlreadyRunning, RunLock


def hold_in_another_process(var_dir: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, pathlib; from src.supervisor.lock import RunLock; "
        "RunLock(pathlib.Path(sys.argv[1])).acquire(); print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(var_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    holder = hold_in_another_process(tmp_path)
    try:
        with pytest.raises(AlreadyRunning) as refused:
            RunLock(tmp_path).acquire()
        assert str(refused.value) == str(holder.pid)
    finally:
        holder.kill()  # SIGKILL: no chance to clean up
        holder.wait()
        for stream in (holder.stdin, holder.stdout):
            assert stream is not None
            stream.close()
    lock = RunLock(tmp_path)
    lock.acquire()  # the kernel released it with the process
    assert (tmp_path / "wolfit-up.lock").read_text() == f"{os.getpid()}\n"
    lock.release()
