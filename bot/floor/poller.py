"""The one poller that keeps the floor model up to date (shared/vcc/API.md §3).

Every cycle reads `/agent-status` (the live state and the interactions in hand: one page per
1,000 agents, and what answers and alerts trust first) and then the WFM rows processed since
the cursor (`include=Processed`, the next `start` being the previous `upTo`), so a cycle costs
only what changed. A catch-up (start of the day, or after an outage) is the same read in
slices of at most `slice` each, so no read holds more than a slice's rows and the model is
filled oldest first. A failed cycle leaves the cursor where it was, so the next good one reads
the gap with no hole and no duplicate; failures back off up to `_MAX_BACKOFF`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import VccError
from bot.floor.model import FloorModel
from bot.query.service import TODAY_LOOKBACK
from bot.query.window import day_start
from bot.vcc.models import AgentState, Include, StateRows, StatusSnapshot

__all__ = ["FloorReader", "Poller", "model_origin"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_MAX_BACKOFF = 120.0  # seconds between tries while VCC keeps failing
_CHUNK = 2_000  # rows applied between yields to the loop (a few ms each)


class FloorReader(Protocol):
    """What the poller reads VCC through (`bot.vcc.VccClient` is one)."""

    async def agent_status(self) -> StatusSnapshot: ...

    async def agent_states(
        self,
        start: datetime,
        end: datetime,
        *,
        agent_id: str | None = None,
        include: Include = "StartedOrEnded",
    ) -> StateRows: ...


def model_origin(now: datetime, zone: ZoneInfo) -> datetime:
    """Where the model's rows begin: today's local midnight, less the look-back a read near
    midnight uses (bot.query.service), so every "today" read lies inside the model."""
    return day_start(now, zone) - TODAY_LOOKBACK


class Poller:
    """Feeds `model` from `client` every `interval` seconds; a `Service` of the app.

    Args:
        client: the VCC client (its background view: the poller may wait).
        model: the model it keeps.
        clock: "now" for each cycle's window.
        zone: the floor's zone (where "today" begins).
        interval: seconds between cycles (AGENTSTATE_POLL_SECONDS).
        sleep: how it waits (tests run it on virtual time).
        slice: the widest window one read covers.
    """

    name = "floor poller"

    def __init__(
        self,
        client: FloorReader,
        model: FloorModel,
        clock: Clock,
        *,
        zone: ZoneInfo,
        interval: float,
        sleep: Sleep = asyncio.sleep,
        slice: timedelta = timedelta(hours=1),
    ) -> None:
        self._client = client
        self.model = model
        self.clock = clock
        self._zone = zone
        self._interval = interval
        self._sleep = sleep
        self._slice = slice
        self.cursor: datetime | None = None
        self.failures = 0
        self.last_error: VccError | None = None
        self.status_ready = asyncio.Event()  # the first agent-status read is in
        self.loaded = asyncio.Event()  # today's rows have been read up to a cycle's start
        self.running = False  # `run` has started (reads may wait for the first status)

    async def run(self) -> None:
        """Poll until cancelled."""
        self.running = True
        try:
            while True:
                # A steady cadence: the wait counts from the cycle's start, so data is never
                # older than one interval plus a cycle's reads.
                began = time.monotonic()
                delay = await self.tick()
                await self._sleep(max(0.0, delay - (time.monotonic() - began)))
        finally:
            self.running = False

    async def tick(self) -> float:
        """One cycle, its failure logged and counted; the seconds to wait before the next."""
        try:
            await self.cycle()
        except VccError as error:
            self.failures += 1
            self.last_error = error
            log.warning("floor poll failed (%d in a row): %s", self.failures, error)
            return float(min(self._interval * 2**self.failures, _MAX_BACKOFF))
        self.failures = 0
        self.last_error = None
        return self._interval

    async def cycle(self) -> None:
        """Read the live status, then the rows from the cursor up to now (in slices)."""
        now = self.clock.now()
        origin = model_origin(now, self._zone)
        self.model.move_origin(origin)
        if self.cursor is None:
            self.cursor = origin
        status = await self._client.agent_status()
        self.model.set_status(status.items, status.as_of)
        self.status_ready.set()
        while self.cursor < now:
            end = min(self.cursor + self._slice, now)
            read = await self._client.agent_states(self.cursor, end, include="Processed")
            await self._apply(read.rows, self.cursor, end)
            # VCC's clock decides (upTo); one behind ours moves the cursor less than asked,
            # and one that has not moved at all ends the cycle rather than loop on it.
            reached = min(read.as_of, end)
            if reached <= self.cursor:
                break
            self.cursor = reached
            self.model.rows_as_of = reached
        self.loaded.set()

    async def _apply(self, rows: tuple[AgentState, ...], start: datetime, end: datetime) -> None:
        """Apply a window's rows a few agents at a time, yielding to the loop between, so no
        ack waits behind a catch-up. Each agent's rows go in together (the drop rule needs
        all of an agent's rows in the window)."""
        by_agent: dict[str, list[AgentState]] = defaultdict(list)
        for row in rows:
            by_agent[row.agent_id].append(row)
        batch: list[AgentState] = []
        for agent_rows in by_agent.values():
            batch.extend(agent_rows)
            if len(batch) >= _CHUNK:
                self.model.apply(batch, start, end)
                batch = []
                await asyncio.sleep(0)
        if batch:
            self.model.apply(batch, start, end)
