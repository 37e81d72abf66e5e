"""The floor model equals a from-scratch fetch, whatever happened on the way.

A Hypothesis state machine drives a truth (VCC's rows as versions, each visible from when VCC
processed it) and the real `Poller` feeding a `FloorModel` through a fake reader that answers
exactly as API.md §3 describes `include=Processed` and `StartedOrEnded`. Steps: time passes,
agents change state (some rows processed late), closed rows are revised (duration,
description), an open row is re-cut, VCC goes down and comes back (also in the middle of a
catch-up), the day turns. After every successful cycle the model's rows since its origin are
exactly what one `StartedOrEnded` read of [origin, now) returns, and its statuses are VCC's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.clock import FrozenClock
from bot.errors import VccUnavailable
from bot.floor import FloorModel, Poller, model_origin, read_model
from bot.floor.model import from_ms, to_ms
from bot.query.source import FloorRead, ReadScope
from bot.query.timeline import current_state, periods, totals
from bot.vcc.models import AgentState, AgentStatus, Include, StateRows, StatusSnapshot
from tests.strategies import agent_rows, agent_statuses, windows

ZONE = ZoneInfo("Europe/London")
START = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
AGENTS = ("1001", "1002", "1003")
STATES = [("Ready", "Ready"), ("Busy", "Live"), ("Wrap", "Live"), ("Away", "Break")]

# One version of one row: (processed at ms, duration ms or None, state, description), or
# (processed at ms, None, None, None) for a row VCC deleted (re-cut).
Version = tuple[int, int | None, str | None, str | None]


class Truth:
    """VCC's rows: every version of every (agent, start), each visible once processed."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.versions: dict[tuple[str, int], list[Version]] = {}
        self.down = False
        self.fail_after = -1  # reads allowed before VCC goes down mid-cycle (-1: never)

    def add(self, agent: str, start: int, duration: int | None, state: str, desc: str, at: int):
        self.versions.setdefault((agent, start), []).append((at, duration, state, desc))

    def delete(self, agent: str, start: int, at: int) -> None:
        self.versions.setdefault((agent, start), []).append((at, None, None, None))

    def visible(self, at: int) -> list[AgentState]:
        """Each row's latest version processed before `at` (deleted rows left out)."""
        out = []
        for (agent, start), versions in self.versions.items():
            seen = [v for v in versions if v[0] < at]
            if seen and seen[-1][2] is not None:
                _, duration, state, desc = seen[-1]
                out.append(_row(agent, start, duration, state or "", desc or ""))
        return out

    def processed_in(self, lo: int, hi: int) -> set[tuple[str, int]]:
        return {k for k, vs in self.versions.items() if any(lo <= v[0] < hi for v in vs)}

    def fetch(self, start: datetime, end: datetime, include: Include) -> list[AgentState]:
        lo, hi, now = to_ms(start), to_ms(end), to_ms(self.clock.now())
        touched = self.processed_in(lo, hi) if include == "Processed" else set()
        out = []
        for r in self.visible(now):
            begin = to_ms(r.start)
            ended = r.duration_ms is not None and lo <= begin + r.duration_ms < hi
            if lo <= begin < hi or ended or (r.agent_id, begin) in touched:
                out.append(r)
        return sorted(out, key=lambda r: (r.start, r.agent_id))

    def open_row(self, agent: str) -> AgentState | None:
        rows = [r for r in self.visible(to_ms(self.clock.now()) + 1) if r.agent_id == agent]
        current = [r for r in rows if r.duration_ms is None]
        return max(current, key=lambda r: r.start) if current else None

    def status(self) -> list[AgentStatus]:
        out = []
        for agent in AGENTS:
            row = self.open_row(agent)
            name = row.raw_state if row else "LoggedOut"
            since = row.start if row else START
            out.append(
                AgentStatus.model_validate(
                    {"agentId": agent, "presence": {"since": since.isoformat(), "name": name}}
                )
            )
        return out


