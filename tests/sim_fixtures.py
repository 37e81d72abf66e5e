"""Fixtures for the simulated contact center, to be imported by tests/conftest.py.

`sim_clock` is frozen on a Wednesday mid-morning (11:30 in London) when most of the default
floor is working; `sim_floor` is the default floor (seed 7, 60 agents, 4 teams) on that clock;
`sim_server` serves it on loopback for one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.clock import FrozenClock
from bot.sim import Floor, FloorConfig, SimServer

__all__ = [
    "SIM_CLIENT_ID",
    "SIM_CLIENT_SECRET",
    "SIM_NOW",
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
    "sim_clock",
    "sim_floor",
    "sim_server",
    "sim_token",
]

SIM_NOW = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)
SIM_CLIENT_ID = "sim-client"
SIM_CLIENT_SECRET = "sim-secret"
STATS_ACCEPT = "application/vnd.newvoicemedia.v3+json"
USERADMIN_ACCEPT = "application/vnd.newvoicemedia.v4+json"


@pytest.fixture
def sim_clock() -> FrozenClock:
    """A frozen clock at SIM_NOW; advance it to move the floor on."""
    return FrozenClock(SIM_NOW)


@pytest.fixture
def sim_floor(sim_clock: FrozenClock) -> Floor:
    """The default floor (seed 7, 60 agents, 4 teams, Europe/London) on `sim_clock`."""
    return Floor(FloorConfig(), sim_clock)


@pytest.fixture
def sim_server(sim_floor: Floor) -> Iterator[SimServer]:
    """`sim_floor` served on 127.0.0.1 for one test; credentials SIM_CLIENT_ID/SECRET."""
    with SimServer(sim_floor, client_id=SIM_CLIENT_ID, client_secret=SIM_CLIENT_SECRET) as sim:
        yield sim


def sim_token(sim: SimServer, scope: str = "stats", client: httpx.Client | None = None) -> str:
    """A fresh access token from `sim` for `scope` (`stats` or `users:read`).

    Pass a `client` to reuse it; building one (and its SSL context) takes a while.
    """
    response = (client or httpx).post(
        sim.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": SIM_CLIENT_ID,
            "client_secret": SIM_CLIENT_SECRET,
            "scope": scope,
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
