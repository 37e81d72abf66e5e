"""Virtual time for retries: an injected `sleep` whose sleepers wake in order of their wake
time, with time moving on only when nothing else can (no request in flight, the loop idle).

Concurrent sleepers overlap as they would for real (twenty tasks each waiting 1 s take 1 s of
virtual time, not 20), and no test waits on a backoff for real.

    time = VirtualTime()
    client = vcc_client(sim, sleep=time, transport=time.transport())
    await time.drive(asyncio.gather(...), on_tick=lambda now: ...)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

__all__ = ["VirtualTime"]

ResultT = TypeVar("ResultT")

# Loop turns with nothing in flight before the loop counts as idle.
_IDLE_TURNS = 20


class VirtualTime:
    """An injected `sleep` on a virtual clock (seconds from 0); `delays` records each wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._in_flight = 0

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + delay, next(self._order), woken))
        await woken

    def transport(self) -> httpx.AsyncBaseTransport:
        """A real HTTP transport that tells this clock when requests are in flight."""
        return _Counted(self)

    async def drive(
        self, work: Awaitable[ResultT], on_tick: Callable[[float], Any] = lambda now: None
    ) -> ResultT:
        """Run `work`, moving time to the next wake-up whenever everything waits on a sleeper;
        `on_tick(now)` is called each time the clock moves."""
        task = asyncio.ensure_future(work)
        while not task.done():
            await self._idle(task)
            if task.done() or not self._sleepers:
                continue
            self.now = self._sleepers[0][0]
            on_tick(self.now)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                heapq.heappop(self._sleepers)[2].set_result(None)
        return task.result()

    async def _idle(self, task: asyncio.Future[Any]) -> None:
        turns = 0
        while turns < _IDLE_TURNS and not task.done():
            if self._in_flight:
                turns = 0
                await asyncio.sleep(0.001)  # a real request to the simulator is under way
            else:
                turns += 1
                await asyncio.sleep(0)


class _Counted(httpx.AsyncBaseTransport):
    def __init__(self, time: VirtualTime) -> None:
        self._time = time
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._time._in_flight += 1
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()  # the whole answer is in before the request counts as done
            return response
        finally:
            self._time._in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()
