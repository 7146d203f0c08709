from __future__ import annotations

import subprocess
import sys

from src.bench.suite import process_tree, tree_cpu_seconds

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
