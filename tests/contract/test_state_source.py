"""What every state source guarantees, run against each implementation.

Today the one source is `VccSource` (the VCC client, here on the simulated VCC over loopback);
the live floor model joins the `source` fixture's parameters when it lands. The simulated
floor (`sim_floor`) is the truth each read is checked against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.query.source import FloorRead, ReadScope, StateSource, VccSource
from bot.sim import Floor, SimServer
from bot.vcc.models import AgentState
from tests.support.vcc import vcc_client


@pytest.fixture(params=["vcc"])
async def source(
    request: pytest.FixtureRequest, sim_server: SimServer
) -> AsyncIterator[StateSource]:
    """Each implementation of the StateSource contract, over the same simulated floor."""
    if request.param == "vcc":
        client = vcc_client(sim_server)
        try:
            yield VccSource(client)
        finally:
            await client.aclose()
    else:  # pragma: no cover - a new implementation must be added here
        raise AssertionError(request.param)


def _starts(read: FloorRead) -> set[tuple[str, object]]:
    return {(r.agent_id, r.start) for rows in read.rows.values() for r in rows}


class TestRows:
    async def test_sorted_and_one_row_per_start(
        self, source: StateSource, sim_clock: FrozenClock, sim_floor: Floor
    ) -> None:
        """Each agent's rows are its own, sorted by start, never two with the same start."""
        now = sim_clock.now()
        read = await source.read(ReadScope(now - timedelta(days=2), now))
        assert read.rows
        for agent_id, rows in read.rows.items():
            assert all(r.agent_id == agent_id for r in rows)
            starts = [r.start for r in rows]
            assert starts == sorted(set(starts))

    async def test_every_row_started_in_the_window_and_nothing_outside_it(
        self, source: StateSource, sim_clock: FrozenClock, sim_floor: Floor
    ) -> None:
        """Every row the floor started in [start, end) is read; every row read overlaps it."""
        now = sim_clock.now()
        start = now - timedelta(hours=6)
        read = await source.read(ReadScope(start, now))
        truth = [
            AgentState.model_validate(w) for w in sim_floor.select(start, now, "Started").wire()
        ]
        assert {(r.agent_id, r.start) for r in truth} <= _starts(read)
        for rows in read.rows.values():
            for r in rows:
                assert r.start < now
                assert r.end_or(now) >= start

    async def test_agent_filter(
        self, source: StateSource, sim_clock: FrozenClock, sim_floor: Floor
    ) -> None:
        """With an agent, only that agent's rows and status, the same rows as in a floor read."""
        now = sim_clock.now()
        start = now - timedelta(hours=8)
        whole = await source.read(ReadScope(start, now))
        agent_id = max(whole.rows, key=lambda a: len(whole.rows[a]))
        mine = await source.read(ReadScope(start, now, agent_id=agent_id))
        assert set(mine.rows) == {agent_id}
        assert set(mine.status) == {agent_id}
        assert list(mine.rows_of(agent_id)) == list(whole.rows_of(agent_id))


class TestStatus:
    async def test_one_status_per_agent_of_the_floor(
        self, source: StateSource, sim_clock: FrozenClock, sim_floor: Floor
    ) -> None:
        """A live read holds one status for every agent VCC knows, keyed by its agent id."""
        now = sim_clock.now()
        read = await source.read(ReadScope(now - timedelta(hours=1), now))
        assert set(read.status) == {item["agentId"] for item in sim_floor.status()}
        assert all(s.agent_id == agent_id for agent_id, s in read.status.items())

    async def test_not_live_reads_no_status(
        self, source: StateSource, sim_clock: FrozenClock
    ) -> None:
        """A read of a closed window asks for no live status."""
        now = sim_clock.now()
        read = await source.read(
            ReadScope(now - timedelta(days=2), now - timedelta(days=1), live=False)
        )
        assert read.status == {}
        assert read.rows


class TestAsOf:
    async def test_as_of_is_when_the_data_was_made(
        self, source: StateSource, sim_clock: FrozenClock
    ) -> None:
        """as_of is aware, never after now, and a healthy source's data is fresh."""
        now = sim_clock.now()
        for live in (True, False):
            read = await source.read(ReadScope(now - timedelta(hours=2), now, live=live))
            assert read.as_of.tzinfo is not None
            assert now - timedelta(minutes=2) <= read.as_of <= now

    async def test_as_of_follows_the_clock(
        self, source: StateSource, sim_clock: FrozenClock
    ) -> None:
        """A later read is as of later: the source decides as_of from its data, not once."""
        first = await source.read(ReadScope(sim_clock.now() - timedelta(hours=1), sim_clock.now()))
        sim_clock.advance(timedelta(minutes=5))
        second = await source.read(ReadScope(sim_clock.now() - timedelta(hours=1), sim_clock.now()))
        assert second.as_of - first.as_of == timedelta(minutes=5)
