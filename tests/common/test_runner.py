"""`run_app`'s answer when an address cannot be listened on; the real command is tested in
tests/activity/test_main.py."""

from __future__ import annotations

import errno
import socket

import pytest

from src.common.runner import cannot_listen


@pytest.mark.parametrize(
    ("exc", "host", "line"),
    [
        (
            OSError(errno.EADDRINUSE, "error while attempting to bind: address already in use"),
            "127.0.0.1",
            "cannot listen on 127.0.0.1:8081 (ACTIVITY_PORT): address already in use",
        ),
        (
            OSError(errno.EACCES, "permission denied"),
            "::1",
            "cannot listen on [::1]:8081 (ACTIVITY_PORT): permission denied",
        ),
        (
            OSError(errno.EADDRNOTAVAIL, "cannot assign requested address"),
            "192.0.2.1",
            "cannot listen on 192.0.2.1:8081 (HOST): cannot assign requested address",
        ),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "nowhere.invalid",
            "cannot listen on nowhere.invalid:8081 (HOST): name or service not known",
        ),
    ],
    ids=["in-use", "privileged", "not-ours", "unknown-name"],
)
def test_a_failure_to_listen_is_one_line_naming_the_setting(
    exc: OSError, host: str, line: str
) -> None:
    assert cannot_listen(exc, host=host, port=8081, port_variable="ACTIVITY_PORT") == line


def test_other_os_errors_are_not_mistaken_for_one() -> None:
    assert cannot_listen(OSError(errno.ENOSPC, "no space"), host="127.0.0.1", port=1) is None
