"""Each simulated agent's working days, drawn deterministically and on demand.

An agent's day is a pure function of (seed, agent id, local date): habits fixed for the
floor's life (`Profile`), a cheap shift plan (do they work, when do they log in, when are they
due to log out) and the day's rows, each drawn from its own seeded RNG, so history never
changes as time moves on. `Days` caches plans and days once drawn and answers what spans
days: an agent's rows around a window, their last logout, their next and last login.
"""

from __future__ import annotations

import random
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import log, sqrt
from typing import Final, cast
from zoneinfo import ZoneInfo

from bot.sim.codes import (
    BUSY,
    C_BREAK,
    C_FAILED,
    C_LUNCH,
    C_MEETING,
    C_OUT,
    C_READY,
    C_RFO,
    C_TRAINING,
    C_UNEXPECTED,
    D_LIVE,
    D_NON,
    D_SEMI,
    HOUR,
    MINUTE,
    OUTBOUND,
    SECOND,
    WRAP,
    to_ms,
)

__all__ = ["Days", "Profile", "WorkedDay"]

# How far back to look for an agent's last shift; every agent works most weekdays.
_LOOKBACK_DAYS: Final = 60
# About 50,000 agent-days (~100 MB) before the oldest are dropped.
_MAX_CACHED_DAYS: Final = 50_000
_UNKNOWN: Final = object()  # not yet drawn (None means a day off)


@dataclass(frozen=True, slots=True)
class Profile:
    """An agent's habits, fixed for the life of the floor."""

    start_minute: int  # usual login, local minutes after midnight
    shift_minutes: int  # from login to planned logout, lunch included
    weekday_off: float  # chance of a weekday off (leave, sickness)
    weekend_work: float  # chance of working a weekend day
    ready_gap_s: float  # mean idle time between interactions
    live_share: float  # share of interactions that are calls; the rest chats and emails

    @classmethod
    def draw(cls, seed: int, agent_id: str) -> Profile:
        """The habits of agent `agent_id` on the floor of `seed`."""
        rng = random.Random(f"{seed}/{agent_id}/profile")
        part_time = rng.random() < 0.15
        return cls(
            start_minute=7 * 60 + 15 * rng.randint(0, 16),
            shift_minutes=rng.choice((240, 270, 300) if part_time else (480, 510, 540)),
            weekday_off=rng.uniform(0.03, 0.1),
            weekend_work=0.5 if rng.random() < 0.15 else 0.02,
            ready_gap_s=rng.uniform(40.0, 150.0),
            live_share=rng.uniform(0.7, 0.95),
        )


@dataclass(frozen=True, slots=True)
class WorkedDay:
    """One agent's worked day: row starts and codes; the last row is the logout."""

    starts: array[int]
    codes: array[int]


