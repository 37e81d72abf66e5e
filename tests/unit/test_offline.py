"""The offline guard itself: tests cannot reach past loopback."""

from __future__ import annotations

import socket

import pytest


class TestOfflineGuard:
    def test_non_loopback_connection_is_refused(self) -> None:
        """A connection to a non-loopback address fails before any packet is sent."""
        with socket.socket() as sock, pytest.raises(OSError, match="offline"):
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed

    def test_loopback_is_allowed(self) -> None:
        """Loopback works: a listening socket accepts our connection."""
        with socket.socket() as server, socket.socket() as client:
            server.bind(("127.0.0.1", 0))
            server.listen()
            client.connect(server.getsockname())