class FakeReader:
    """The poller's view of VCC over the truth; fails while VCC is down."""

    def __init__(self, truth: Truth) -> None:
        self.truth = truth

    def _check(self) -> None:
        truth = self.truth
        if truth.fail_after == 0:
            truth.down = True
        truth.fail_after -= 1
        if truth.down:
            raise VccUnavailable("VCC isn't answering")

    async def agent_status(self) -> StatusSnapshot:
        self._check()
        return StatusSnapshot(tuple(self.truth.status()), self.truth.clock.now())

    async def agent_states(
        self,
        start: datetime,
        end: datetime,
        *,
        agent_id: str | None = None,
        include: Include = "StartedOrEnded",
    ) -> StateRows:
        self._check()
        return StateRows(tuple(self.truth.fetch(start, end, include)), self.truth.clock.now())


def _row(agent: str, start: int, duration: int | None, state: str, desc: str) -> AgentState:
    return AgentState.model_validate(
        {
            "agentId": agent,
            "start": from_ms(start).isoformat(),
            "duration": duration,
            "state": state,
            "description": desc,
        }
    )


def _as_dict(read: FloorRead) -> dict[str, list[AgentState]]:
    return {a: list(rows) for a, rows in read.rows.items() if rows}


class FloorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FrozenClock(START)
        self.truth = Truth(self.clock)
        self.model = FloorModel(model_origin(START, ZONE))
        self.poller = Poller(
            FakeReader(self.truth),
            self.model,
            self.clock,
            zone=ZONE,
            interval=15,
            slice=timedelta(minutes=20),
        )
        self.last_cursor: datetime | None = None
        # What a from-scratch read gave when the last cycle that succeeded ran.
        self.expected: tuple[dict[str, list[AgentState]], dict[str, AgentStatus]] | None = None

    def teardown(self) -> None:
        self.loop.close()

    def _run(self, make: Callable[[], object]) -> None:
        self.loop.run_until_complete(make())  # type: ignore[arg-type]

    @property
    def now(self) -> int:
        return to_ms(self.clock.now())

    @initialize()
    def yesterday_evening(self) -> None:
        """Everyone's last row began yesterday; one is still logged out since then."""
        for n, agent in enumerate(AGENTS):
            start = self.now - (10 + n * 3) * 3_600_000
            state, desc = STATES[n % len(STATES)] if n else ("LoggedOut", "Logged Out")
            self.truth.add(agent, start, None, state, desc, start)

    @rule(minutes=st.integers(1, 240))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.expected = None

    @rule(agent=st.sampled_from(AGENTS), pick=st.integers(0, 3), lag=st.sampled_from([0, 0, 90]))
    def agent_changes_state(self, agent: str, pick: int, lag: int) -> None:
        """The open row closes now and a new one opens; `lag` seconds until VCC processes."""
        now, row = self.now, self.truth.open_row(agent)
        if row is not None:
            begin = to_ms(row.start)
            if begin >= now:
                return
            self.truth.add(agent, begin, now - begin, row.raw_state, row.description, now)
        state, desc = STATES[pick]
        self.truth.add(agent, now, None, state, desc, now + lag * 1000)

    @rule(data=st.data())
    def vcc_revises_a_row(self, data: st.DataObject) -> None:
        """A closed row gets a new duration or description (VCC reprocessed it)."""
        closed = [r for r in self.truth.visible(self.now + 1) if r.duration_ms is not None]
        if not closed:
            return
        r = data.draw(st.sampled_from(sorted(closed, key=lambda r: (r.start, r.agent_id))))
        duration = max(1, (r.duration_ms or 0) + data.draw(st.sampled_from([-1000, 1000, 0])))
        desc = data.draw(st.sampled_from([r.description, "Revised"]))
        self.truth.add(r.agent_id, to_ms(r.start), duration, r.raw_state, desc, self.now)

    @rule(agent=st.sampled_from(AGENTS))
    def vcc_recuts_the_open_row(self, agent: str) -> None:
        """The open row is replaced by one starting a second later (the same period re-cut).

        Only a row no poll can have seen yet (it began now): API.md §4's rule drops a stored
        row only when it starts inside the window polled, so a re-cut of a row an earlier
        poll returned would leave the model its old copy. That limit is the documented one.
        """
        row = self.truth.open_row(agent)
        if row is None or row.start < self.clock.now():
            return
        begin = to_ms(row.start)
        self.truth.delete(agent, begin, self.now)
        self.truth.add(agent, begin + 1000, None, row.raw_state, row.description, self.now)

    @rule(down=st.booleans(), after=st.sampled_from([-1, 1, 2, 3]))
    def vcc_goes_down_or_comes_back(self, down: bool, after: int) -> None:
        """Down now, back up, or down after `after` more reads (in the middle of a cycle)."""
        self.truth.down = down and after == -1
        self.truth.fail_after = after if down else -1

    @rule()
    def poll(self) -> None:
        self._run(self.poller.tick)
        self.expected = None
        if self.poller.failures == 0:
            now = self.clock.now()
            origin = self.model.origin
            fetched = FloorRead.of(self.truth.fetch(origin, now, "StartedOrEnded"), (), now)
            self.expected = (_as_dict(fetched), {s.agent_id: s for s in self.truth.status()})

    @precondition(lambda self: self.expected is not None)
    @invariant()
    def the_model_equals_a_fetch_from_scratch(self) -> None:
        """After a good cycle, the model's rows since its origin and its statuses are what
        VCC would have given one read from scratch at that moment."""
        assert self.expected is not None
        now = self.clock.now()
        mine = read_model(self.model, ReadScope(self.model.origin, now, live=True), now)
        rows, status = self.expected
        assert _as_dict(mine) == rows
        assert dict(mine.status) == status
        assert self.model.rows_as_of == now

    @invariant()
    def a_failed_cycle_leaves_no_gap(self) -> None:
        """The cursor never goes back, never passes now, and is where the rows are up to
        (after an outage it stays where the last good read ended, however long ago)."""
        cursor = self.poller.cursor
        if cursor is not None:
            assert self.last_cursor is None or self.last_cursor <= cursor <= self.clock.now()
            assert self.model.rows_as_of in (None, cursor)
            self.last_cursor = cursor


