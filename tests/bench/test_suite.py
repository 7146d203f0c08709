"""The benchmark suite's CPU accounting: `wolfit web` is a master whose forked web processes
do the work, so a service's CPU is that of its whole process tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.suite import cpu_seconds, process_tree, tree_cpu_seconds
from tests.support.processes import wait_until

# A parent that only sleeps, with a child that burns 0.3 s of CPU and then sleeps too.
FORKING = """
import os, pathlib, sys, time
if os.fork() == 0:
    while time.process_time() < 0.3:
        pass
    pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
time.sleep(60)
"""


def test_the_cpu_of_a_service_includes_what_its_children_used(tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    parent = subprocess.Popen([sys.executable, "-c", FORKING, str(busy)])
    try:
        wait_until(lambda: busy.exists() and busy.read_text(), 30, "the child to burn its CPU")
        own, tree = cpu_seconds(parent.pid), tree_cpu_seconds(parent.pid)
        assert own is not None
        assert tree is not None
        assert own < 0.3 <= tree
    finally:
        if busy.exists() and busy.read_text():
            os.kill(int(busy.read_text()), signal.SIGKILL)
        parent.kill()
        parent.wait()


# A parent that starts a child and both wait: the shape of a web with WEB_PROCESSES=2.
FAMILY = (
    "import subprocess, sys; "
    "child = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'], "
    "stdin=subprocess.PIPE); print(child.pid, flush=True); sys.stdin.read(); "
    "child.stdin.close(); child.wait()"
)


def test_a_process_tree_holds_the_forked_children_and_their_cpu() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", FAMILY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdin is not None
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert sorted(process_tree(parent.pid)) == sorted([parent.pid, child])
        family = tree_cpu_seconds(parent.pid)
        alone = tree_cpu_seconds(child)
        assert family is not None
        assert alone is not None
        assert family >= alone
        parent.stdin.close()
        parent.wait(10)
    assert process_tree(parent.pid) == []
    assert tree_cpu_seconds(parent.pid) is None
