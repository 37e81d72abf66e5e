"""What every state source guarantees, run against each implementation.

Two sources: `VccSource` (the VCC client, here on the simulated VCC over loopback) and the
live floor model (`FloorSource`: a poller on the same client keeping a `FloorModel`; older
windows from VCC). The simulated floor (`sim_floor`) is the truth each read is checked
against. The model answers as of its last poll, so its fixture polls once whenever the clock
has moved since (what the running poller does every AGENTSTATE_POLL_SECONDS).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.floor import FloorModel, FloorSource, Poller, model_origin
from bot.query.source import FloorRead, ReadScope, StateSource, VccSource
from bot.sim import Floor, SimServer
from bot.vcc.models import AgentState
from tests.support.vcc import vcc_client


class _Polled:
    """The floor model as the running bot has it: polled since the clock last moved."""

    def __init__(self, source: FloorSource, clock: FrozenClock) -> None:
        self._source = source
        self._clock = clock
        self._polled_at: object = None

    async def read(self, scope: ReadScope) -> FloorRead:
        if self._polled_at != self._clock.now():
            await self._source.poller.cycle()
            self._polled_at = self._clock.now()
        return await self._source.read(scope)


@pytest.fixture(params=["vcc", "model"])
async def source(
    request: pytest.FixtureRequest, sim_server: SimServer, sim_clock: FrozenClock
) -> AsyncIterator[StateSource]:
    """Each implementation of the StateSource contract, over the same simulated floor."""
    client = vcc_client(sim_server, clock=sim_clock)
    try:
        if request.param == "vcc":
            yield VccSource(client)
        elif request.param == "model":
            now = sim_clock.now()
            model = FloorModel(model_origin(now, ZoneInfo("Europe/London")))
            poller = Poller(client, model, sim_clock, zone=ZoneInfo("Europe/London"), interval=15)
            yield _Polled(FloorSource(poller, client), sim_clock)
        else:  # pragma: no cover - a new implementation must be added here
            raise AssertionError(request.param)
    finally:
        await client.aclose()


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


class TestLookback:
    async def test_the_row_in_force_at_the_start_is_read(
        self, source: StateSource, sim_clock: FrozenClock, sim_floor: Floor
    ) -> None:
        """With a look-back, each agent's row in force at the window's start is among its
        rows, so a state that began earlier fills the window from its start."""
        now = sim_clock.now()
        start = now - timedelta(hours=3)
        whole = await source.read(ReadScope(now - timedelta(hours=12), now))
        for agent_id in list(whole.rows)[:12]:
            read = await source.read(ReadScope(start, now, agent_id, lookback=timedelta(hours=12)))
            rows = read.rows_of(agent_id)
            before = [r for r in whole.rows_of(agent_id) if r.start < start]
            assert before, "every agent of the floor has a row in the 9 hours before"
            assert before[-1] in rows
