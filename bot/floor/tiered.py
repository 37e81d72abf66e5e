"""The state source the bot answers from: today from the live floor model, older windows from
VCC on demand (cached: what ended before the model's origin no longer changes).

A read that starts before the model's origin is split there: the part before it comes from
VCC (one read, cached by window), the rest from the model, and a row in both (one that was
still going on at the origin when VCC was read) is the model's copy, which is newer. Until
the poller is running (a test or a one-off that never started the services) reads go to VCC
directly, as they did before the model existed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime, timedelta

from bot.floor.model import FloorModel
from bot.floor.poller import Poller
from bot.floor.view import read_model, statuses
from bot.query.source import FloorRead, ReadScope, VccSource
from bot.vcc.client import VccClient

__all__ = ["FloorSource"]

_CACHED_ROWS = 200_000  # rows of older windows kept (a few MB), oldest read dropped first

_Key = tuple[str | None, datetime, datetime, timedelta]


class FloorSource:
    """A `StateSource` over the poller's model, with VCC (`client`) for older windows.

    Args:
        poller: the poller keeping the model (its `running` and events say what it holds).
        client: the VCC client for windows before the model's origin (a supervisor waits).
        first_status: seconds a read waits for the poller's first agent-status read before
            asking VCC directly.
    """

    def __init__(self, poller: Poller, client: VccClient, *, first_status: float = 5.0) -> None:
        self._poller = poller
        self._client = client
        self._direct = VccSource(client)
        self._first_status = first_status
        self._older: OrderedDict[_Key, FloorRead] = OrderedDict()
        self._older_rows = 0

    @property
    def model(self) -> FloorModel:
        return self._poller.model

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def direct(self) -> VccClient:
        """The VCC client older windows are read through."""
        return self._client

    def readiness(self) -> tuple[bool, dict[str, object]]:
        """For /readyz: ready once every agent's status is in; the report gives the model's
        age (now - as_of), whether today's rows are still loading, and failed polls."""
        poller = self._poller
        if not poller.status_ready.is_set():
            return False, {"ready": False, "floor": "starting: reading agent status from VCC"}
        loading = not poller.loaded.is_set()
        as_of = self._as_of(loading)
        report: dict[str, object] = {
            "ready": True,
            "floor": {
                "as_of": as_of.isoformat(),
                "age_seconds": round((poller.clock.now() - as_of).total_seconds(), 1),
                "loading": loading,
                "failed_polls": poller.failures,
                "last_error": str(poller.last_error) if poller.last_error else None,
                "rows": self.model.row_count,
            },
        }
        return True, report

    async def read(self, scope: ReadScope) -> FloorRead:
        if not await self._model_ready():
            return await self._direct.read(scope)
        model = self.model
        origin = model.origin
        loading = not self._poller.loaded.is_set()
        as_of = self._as_of(loading)
        if scope.start >= origin:
            return _loading(read_model(model, scope, as_of), loading)
        older = await self._read_older(scope, min(scope.end, origin))
        if scope.end <= origin:
            return FloorRead(older.rows, statuses(model, scope), older.as_of)
        newer = read_model(model, ReadScope(origin, scope.end, scope.agent_id, scope.live), as_of)
        rows = [r for rs in older.rows.values() for r in rs]
        rows.extend(r for rs in newer.rows.values() for r in rs)  # later copies win
        merged = FloorRead.of(rows, newer.status.values(), as_of)
        return _loading(merged, loading)

    async def _model_ready(self) -> bool:
        poller = self._poller
        if poller.status_ready.is_set():
            return True
        if not poller.running:
            return False
        try:
            await asyncio.wait_for(poller.status_ready.wait(), self._first_status)
        except TimeoutError:
            return False
        return True

    def _as_of(self, loading: bool) -> datetime:
        """When the model's data was made: the older of its rows and its statuses, or while
        today's rows load (and answers say so) the statuses' time."""
        model = self.model
        status_as_of = model.status_as_of
        assert status_as_of is not None
        if loading or model.rows_as_of is None:
            return status_as_of
        return min(model.rows_as_of, status_as_of)

    async def _read_older(self, scope: ReadScope, end: datetime) -> FloorRead:
        key: _Key = (scope.agent_id, scope.start, end, scope.lookback)
        cached = self._older.get(key)
        if cached is not None:
            self._older.move_to_end(key)
            return cached
        part = ReadScope(scope.start, end, scope.agent_id, live=False, lookback=scope.lookback)
        read = await self._direct.read(part)
        self._older[key] = read
        self._older_rows += _count(read)
        while self._older_rows > _CACHED_ROWS and len(self._older) > 1:
            _, dropped = self._older.popitem(last=False)
            self._older_rows -= _count(dropped)
        return read


def _count(read: FloorRead) -> int:
    return sum(len(rows) for rows in read.rows.values())


def _loading(read: FloorRead, loading: bool) -> FloorRead:
    if not loading:
        return read
    return FloorRead(read.rows, read.status, read.as_of, read.index, loading=True)
