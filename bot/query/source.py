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
from datetime import datetime
from typing import Protocol

from bot.vcc.client import VccClient
from bot.vcc.models import AgentState, AgentStatus

__all__ = ["FloorRead", "ReadScope", "StateSource", "VccSource"]


@dataclass(frozen=True)
class ReadScope:
    """What a read covers: rows overlapping [start, end), only `agent_id`'s when given, and
    with `live` the current status of every agent (or that one agent)."""

    start: datetime
    end: datetime
    agent_id: str | None = None
    live: bool = True


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


class StateSource(Protocol):
    """Reads the floor. Raises `bot.errors.VccError` subclasses on failure."""

    async def read(self, scope: ReadScope) -> FloorRead: ...


class VccSource:
    """The floor read straight from VCC: WFM rows and agent-status, in parallel."""

    def __init__(self, client: VccClient) -> None:
        self._client = client

    async def read(self, scope: ReadScope) -> FloorRead:
        agent_id = scope.agent_id
        rows_read = self._client.agent_states(scope.start, scope.end, agent_id=agent_id)
        if not scope.live:
            rows = await rows_read
            return FloorRead.of(rows.rows, (), rows.as_of)
        rows, status = await asyncio.gather(rows_read, self._client.agent_status())
        mine = [s for s in status.items if agent_id is None or s.agent_id == agent_id]
        return FloorRead.of(rows.rows, mine, min(rows.as_of, status.as_of))


def _start(row: AgentState) -> datetime:
    return row.start
