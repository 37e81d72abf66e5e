"""The `source` seam: where the query module reads agent states from.

Today the VCC client implements it; later the live floor model will. Front doors never know
which one answers. The values it returns are defined beside the wire models (bot.vcc.models),
so the client needs nothing from this package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.vcc.models import Include, StateRows, StatusSnapshot

__all__ = ["Include", "StateRows", "StateSource", "StatusSnapshot"]


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
