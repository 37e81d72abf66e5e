"""The `source` seam: one read of the floor, shaped by what the query module needs.

A source answers a `ReadScope` ("each agent's rows over [start, end), their live status")
with a `FloorRead`, and decides its `as_of` itself. Today `VccSource` reads VCC through the
client; the live floor model will be the second source. Front doors never know which one
answers; the contract suite (tests/contract) holds what every source guarantees.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.query.results import Totals
from bot.query.timeline import Current, current_state, periods, totals
from bot.vcc.client import VccClient
from bot.vcc.models import AgentState, AgentStatus

__all__ = ["FloorRead", "ReadScope", "RowIndex", "StateSource", "VccSource"]


@dataclass(frozen=True)
class ReadScope:
    """What a read covers: rows that started or ended in [start, end), only `agent_id`'s
    when given, and with `live` the current status of every agent (or that one agent).

    With a `lookback`, also the row in force at `start` if it began up to `lookback` before
    (a weekend logged out still fills Monday's first hours); a source may bring more rows
    of the lookback, which answers clip away.
    """

    start: datetime
    end: datetime
    agent_id: str | None = None
    live: bool = True
    lookback: timedelta = timedelta()


@dataclass(frozen=True)
class FloorRead:
    """One read of the floor.

    `rows` holds each agent's state rows overlapping the window, sorted by start, one row per
    (agent, start); `status` each agent's live status (empty when not asked for); `as_of` is
    when the read's data was produced (the older of its parts).
    """

    rows: Mapping[str, Sequence[AgentState]]
    status: Mapping[str, AgentStatus]
    as_of: datetime
    # A faster way to what whole-floor answers need, when the source has one (the floor
    # model); without it they are worked out from `rows`, with the same result.
    index: RowIndex | None = None
    # Today's rows are still being read (the bot just started): totals would be too low.
    loading: bool = False

    @classmethod
    def of(
        cls, rows: Iterable[AgentState], status: Iterable[AgentStatus], as_of: datetime
    ) -> FloorRead:
        """A read from rows and statuses in any order: grouped by agent, sorted by start, one
        row per (agent, start) and one status per agent (a later copy wins)."""
        grouped: dict[str, dict[datetime, AgentState]] = defaultdict(dict)
        for row in rows:
            grouped[row.agent_id][row.start] = row
        by_agent = {a: sorted(by_start.values(), key=_start) for a, by_start in grouped.items()}
        return cls(by_agent, {s.agent_id: s for s in status}, as_of)

    def rows_of(self, agent_id: str) -> Sequence[AgentState]:
        return self.rows.get(agent_id, ())

    def open_rows_of(self, agent_id: str) -> Sequence[AgentState]:
        """The agent's rows still going on, in start order."""
        if self.index is not None:
            return self.index.open_rows(agent_id)
        return [r for r in self.rows_of(agent_id) if r.is_current]

    def current_of(self, agent_id: str) -> Current:
        """The agent's state now (`timeline.current_state` of its open rows and status)."""
        if self.index is not None:
            return self.index.current(agent_id, self.status.get(agent_id), self.as_of)
        return current_state(self.open_rows_of(agent_id), self.status.get(agent_id), self.as_of)

    def day_totals(self, agent_id: str, current: Current, start: datetime) -> Totals:
        """Time per state from `start` to `as_of`, the current state to end it (as
        `timeline.totals(timeline.periods(...))` gives, which is how it is worked out
        without an index)."""
        if self.index is not None:
            return self.index.day_totals(agent_id, current, start, self.as_of)
        return totals(periods(self.rows_of(agent_id), current, start, self.as_of, self.as_of))


class RowIndex(Protocol):
    """What a source can answer about its rows without building them (see FloorRead)."""

    def open_rows(self, agent_id: str) -> Sequence[AgentState]:
        """The agent's rows with a null duration among the read's rows, by start."""
        ...

    def current(self, agent_id: str, status: AgentStatus | None, as_of: datetime) -> Current:
        """`current_state(open_rows(agent_id), status, as_of)`."""
        ...

    def day_totals(self, agent_id: str, current: Current, start: datetime, now: datetime) -> Totals:
        """`totals(periods(rows, current, start, now, now))` over the agent's rows."""
        ...


class StateSource(Protocol):
    """Reads the floor. Raises `bot.errors.VccError` subclasses on failure."""

    async def read(self, scope: ReadScope) -> FloorRead: ...


class VccSource:
    """The floor read straight from VCC: WFM rows and agent-status, in parallel."""

    def __init__(self, client: VccClient) -> None:
        self._client = client

    async def read(self, scope: ReadScope) -> FloorRead:
        agent_id = scope.agent_id
        start = scope.start - scope.lookback
        rows_read = self._client.agent_states(start, scope.end, agent_id=agent_id)
        if not scope.live:
            rows = await rows_read
            return FloorRead.of(rows.rows, (), rows.as_of)
        rows, status = await asyncio.gather(rows_read, self._client.agent_status())
        mine = [s for s in status.items if agent_id is None or s.agent_id == agent_id]
        return FloorRead.of(rows.rows, mine, min(rows.as_of, status.as_of))


def _start(row: AgentState) -> datetime:
    return row.start
