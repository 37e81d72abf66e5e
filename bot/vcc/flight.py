"""How concurrent reads share VCC: identical GETs in flight run once (`Flights`), and one 429
backoff holds every caller of a client (`Backoff`).

Both live in the client and are shared with its `with_policy` views, so every caller in the
process meets VCC's rate limit together instead of each hammering it alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.clock import Clock

__all__ = ["Backoff", "Flights", "Turn"]

ResultT = TypeVar("ResultT")

Sleep = Callable[[float], Awaitable[None]]


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


class Backoff:
    """One 429 backoff for every request of a client.

    When VCC answers 429, the backoff closes until the wait it asked for (Retry-After, else the
    retry policy's delay) has passed. While closed, one request at a time (the probe) waits out
    the rest of that wait and tries; the others wait for its outcome instead of each trying.
    Any answer that is not a 429 opens it again and everyone goes.

    Args:
        clock: "now" for the moment the wait ends.
        sleep: how the probe waits (tests inject a recorder).
    """

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._until: datetime | None = None
        self._probe = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self._until is not None

    def close(self, delay: float) -> None:
        """VCC said 429: hold requests back for `delay` seconds from now (or longer if already)."""
        until = self._clock.now() + timedelta(seconds=max(delay, 0.0))
        self._until = until if self._until is None else max(self._until, until)

    def open(self) -> None:
        """VCC answered something other than 429: requests may go again."""
        self._until = None

    def turn(self) -> Turn:
        """A request's place in line, for all its attempts; `release()` it when done."""
        return Turn(self)

    async def _wait_out(self) -> None:
        until = self._until
        if until is None:
            return
        remaining = (until - self._clock.now()).total_seconds()
        if remaining > 0:
            await self._sleep(remaining)


class Turn:
    """One request's place at a `Backoff`, across its attempts."""

    def __init__(self, backoff: Backoff) -> None:
        self._backoff = backoff
        self._probing = False

    async def ready(self) -> None:
        """Return when this request may be sent: at once while the backoff is open; else as
        the probe, once the wait has passed. A probe stays the probe for its retries."""
        backoff = self._backoff
        if not backoff.closed:
            self.release()
            return
        if not self._probing:
            await backoff._probe.acquire()
            self._probing = True
            if not backoff.closed:  # the probe before us got through
                self.release()
                return
        await backoff._wait_out()

    def release(self) -> None:
        """Give up the probe's place (when the request is done, or the backoff opened)."""
        if self._probing:
            self._probing = False
            self._backoff._probe.release()
