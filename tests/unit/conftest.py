"""Fixtures for the unit tests of the VCC client against a scripted fake VCC (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.vcc import VccClient
from tests.fakes import Sleeps
from tests.support.vcc import SCRIPTED_NOW, FakeVcc, scripted_client


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen at SCRIPTED_NOW, the time the scripted VCC's answers are written for."""
    return FrozenClock(SCRIPTED_NOW)


@pytest.fixture
def fake() -> FakeVcc:
    """A scripted VCC: each test says what it answers."""
    return FakeVcc()


@pytest.fixture
async def client(fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps) -> AsyncIterator[VccClient]:
    """The production client on the scripted VCC; retries wait on the recording `sleeps`."""
    async with scripted_client(fake, clock, sleep=sleeps) as vcc:
        yield vcc
