"""How concurrent reads share VCC: identical GETs in flight run once (`Flights`).

The flights live in the client and are shared with its views (`with_policy`, `background`),
beside the one rate budget (`bot.vcc.budget`) that paces and holds back every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from bot.vcc.budget import RateBudget

__all__ = ["Flights", "Shared"]

ResultT = TypeVar("ResultT")


class _Flight(Generic[ResultT]):
    def __init__(self, task: asyncio.Task[ResultT]) -> None:
        self.task = task
        self.waiters = 0


class Flights(Generic[ResultT]):
    """Identical calls in flight at the same time run once; every caller gets the same result
    or the same error.

    A caller that is cancelled (its deadline, its command) leaves the shared call running for
    the others; when the last caller leaves, the shared call is cancelled, so its request ends
    and its connection goes back to the pool.
    """

    def __init__(self) -> None:
        self._running: dict[Hashable, _Flight[ResultT]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(self, key: Hashable, call: Callable[[], Awaitable[ResultT]]) -> ResultT:
        """`call()`'s result, shared with every caller that asks for `key` while it runs."""
        flight = self._running.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(call()))
            self._running[key] = flight
            flight.task.add_done_callback(lambda _: self._forget(key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # Nobody wants it any more: free its connection now. Forgotten at once, so a
                # caller arriving in the meantime starts afresh instead of joining a corpse.
                self._forget(key, flight)
                flight.task.cancel()

    def _forget(self, key: Hashable, flight: _Flight[ResultT]) -> None:
        if self._running.get(key) is flight:
            del self._running[key]


class Shared:
    """What a client and its views share: pool slots, GETs in flight, the rate budget.

    Args:
        connections: requests on the wire at once (the connection pool's size).
        budget: the one rate budget every request takes its turn from.
    """

    def __init__(self, connections: int, budget: RateBudget) -> None:
        self.slots = asyncio.Semaphore(connections)
        self.flights: Flights[tuple[Any, int]] = Flights()
        self.budget = budget
