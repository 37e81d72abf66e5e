"""One rate budget for every request the bot sends to VCC (`RateBudget`).

VCC's fair-use limit is counted across all its APIs (API.md §2), so the whole process shares
one token bucket: `rate` requests a second on average, at most `burst` at once after a quiet
spell. Requests wait in two lines: INTERACTIVE (a supervisor is waiting) always before
BACKGROUND (the poller, catch-up pages, directory refreshes), first come first served within a
line.

A 429 seen by any request holds every request back: the budget pauses for the wait asked
(Retry-After, else the retry policy's backoff) and halves its rate (not below `rate * floor`).
After the pause one request goes alone (the probe) and the others follow its answer. The rate
then climbs back by `rate * floor` after each `quiet` seconds without a 429. An unlimited
budget (`rate` None or 0: tests, the simulated contact center) still pauses and probes.

The budget's time is the later of the injected clock and the end of its own last sleep: a
sleep of d seconds counts as d seconds even on a frozen test clock, and a clock stepped back
never hands out the same tokens twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from enum import IntEnum

from bot.clock import Clock

__all__ = ["Permit", "Priority", "RateBudget"]

log = logging.getLogger("bot.vcc")

Sleep = Callable[[float], Awaitable[None]]

# Token counts are floats: a sleep computed to end on a whole token may end a hair short of it.
_EPSILON = 1e-9


class Priority(IntEnum):
    """Who is waiting for a request: a lower value goes first."""

    INTERACTIVE = 0  # a supervisor is waiting for the answer
    BACKGROUND = 1  # the poller, catch-up pages, directory refreshes: they can wait


class Permit:
    """One request let through by a `RateBudget`; say how VCC answered it.

    `answered()` for any answer but 429, `throttled(delay)` for a 429, `release()` when the
    request ends (idempotent; `RateBudget.admit` calls it).
    """

    __slots__ = ("_budget", "_epoch")

    def __init__(self, budget: RateBudget, epoch: int) -> None:
        self._budget = budget
        self._epoch = epoch

    def answered(self) -> None:
        """VCC answered something other than 429: the probe (if this was it) got through."""
        self._budget._answered(self)

    def throttled(self, delay: float) -> None:
        """VCC answered 429: every request waits `delay` seconds, and the rate goes down."""
        self._budget._throttled(self, delay)

    def release(self) -> None:
        """The request is over; without an answer (a transport failure, a cancelled read) a
        probe passes its role on to the next request."""
        self._budget._released(self)


class _Waiter:
    __slots__ = ("priority", "wake")

    def __init__(self, priority: Priority) -> None:
        self.priority = priority
        self.wake = asyncio.Event()


class RateBudget:
    """A token bucket with two priorities, shared by every VCC request of the process.

    Args:
        rate: requests per second on average (`AGENTSTATE_VCC_RATE`); None or 0: unlimited.
        burst: requests that may go at once after a quiet spell (the bucket's size).
        clock: "now"; the budget counts seconds from the time it was built.
        sleep: how waiting requests wait (tests inject virtual time).
        floor: after 429s the rate goes no lower than `rate * floor`; it also climbs back up
            by `rate * floor` a step.
        quiet: seconds without a 429 before each step back up.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Clock,
        sleep: Sleep,
        burst: int = 3,
        floor: float = 0.125,
        quiet: float = 10.0,
    ) -> None:
        if rate is not None and not (rate >= 0 and math.isfinite(rate)):
            raise ValueError("rate must be a positive number of requests a second, or None")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if not 0 < floor <= 1 or not quiet > 0:
            raise ValueError("floor must be in (0, 1] and quiet positive")
        self._clock = clock
        self._sleep = sleep
        self._origin = clock.now()
        self._top = rate or 0.0  # decided once: 0.0 means unlimited
        self._limited = self._top > 0
        self._burst = float(burst)
        self._slowest = self._step = self._top * floor
        self._quiet = quiet
        self._rate = self._top
        self._tokens = self._burst
        self._stamp = 0.0  # tokens are counted up to this time
        self._time = 0.0  # the budget's now: never behind the clock or its own sleeps
        self._paused_until = 0.0
        self._calm_since = 0.0  # the last 429's pause ended here; the rate climbs from then
        self._epoch = 0  # bumped by each 429 that lowers the rate
        self._probing = False
        self._probe: Permit | None = None
        self._lines: tuple[deque[_Waiter], deque[_Waiter]] = (deque(), deque())
        self._requests = 0

    def __repr__(self) -> str:
        rate = f"{self._top:g}/s" if self._limited else "unlimited"
        return f"RateBudget(rate={rate}, burst={self._burst:g})"

    @property
    def rate(self) -> float | None:
        """Requests a second allowed now (lower after 429s); None when unlimited."""
        if not self._limited:
            return None
        self._refill(self._now())
        return self._rate

    @property
    def requests(self) -> int:
        """Requests let through so far (`acquire`) or counted (`charge`)."""
        return self._requests

    @property
    def waiting(self) -> int:
        """Requests waiting for their turn."""
        return len(self._lines[0]) + len(self._lines[1])

    @asynccontextmanager
    async def admit(self, priority: Priority) -> AsyncIterator[Permit]:
        """Wait for a turn (`acquire`) and hold it for one request, released at the end."""
        permit = await self.acquire(priority)
        try:
            yield permit
        finally:
            permit.release()

    async def acquire(self, priority: Priority) -> Permit:
        """Wait until one request may go: the next turn goes to the oldest INTERACTIVE
        waiter, else the oldest BACKGROUND one. Cancelled, the waiter leaves no trace."""
        if not self._queued_ahead(priority) and self._wait(self._now()) == 0:
            return self._grant()
        waiter = _Waiter(priority)
        self._lines[priority].append(waiter)
        try:
            while True:
                waiter.wake.clear()
                wait = self._wait(self._now()) if self._head() is waiter else math.inf
                if wait == 0:
                    return self._grant()
                if wait == math.inf:  # not our turn, or a probe is out: woken when that changes
                    await waiter.wake.wait()
                    continue
                await self._sleep_for(wait)
                if self._head() is not waiter:
                    self._wake_head()  # someone jumped ahead while we slept: it was waiting on us
        finally:
            self._leave(waiter)

    def charge(self) -> None:
        """Count a request sent without waiting (a token request, a resend after a 401): it
        comes out of the bucket, perhaps below empty, so the next requests wait for it."""
        self._requests += 1
        if self._limited:
            self._refill(self._now())
            self._tokens -= 1

    # -- the bucket ------------------------------------------------------------------------

    def _now(self) -> float:
        seconds = (self._clock.now() - self._origin).total_seconds()
        self._time = max(self._time, seconds)
        return self._time

    async def _sleep_for(self, wait: float) -> None:
        start = self._now()
        await self._sleep(wait)
        self._time = max(self._time, start + wait)  # a sleep takes at least its time

    def _wait(self, now: float) -> float:
        """Seconds until the head of the line may go: 0 now, inf until a probe's answer."""
        if self._probe is not None:
            return math.inf
        if now < self._paused_until:
            return self._paused_until - now
        if not self._limited:
            return 0.0
        self._refill(now)
        if self._tokens >= 1 - _EPSILON:
            return 0.0
        return (1 - self._tokens) / self._rate

    def _refill(self, now: float) -> None:
        """Tokens earned up to `now`, at the rate of each stretch as it climbed back up."""
        while self._rate < self._top and now >= self._calm_since + self._quiet:
            step_at = self._calm_since + self._quiet
            self._accrue(step_at)
            self._rate = min(self._top, self._rate + self._step)
            self._calm_since = step_at
        self._accrue(now)

    def _accrue(self, until: float) -> None:
        if until > self._stamp:
            self._tokens = min(self._burst, self._tokens + (until - self._stamp) * self._rate)
            self._stamp = until

    def _grant(self) -> Permit:
        if self._limited:
            self._tokens -= 1
        self._requests += 1
        permit = Permit(self, self._epoch)
        if self._probing:
            self._probe = permit  # the others wait for its answer
        return permit

    # -- the lines ---------------------------------------------------------------------------

    def _queued_ahead(self, priority: Priority) -> bool:
        return any(self._lines[p] for p in Priority if p <= priority)

    def _head(self) -> _Waiter | None:
        for line in self._lines:
            if line:
                return line[0]
        return None

    def _wake_head(self) -> None:
        head = self._head()
        if head is not None:
            head.wake.set()

    def _leave(self, waiter: _Waiter) -> None:
        was_head = self._head() is waiter
        line = self._lines[waiter.priority]
        if waiter in line:
            line.remove(waiter)
        if was_head:
            self._wake_head()

    # -- what VCC answered -------------------------------------------------------------------

    def _answered(self, permit: Permit) -> None:
        # An answer to a request sent before the last 429 says nothing about VCC now.
        if permit._epoch != self._epoch or not self._probing:
            return
        self._probing = False
        self._probe = None
        self._wake_head()

    def _throttled(self, permit: Permit, delay: float) -> None:
        now = self._now()
        self._paused_until = max(self._paused_until, now + max(delay, 0.0))
        self._calm_since = max(self._calm_since, self._paused_until)
        if self._limited:
            self._refill(now)
            self._tokens = 1.0  # the pause settles any debt; its end brings the probe's token
            self._stamp = max(self._stamp, self._paused_until)
        if permit._epoch == self._epoch:
            # News: requests sent before this one's 429 are the same overload, not another.
            self._epoch += 1
            self._probing = True
            if self._limited:
                self._rate = max(self._slowest, self._rate / 2)
            log.warning(
                "VCC answered 429: every VCC request waits %.1f s, then %s",
                self._paused_until - now,
                f"{self._rate:g} requests/s" if self._limited else "one probe first",
            )
        if self._probe is permit:
            self._probe = None
        self._wake_head()

    def _released(self, permit: Permit) -> None:
        if self._probe is permit:
            self._probe = None  # it ended without an answer: the next request probes
            self._wake_head()
