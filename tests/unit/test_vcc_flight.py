"""Shared reads (`bot.vcc.flight`), on the event loop alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.vcc.flight import Flights


class TestFlights:
    async def test_callers_in_flight_together_share_one_call(self) -> None:
        """Five callers with one key while it runs: one call, five equal results."""
        calls = 0
        release = asyncio.Event()

        async def call() -> int:
            nonlocal calls
            calls += 1
            await release.wait()
            return 42

        flights: Flights[int] = Flights()
        waiting = [asyncio.create_task(flights.run("k", call)) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(*waiting) == [42] * 5
        assert calls == 1
        assert len(flights) == 0

    async def test_a_finished_call_is_not_reused(self) -> None:
        """A caller after the call finished starts a new one."""
        calls = 0

        async def call() -> int:
            nonlocal calls
            calls += 1
            return calls

        flights: Flights[int] = Flights()
        assert await flights.run("k", call) == 1
        assert await flights.run("k", call) == 2

    async def test_every_caller_gets_the_error(self) -> None:
        async def call() -> int:
            await asyncio.sleep(0)
            raise ValueError("no")

        flights: Flights[int] = Flights()
        results = await asyncio.gather(
            *(flights.run("k", call) for _ in range(3)), return_exceptions=True
        )
        assert [type(r) for r in results] == [ValueError] * 3

    async def test_the_last_caller_leaving_cancels_the_call(self) -> None:
        """One caller cancelled leaves the call to the other; both cancelled cancel it."""
        started = asyncio.Event()
        cancelled = asyncio.Event()

        async def call() -> int:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return 0

        flights: Flights[int] = Flights()
        first = asyncio.create_task(flights.run("k", call))
        second = asyncio.create_task(flights.run("k", call))
        await started.wait()
        first.cancel()
        await asyncio.sleep(0)
        assert not cancelled.is_set()
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        await asyncio.wait_for(cancelled.wait(), 1)
        assert len(flights) == 0
