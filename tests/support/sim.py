"""Fixtures and helpers for the simulated contact center, a pytest plugin loaded by conftest.

`sim_clock` is frozen on a Wednesday mid-morning (11:30 in London) when the day crew, about
half of the default floor, is working; `sim_floor` is the default floor (seed 7, 60 agents,
4 teams, shifts around the clock) on that clock; `sim_server` serves it on loopback for one
test, `sim_http` is a client on it, and `stats_headers` / `users_headers` carry a fresh token
for each API. `floor_at` builds any floor (`shifts="day"` for facts only the day-shift floor
has, like most agents in at mid-morning); the other helpers read wire rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.clock import FrozenClock
from bot.sim import Floor, FloorConfig, SimServer

__all__ = [
    "SIM_CLIENT_ID",
    "SIM_CLIENT_SECRET",
    "SIM_DAY_START",
    "SIM_NOW",
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
    "at",
    "by_agent",
    "end_of",
    "floor_at",
    "sim_clock",
    "sim_floor",
    "sim_http",
    "sim_server",
    "sim_token",
    "stats_headers",
    "token_form",
    "users_headers",
]

SIM_NOW = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)
SIM_DAY_START = datetime(2026, 3, 11, tzinfo=UTC)  # London is on UTC in early March
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
    """The default floor (seed 7, 60 agents, 4 teams, Europe/London, shifts around the
    clock) on `sim_clock`."""
    return Floor(FloorConfig(), sim_clock)


@pytest.fixture
def sim_server(sim_floor: Floor) -> Iterator[SimServer]:
    """`sim_floor` served on 127.0.0.1 for one test; credentials SIM_CLIENT_ID/SECRET."""
    with SimServer(sim_floor, client_id=SIM_CLIENT_ID, client_secret=SIM_CLIENT_SECRET) as sim:
        yield sim


@pytest.fixture
def sim_http(sim_server: SimServer) -> Iterator[httpx.Client]:
    """A client with `sim_server` as its base URL."""
    with httpx.Client(base_url=sim_server.base_url, timeout=5) as client:
        yield client


@pytest.fixture
def stats_headers(sim_server: SimServer, sim_http: httpx.Client) -> dict[str, str]:
    """Headers for a Stats request with a valid token."""
    token = sim_token(sim_server, client=sim_http)
    return {"Authorization": f"Bearer {token}", "Accept": STATS_ACCEPT}


@pytest.fixture
def users_headers(sim_server: SimServer, sim_http: httpx.Client) -> dict[str, str]:
    """Headers for a User Admin request with a valid token."""
    token = sim_token(sim_server, "users:read", sim_http)
    return {"Authorization": f"Bearer {token}", "Accept": USERADMIN_ACCEPT}


def sim_token(sim: SimServer, scope: str = "stats", client: httpx.Client | None = None) -> str:
    """A fresh access token from `sim` for `scope` (`stats` or `users:read`).

    Pass a `client` to reuse it; building one (and its SSL context) takes a while.
    """
    response = (client or httpx).post(sim.token_url, data=token_form(scope=scope))
    response.raise_for_status()
    return str(response.json()["access_token"])


def token_form(**changes: str) -> dict[str, str]:
    """A good token request form for SIM_CLIENT_ID (scope `stats`), with `changes`."""
    form = {
        "grant_type": "client_credentials",
        "client_id": SIM_CLIENT_ID,
        "client_secret": SIM_CLIENT_SECRET,
        "scope": "stats",
    }
    return {**form, **changes}


def floor_at(now: datetime, **config: Any) -> Floor:
    """A fresh floor (`config` over the defaults) on a clock frozen at `now`."""
    return Floor(FloorConfig(**config), FrozenClock(now))


def at(text: str) -> datetime:
    """A wire time as a datetime."""
    return datetime.fromisoformat(text)


def end_of(row: dict[str, Any]) -> datetime | None:
    """When a wire row ended; None while it goes on."""
    if row["duration"] is None:
        return None
    return at(row["start"]) + timedelta(milliseconds=row["duration"])


def by_agent(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Wire rows grouped by agentId, each group in wire order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["agentId"]].append(row)
    return grouped
