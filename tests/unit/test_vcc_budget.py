"""The one rate budget for every VCC request (`bot.vcc.budget`), on virtual time alone.

Most budgets' clocks read a `VirtualTime` whose `sleep` they are given, so seconds pass only
when every task waits on a sleeper; a few run on a frozen clock and a recording sleep. No test
sleeps for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from bot.clock import FrozenClock
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.vcc.budget import Permit, Priority, RateBudget
from tests.fakes import Sleeps
from tests.support.vcc import SCRIPTED_NOW, VirtualClock, cancellable
from tests.support.virtual_time import VirtualTime

ResultT = TypeVar("ResultT")

INTERACTIVE, BACKGROUND = Priority.INTERACTIVE, Priority.BACKGROUND


def budget_on(time: VirtualTime, rate: float | None, **options: Any) -> RateBudget:
    return RateBudget(rate, clock=VirtualClock(time), sleep=cancellable(time), **options)


async def drive(time: VirtualTime, work: Awaitable[ResultT]) -> ResultT:
    """`time.drive(work)`, given 10 real seconds: a waiter left stuck fails, not hangs."""
    async with asyncio.timeout(10):
        return await time.drive(work)


class Recorder:
    """Takes turns from a budget and writes down who got each one, and when."""

    def __init__(self, budget: RateBudget, time: VirtualTime) -> None:
        self.budget = budget
        self.time = time
        self.turns: list[tuple[str, float]] = []

    async def take(self, name: str, priority: Priority = BACKGROUND) -> Permit:
        permit = await self.budget.acquire(priority)
        self.turns.append((name, self.time.now))
        return permit

    def at(self, delay: float, name: str, priority: Priority = BACKGROUND) -> Awaitable[Permit]:
        """`take` after `delay` virtual seconds."""

        async def later() -> Permit:
            await self.time(delay)
            return await self.take(name, priority)

        return later()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.turns]

    @property
    def times(self) -> list[float]:
        return [at for _, at in self.turns]


async def settle() -> None:
    """Let every ready task run until it waits: a few loop turns, fewer than the idle turns
    after which `VirtualTime.drive` moves time on."""
    for _ in range(5):
        await asyncio.sleep(0)


class TestRate:
    async def test_a_long_run_holds_the_rate(self) -> None:
        """300 requests one after another at 2/s with a burst of 3 take (300 - 3) / 2 s, and
        no 10 s window holds more than 3 + 2 * 10 of them."""
        time = VirtualTime()
        turns = Recorder(budget_on(time, 2.0, burst=3), time)

        async def run() -> None:
            for n in range(300):
                await turns.take(f"r{n}")

        await drive(time, run())
        assert time.now == pytest.approx(148.5)
        times = turns.times
        assert times[:3] == [0.0, 0.0, 0.0]
        assert times[3] == pytest.approx(0.5)
        for start in times:
            assert sum(start <= t < start + 10 for t in times) <= 23

    async def test_concurrent_callers_share_the_rate(self) -> None:
        """50 callers at once get one turn each at 1/s after the burst, not 50 at once."""
        time = VirtualTime()
        turns = Recorder(budget_on(time, 1.0, burst=3), time)
        await drive(time, asyncio.gather(*(turns.take(f"c{n}") for n in range(50))))
        assert time.now == pytest.approx(47.0)
        assert turns.times[3:] == pytest.approx([float(n) for n in range(1, 48)])
        assert turns.budget.requests == 50

    async def test_the_burst_refills_to_its_size_and_no_more(self) -> None:
        """After a long quiet spell three requests go at once, the fourth waits a turn."""
        time = VirtualTime()
        turns = Recorder(budget_on(time, 1.0, burst=3), time)
        await drive(time, asyncio.gather(*(turns.take(f"a{n}") for n in range(3))))
        await drive(time, asyncio.gather(*(turns.at(100.0, f"b{n}") for n in range(4))))
        assert turns.times == pytest.approx([0, 0, 0, 100, 100, 100, 101])

    async def test_time_moves_with_the_budgets_own_sleeps_on_a_frozen_clock(self) -> None:
        """On a clock that never moves and a sleep that returns at once, the budget still
        paces: each wait it sleeps counts as that much time."""
        sleeps = Sleeps()
        budget = RateBudget(2.0, burst=1, clock=FrozenClock(SCRIPTED_NOW), sleep=sleeps)
        for _ in range(5):
            await budget.acquire(BACKGROUND)
        assert sleeps.delays == pytest.approx([0.5] * 4)

    async def test_an_unlimited_budget_never_waits(self) -> None:
        """`rate` None: a thousand requests, no sleep, all counted."""
        sleeps = Sleeps()
        budget = RateBudget(None, clock=FrozenClock(SCRIPTED_NOW), sleep=sleeps)
        await asyncio.gather(*(budget.acquire(BACKGROUND) for _ in range(1000)))
        assert sleeps.delays == []
        assert budget.requests == 1000
        assert budget.rate is None

    @pytest.mark.parametrize(
        ("options", "word"),
        [
            ({"rate": -1.0}, "rate"),
            ({"rate": float("inf")}, "rate"),
            ({"burst": 0}, "burst"),
            ({"floor": 0.0}, "floor"),
            ({"quiet": 0.0}, "quiet"),
        ],
    )
    def test_bad_options_are_refused(self, options: dict[str, Any], word: str) -> None:
        with pytest.raises(ValueError, match=word):
            RateBudget(**{"rate": 1.0, **options}, clock=FrozenClock(SCRIPTED_NOW), sleep=Sleeps())


class TestPriority:
    async def test_an_interactive_waiter_goes_before_queued_background_ones(self) -> None:
        """Five background requests queue at 1/s; two interactive ones arriving later get the
        next two turns; the background ones follow in the order they came."""
        time = VirtualTime()
        turns = Recorder(budget_on(time, 1.0, burst=1), time)

        async def scene() -> None:
            await turns.take("first")
            background = [asyncio.ensure_future(turns.take(f"b{n}")) for n in range(5)]
            interactive = [turns.at(0.5, f"i{n}", INTERACTIVE) for n in range(2)]
            await asyncio.gather(*background, *interactive)

        await drive(time, scene())
        assert turns.names == ["first", "i0", "i1", "b0", "b1", "b2", "b3", "b4"]
        assert turns.times == pytest.approx([0, 1, 2, 3, 4, 5, 6, 7])

    async def test_interactive_waiters_keep_their_order(self) -> None:
        """Within a priority it is first come, first served."""
        time = VirtualTime()
        turns = Recorder(budget_on(time, 1.0, burst=1), time)
        names = [f"i{n}" for n in range(6)]

        async def scene() -> None:
            await turns.take("first")
            waiting = []
            for name in names:
                waiting.append(asyncio.ensure_future(turns.take(name, INTERACTIVE)))
                await settle()
            await asyncio.gather(*waiting)

        await drive(time, scene())
        assert turns.names == ["first", *names]


class TestThrottle:
    async def test_a_429_holds_back_every_caller_and_halves_the_rate(self) -> None:
        """One caller's 429 (Retry-After 5) at t=0 stops everyone until t=5: then one probe
        goes (the interactive one, though it came second); the others wait for its answer
        (t=6) and follow at the halved rate, 0.5/s."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=3)
        turns = Recorder(budget, time)

        async def scene() -> None:
            (await turns.take("hit", INTERACTIVE)).throttled(5.0)
            others = {
                name: asyncio.ensure_future(turns.take(name, priority))
                for name, priority in [("b0", BACKGROUND), ("i0", INTERACTIVE), ("b1", BACKGROUND)]
            }
            await time(6.0)
            await settle()
            assert turns.names == ["hit", "i0"]  # the probe's answer is late: nobody else went
            others["i0"].result().answered()
            await asyncio.gather(*others.values())

        await drive(time, scene())
        assert turns.names == ["hit", "i0", "b0", "b1"]
        assert turns.times == pytest.approx([0.0, 5.0, 7.0, 9.0])
        assert budget.rate == pytest.approx(0.5)

    async def test_429s_of_requests_sent_together_lower_the_rate_once(self) -> None:
        """Three requests out together all answered 429 are one overload: the rate halves
        once (1 -> 0.5), not three times."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=3)
        permits = [await budget.acquire(BACKGROUND) for _ in range(3)]
        for permit in permits:
            permit.throttled(1.0)
        assert budget.rate == pytest.approx(0.5)

    async def test_repeated_429s_floor_the_rate_and_quiet_brings_it_back(self) -> None:
        """Probe after probe answered 429 halves the rate down to the floor (1/8 of it); then
        each 10 quiet seconds add 1/8 back until the configured rate."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=3)
        rates: list[float | None] = []

        async def storm_then_quiet() -> None:
            for _ in range(6):
                permit = await budget.acquire(INTERACTIVE)
                permit.throttled(1.0)
                rates.append(budget.rate)
            permit = await budget.acquire(INTERACTIVE)
            permit.answered()
            calm_from = time.now
            for step in range(1, 9):
                await time(calm_from + 10.0 * step + 0.5 - time.now)
                rates.append(budget.rate)

        await drive(time, storm_then_quiet())
        assert rates[:6] == pytest.approx([0.5, 0.25, 0.125, 0.125, 0.125, 0.125])
        climb = [0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.0]
        assert rates[6:] == pytest.approx(climb)

    async def test_the_rate_climbs_back_only_after_a_quiet_spell(self) -> None:
        """A 429 at t=0 with Retry-After 2: the halved rate holds until 10 s after the pause,
        and a long run afterwards goes at the configured rate again."""
        time = VirtualTime()
        budget = budget_on(time, 2.0, burst=3)
        seen: dict[str, float | None] = {}

        async def scene() -> None:
            (await budget.acquire(BACKGROUND)).throttled(2.0)
            (await budget.acquire(BACKGROUND)).answered()  # the probe, at t=2
            await time(11.0 - time.now)
            seen["t=11"] = budget.rate
            await time(200.0 - time.now)
            seen["t=200"] = budget.rate
            start = time.now
            for _ in range(43):
                await budget.acquire(BACKGROUND)
            seen["40 paced"] = time.now - start

        await drive(time, scene())
        assert seen["t=11"] == pytest.approx(1.0)
        assert seen["t=200"] == pytest.approx(2.0)
        assert seen["40 paced"] == pytest.approx(20.0)

    async def test_an_unlimited_budget_pauses_and_probes(self) -> None:
        """Unlimited, a 429 still holds everyone for its wait; one probe goes, the rest go
        together on its answer."""
        time = VirtualTime()
        budget = budget_on(time, None)
        turns = Recorder(budget, time)

        async def scene() -> None:
            (await turns.take("hit")).throttled(2.0)
            waiting = [asyncio.ensure_future(turns.take(f"w{n}")) for n in range(4)]
            await time(2.0)
            await settle()
            assert len(turns.turns) == 2
            probe = next(p for p in waiting if p.done())
            probe.result().answered()
            await asyncio.gather(*waiting)

        await drive(time, scene())
        assert turns.times == pytest.approx([0.0, 2.0, 2.0, 2.0, 2.0])

    async def test_a_probe_that_ends_without_an_answer_passes_the_role_on(self) -> None:
        """A probe whose request failed without an answer (released) lets the next waiter
        probe; the rest still wait for an answer."""
        time = VirtualTime()
        budget = budget_on(time, None)
        turns = Recorder(budget, time)

        async def scene() -> None:
            (await turns.take("hit")).throttled(1.0)
            waiting = [asyncio.ensure_future(turns.take(f"w{n}")) for n in range(3)]
            await time(1.0)
            await settle()
            assert turns.names == ["hit", "w0"]
            waiting[0].result().release()
            await settle()
            assert turns.names == ["hit", "w0", "w1"]
            waiting[1].result().answered()
            await asyncio.gather(*waiting)

        await drive(time, scene())
        assert turns.names == ["hit", "w0", "w1", "w2"]

    async def test_an_answer_to_an_older_request_does_not_end_the_probing(self) -> None:
        """A 200 for a request sent before the 429 says nothing about VCC now: the waiters
        still wait for the probe."""
        time = VirtualTime()
        budget = budget_on(time, None)
        turns = Recorder(budget, time)

        async def scene() -> None:
            old = await turns.take("old")
            (await turns.take("hit")).throttled(1.0)
            waiting = [asyncio.ensure_future(turns.take(f"w{n}")) for n in range(2)]
            await time(1.0)
            await settle()
            old.answered()
            await settle()
            assert turns.names == ["old", "hit", "w0"]
            waiting[0].result().answered()
            await asyncio.gather(*waiting)

        await drive(time, scene())


