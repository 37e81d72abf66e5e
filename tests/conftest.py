"""Shared fixtures. Every test is offline: a connection to anything but loopback fails."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from tests.fakes import Sleeps

# Fixtures for every test: the simulated contact center's (sim_clock, sim_floor, sim_server,
# ...) and the served Slack app's (app, clients, recorder, slack, names, log_filters).
pytest_plugins = ["tests.support.sim", "tests.support.slack_app"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: Any) -> None:
    if not isinstance(address, tuple):  # unix sockets and the like stay on this machine
        return
    host = address[0]
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:
        allowed = host == "localhost"
    if not allowed:
        raise OSError(f"tests are offline: refused a connection to {host!r}")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any network connection that is not to loopback (the guard, not a fake)."""

    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        return _real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def sleeps() -> Sleeps:
    """A recording `sleep` to inject where retries would wait."""
    return Sleeps()