FloorMachine.TestCase.settings = settings(
    max_examples=2000,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestFloorModelEqualsAFetchFromScratch = FloorMachine.TestCase


class TestIndexAgreesWithTheRows:
    @settings(max_examples=500, deadline=None)
    @given(rows=agent_rows(), status=agent_statuses(), window=windows(), lead_in=st.booleans())
    def test_open_rows_and_day_totals_are_what_the_rows_give(
        self,
        rows: list[AgentState],
        status: AgentStatus | None,
        window: tuple[datetime, datetime],
        lead_in: bool,
    ) -> None:
        """The model's shortcuts (open rows, today's totals from its integers) equal what
        `current_state`, `periods` and `totals` make of the same read's rows, for any rows,
        status and window: answers are the same with or without the index."""
        start, now = window
        model = FloorModel(start - timedelta(days=3))
        model.apply(rows, start - timedelta(days=3), now + timedelta(days=1))
        scope = ReadScope(start, now, "1", lookback=timedelta(days=1) if lead_in else timedelta())
        read = read_model(model, scope, now)
        plain = FloorRead(read.rows, read.status, now)  # the same rows, no index
        assert list(read.open_rows_of("1")) == list(plain.open_rows_of("1"))
        current = current_state(read.open_rows_of("1"), status, now)
        for day_start in (start, start - timedelta(hours=5), start + timedelta(hours=2)):
            for _ in range(2):  # the second time from what the first kept
                fast = read.day_totals("1", current, day_start)
                slow = totals(periods(read.rows_of("1"), current, day_start, now, now))
                assert fast == slow