class TestCancellation:
    async def test_a_cancelled_sleeping_head_loses_no_token(self) -> None:
        """The head of the line cancelled while it sleeps for the next token: the next waiter
        gets that very token (at t=1), and the one after it the next (t=2)."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=1)
        turns = Recorder(budget, time)

        async def scene() -> None:
            await turns.take("first")
            head = asyncio.ensure_future(turns.take("head"))
            rest = [asyncio.ensure_future(turns.take(f"r{n}")) for n in range(2)]
            await settle()
            head.cancel()
            await asyncio.gather(*rest)

        await drive(time, scene())
        assert turns.names == ["first", "r0", "r1"]
        assert turns.times == pytest.approx([0.0, 1.0, 2.0])
        assert budget.waiting == 0

    async def test_cancelled_waiters_in_the_middle_leave_the_line_moving(self) -> None:
        """Waiters cancelled anywhere in either line leave no one stuck and no place held."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=1)
        turns = Recorder(budget, time)

        async def scene() -> None:
            await turns.take("first")
            tasks = {
                name: asyncio.ensure_future(turns.take(name, priority))
                for name, priority in [
                    ("b0", BACKGROUND),
                    ("b1", BACKGROUND),
                    ("i0", INTERACTIVE),
                    ("i1", INTERACTIVE),
                    ("b2", BACKGROUND),
                ]
            }
            await settle()
            for name in ("i0", "b1"):
                tasks[name].cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)

        await drive(time, scene())
        assert turns.names == ["first", "i1", "b0", "b2"]
        assert turns.times == pytest.approx([0.0, 1.0, 2.0, 3.0])
        assert budget.waiting == 0

    async def test_a_read_cancelled_while_probing_passes_the_probe_on(self) -> None:
        """`admit` releases its permit when the request is cancelled: the next waiter probes."""
        time = VirtualTime()
        budget = budget_on(time, None)
        turns = Recorder(budget, time)
        holding = asyncio.Event()

        async def probe() -> None:
            async with budget.admit(BACKGROUND):
                turns.turns.append(("probe", time.now))
                holding.set()
                await asyncio.Event().wait()  # its answer never comes

        async def scene() -> None:
            (await turns.take("hit")).throttled(1.0)
            prober = asyncio.ensure_future(probe())
            await settle()
            waiter = asyncio.ensure_future(turns.take("next"))
            await holding.wait()
            await settle()
            assert not waiter.done()
            prober.cancel()
            await waiter

        await drive(time, scene())
        assert turns.names == ["hit", "probe", "next"]


class TestCharge:
    async def test_a_charged_request_is_counted_and_paid_for(self) -> None:
        """A token request sent without waiting still comes out of the bucket: the next
        request waits for it, and both count."""
        time = VirtualTime()
        budget = budget_on(time, 1.0, burst=1)
        turns = Recorder(budget, time)

        async def scene() -> None:
            budget.charge()
            await turns.take("after")

        await drive(time, scene())
        assert turns.times == pytest.approx([1.0])
        assert budget.requests == 2


class TestSetting:
    def test_the_rate_defaults_to_one_a_second(self) -> None:
        settings = load_settings({})
        assert settings.vcc_rate == 1.0
        assert "vcc_rate" not in settings.model_fields_set

    def test_a_rate_set_is_known_to_be_set(self) -> None:
        """Set explicitly (even to the default), the app applies it to the simulator too."""
        settings = load_settings({"AGENTSTATE_VCC_RATE": "1"})
        assert "vcc_rate" in settings.model_fields_set

    @pytest.mark.parametrize("value", ["0", "-1", "fast", "inf"])
    def test_a_bad_rate_names_the_variable(self, value: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings({"AGENTSTATE_VCC_RATE": value})
        assert caught.value.variable == "AGENTSTATE_VCC_RATE"