class Days:
    """Every agent's shift plans and worked days, drawn when first asked for, then cached.

    Args:
        seed: everything drawn derives from it.
        zone: the zone shifts are planned in; dates are local to it.
        agent_ids: the agents by index; the methods take that index.
    """

    def __init__(self, seed: int, zone: ZoneInfo, agent_ids: Sequence[str]) -> None:
        self._seed = seed
        self._zone = zone
        self._ids = agent_ids
        self._profiles = [Profile.draw(seed, agent_id) for agent_id in agent_ids]
        self._lock = threading.Lock()
        # Plain dicts read without the lock (a lookup is atomic); writes and evictions take it.
        self._plans: dict[tuple[int, date], object] = {}
        self._days: dict[tuple[int, date], object] = {}

    def plan(self, i: int, day: date) -> tuple[int, int] | None:
        """(login, planned logout) for agent `i` on local `day`, or None for a day off."""
        key = (i, day)
        known = self._plans.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return cast("tuple[int, int] | None", known)
        profile = self._profiles[i]
        rng = random.Random(f"{self._seed}/{self._ids[i]}/{day}/plan")
        chance = profile.weekend_work if day.weekday() >= 5 else 1 - profile.weekday_off
        plan = None
        if rng.random() < chance:
            minute = profile.start_minute + round(rng.gauss(0, 6))
            login = self.local_ms(day, minute) + rng.randrange(MINUTE)
            plan = (login, login + (profile.shift_minutes + rng.randint(-10, 10)) * MINUTE)
        self._remember(self._plans, key, plan)
        return plan

    def worked(self, i: int, day: date) -> WorkedDay | None:
        """Agent `i`'s rows on local `day` from login to logout, or None for a day off."""
        key = (i, day)
        known = self._days.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return cast("WorkedDay | None", known)
        plan = self.plan(i, day)
        worked = None
        if plan is not None:
            rng = random.Random(f"{self._seed}/{self._ids[i]}/{day}/day")
            worked = _DayBuilder(rng, self._profiles[i]).build(*plan)
        self._remember(self._days, key, worked)
        return worked

    def window(
        self, i: int, s: int, hi: int, first: date, last: date, horizon: date
    ) -> tuple[tuple[int, int], list[tuple[int, int]], int | None]:
        """Agent `i`'s row before `s`, its rows starting in `[s, hi]`, and the next row's start.

        `first` and `last` are the local dates of `s` and `hi`. The next start is None when it
        lies beyond `horizon` (the row then is still going on).
        """
        before: tuple[int, int] | None = None
        inside: list[tuple[int, int]] = []
        terminal: int | None = None
        for day in _dates(first, last):
            worked = self.worked(i, day)
            if worked is None:
                continue
            starts, codes = worked.starts, worked.codes
            lo = 0
            if day == first:
                lo = bisect_left(starts, s)
                if lo:
                    before = (starts[lo - 1], codes[lo - 1])
            up = bisect_right(starts, hi)
            inside.extend(zip(starts[lo:up], codes[lo:up], strict=True))
            if up < len(starts):
                terminal = starts[up]
                break
        if before is None:
            before = (self.previous_logout(i, first), C_OUT)
        if terminal is None:
            terminal = self.next_login(i, last, horizon)
        return before, inside, terminal

    def previous_logout(self, i: int, day: date) -> int:
        """When agent `i` logged out last before `day`."""
        for back in range(1, _LOOKBACK_DAYS + 1):
            worked = self.worked(i, day - timedelta(days=back))
            if worked is not None:
                return worked.starts[-1]
        # Nobody goes this long without a shift; anchor the row somewhere fixed all the same.
        return self.local_ms(day - timedelta(days=_LOOKBACK_DAYS), 0)

    def next_login(self, i: int, day: date, horizon: date) -> int | None:
        """When agent `i` logs in first after `day`, looking no further than `horizon`."""
        for later in _dates(day + timedelta(days=1), horizon):
            plan = self.plan(i, later)
            if plan is not None:
                return plan[0]
        return None

    def last_login(self, i: int, now: int) -> int | None:
        """When agent `i` last logged in at or before `now`; None if not in the look-back."""
        today = self.local_date(now)
        for back in range(_LOOKBACK_DAYS + 1):
            plan = self.plan(i, today - timedelta(days=back))
            if plan is not None and plan[0] <= now:
                return plan[0]
        return None

    def local_ms(self, day: date, minute: int) -> int:
        """The instant `minute` minutes after local midnight of `day`."""
        hour, minute = divmod(minute, 60)
        return to_ms(datetime(day.year, day.month, day.day, hour, minute, tzinfo=self._zone))

    def local_date(self, ms: int) -> date:
        """The local date at instant `ms`."""
        return datetime.fromtimestamp(ms / 1000, self._zone).date()

    def _remember(
        self, cache: dict[tuple[int, date], object], key: tuple[int, date], value: object
    ) -> None:
        with self._lock:
            cache[key] = value
            if len(cache) > _MAX_CACHED_DAYS:
                for old in list(cache)[: _MAX_CACHED_DAYS // 10]:
                    del cache[old]


class _DayBuilder:
    """Draws one worked day: breaks, lunch, maybe a meeting, and interactions in between.

    The hot loop uses `random()` with inline arithmetic rather than `randint`/`triangular`:
    10,000 agents' days are drawn in about a second this way.
    """

    def __init__(self, rng: random.Random, profile: Profile) -> None:
        self._rng = rng
        self._random = rng.random
        self._mean_gap = profile.ready_gap_s * SECOND
        self._live_share = profile.live_share
        self._starts: list[int] = []
        self._codes: list[int] = []
        self._push_start = self._starts.append
        self._push_code = self._codes.append

    def build(self, login: int, logout: int) -> WorkedDay:
        """The rows from `login` to the logout row at (about) `logout`."""
        rng = self._rng
        length = logout - login
        blocks: list[tuple[int, int, int]] = []  # (planned start, duration, code)
        if length >= 6 * HOUR:
            blocks.append((login + length // 4 + self._jitter(10), self._minutes(13, 17), C_BREAK))
            blocks.append((login + length // 2 + self._jitter(20), self._minutes(30, 60), C_LUNCH))
            blocks.append(
                (login + length * 7 // 9 + self._jitter(10), self._minutes(13, 17), C_BREAK)
            )
        else:
            blocks.append((login + length // 2 + self._jitter(15), self._minutes(13, 17), C_BREAK))
        if rng.random() < 0.2:
            at = login + int(length * rng.uniform(0.1, 0.8))
            blocks.append((at, self._minutes(30, 60), rng.choice((C_MEETING, C_TRAINING))))
        blocks.sort()
        t = login
        for planned, duration, code in blocks:
            # A break asked for during a call starts when the call's wrap ends.
            t = self._fill(t, planned)
            self._emit(t, code)
            t += duration
        t = self._fill(t, logout)
        self._emit(t, C_OUT)
        return WorkedDay(array("q", self._starts), array("H", self._codes))

    def _fill(self, t: int, until: int) -> int:
        """Ready, taking interactions, from `t` until `until`; returns when the next row starts."""
        rnd = self._random
        while t < until:
            self._emit(t, C_READY)
            # Exponential idle time, kept between 5 s and 20 min.
            gap = min(max(int(-log(1.0 - rnd()) * self._mean_gap), 5 * SECOND), 20 * MINUTE)
            if t + gap >= until:
                return until
            t = self._interaction(t + gap)
        return t

    def _interaction(self, t: int) -> int:
        rnd = self._random
        r = rnd()
        if r < 0.02:  # offered but not answered; VCC gives it about groupMaxUnexpectedTime
            self._emit(t, C_UNEXPECTED)
            return t + 9_500 + int(rnd() * 1_000)
        if r < 0.03:  # line fault
            self._emit(t, C_FAILED)
            return t + 2_000 + int(rnd() * 6_000)
        if r < 0.05:  # a spell of outbound work, usually with a call
            self._emit(t, C_RFO)
            t += 30 * SECOND + int(rnd() * 270 * SECOND)
            return self._call(t, D_LIVE, OUTBOUND) if rnd() < 0.7 else t
        if rnd() < self._live_share:
            return self._call(t, D_LIVE, OUTBOUND if rnd() < 0.1 else 0)
        return self._call(t, D_SEMI if rnd() < 0.6 else D_NON, 0)

    def _call(self, t: int, desc: int, flags: int) -> int:
        """Busy 2-12 min (mostly 3-6), then wrap 20 s-4 min (mostly under a minute)."""
        self._emit(t, BUSY | desc << 4 | flags)
        t += _triangular(self._random(), 120 * SECOND, 720 * SECOND, 270 * SECOND)
        self._emit(t, WRAP | desc << 4 | flags)
        return t + _triangular(self._random(), 20 * SECOND, 240 * SECOND, 50 * SECOND)

    def _emit(self, t: int, code: int) -> None:
        self._push_start(t)
        self._push_code(code)

    def _jitter(self, minutes: int) -> int:
        return self._rng.randint(-minutes * MINUTE, minutes * MINUTE)

    def _minutes(self, low: int, high: int) -> int:
        return self._rng.randint(low * MINUTE, high * MINUTE)


def _triangular(u: float, low: int, high: int, mode: int) -> int:
    """The triangular distribution's inverse CDF at `u` (what `Random.triangular` draws)."""
    c = (mode - low) / (high - low)
    if u < c:
        return low + int((high - low) * sqrt(u * c))
    return high - int((high - low) * sqrt((1.0 - u) * (1.0 - c)))


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
