from __future__ import annotations

import socket

from src.common.embedded_redis import free_port
from src.supervisor.broker import choose_port, port_in_use


def test_a_listening_port_is_in_use_and_a_closed_one_is_not() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        assert choose_port(port) != port
    assert not port_in_use("127.0.0.1", port)


def test_the_preferred_port_is_taken_when_free() -> None:
    port = free_port()
    assert choose_port(port) == port


def test_no_preference_means_any_free_port() -> None:
    port = choose_port(0)
    assert 0 < port < 65536
    assert not port_in_use("127.0.0.1", port)
