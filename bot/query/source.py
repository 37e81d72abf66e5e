"""The `source` seam: where the query module reads agent states from.

Today the VCC client implements it; later the live floor model will. Front doors never know
which one answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.vcc.models import AgentState, AgentStatus

__all__ = ["Include", "StateRows", "StateSource", "StatusSnapshot"]

Include = Literal["Started", "StartedOrEnded", "Processed"]


@dataclass(frozen=True)
class StateRows:
    """WFM state rows for a window, de-duplicated by (agentId, start), sorted by start.

    `as_of` is when VCC produced them (the `upTo` of the first page).
    """

    rows: tuple[AgentState, ...]
    as_of: datetime


@dataclass(frozen=True)
class StatusSnapshot:
    """Every agent's current presence, workload and interactions; `as_of` as above."""

    items: tuple[AgentStatus, ...]
    as_of: datetime


class StateSource(Protocol):
    """Reads agent states. Raises `bot.errors.VccError` subclasses on failure."""

    async def agent_states(
        self,
        start: datetime,
        end: datetime,
        *,
        agent_id: str | None = None,
        include: Include = "StartedOrEnded",
    ) -> StateRows: ...

    async def agent_status(self) -> StatusSnapshot: ...
