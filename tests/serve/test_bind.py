"""The daemon's listening socket: its connections send small responses at once."""

from __future__ import annotations

import socket

from axo_tui.serve.daemon import bind
from axo_tui.serve.http.host import ServeSettings


def test_accepted_connections_have_nodelay() -> None:
    # Without TCP_NODELAY a response written in two parts waits for the client's delayed
    # ACK: every small request took 44 ms (found by tests/bench/bench_serve.py).
    listener = bind(ServeSettings(port=0))
    with listener, socket.create_connection(listener.getsockname()[:2]):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
