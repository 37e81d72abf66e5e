"""Each simulated agent's working days, drawn deterministically and on demand.

An agent's day is a pure function of (seed, agent id, local date): habits fixed for the
floor's life (`bot.sim.shifts.Profile`), a cheap shift plan (do they work, when do they log
in, when are they due to log out) and the shift's rows, each drawn from its own seeded RNG,
so history never changes as time moves on. A shift belongs to the date it starts on, and a
night shift's rows run on past midnight into the next date. `Days` caches plans and days once
drawn and answers what spans days: an agent's rows around a window, the shift they are in at
a moment, their last logout, their next and last login.
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
from bot.sim.shifts import Profile, ShiftProfile, draw_profiles

__all__ = ["MAX_OVERRUN", "Days", "WorkedDay"]

# How far back to look for an agent's last shift; every agent works most weekdays.
_LOOKBACK_DAYS: Final = 60
# At least about 50,000 agent-days (~100 MB) before the oldest are dropped.
_MAX_CACHED_DAYS: Final = 50_000
# How much later than planned a shift on the `day` floor can end: a late break, lunch or
# meeting pushes the blocks after it, and the last call is finished (minutes in practice; a
# test checks it stays well within). Around the clock, agents log out exactly as planned.
MAX_OVERRUN: Final = 3 * HOUR
_ONE_DAY: Final = timedelta(days=1)
_MIN_GAP: Final = 5 * SECOND
_MAX_GAP: Final = 20 * MINUTE
_NEVER: Final = 1 << 62  # a cap no shift reaches
# Where the mode of a call's busy time (120-720 s, mode 270 s) and of its wrap time (20-240 s,
# mode 50 s) lies, as a share of the range.
_BUSY_MODE: Final = (270_000 - 120_000) / (720_000 - 120_000)
_WRAP_MODE: Final = (50_000 - 20_000) / (240_000 - 20_000)
_UNKNOWN: Final = object()  # not yet drawn (None means a day off)


@dataclass(frozen=True, slots=True)
class WorkedDay:
    """One agent's worked day: row starts and codes; the last row is the logout."""

    starts: array[int]
    codes: array[int]


class Days:
    """Every agent's shift plans and worked days, drawn when first asked for, then cached.

    A worked day belongs to the local date its shift starts on; a night shift's rows run on
    into the next date. Shifts never overlap: logins are about a day apart, shifts under 10 h.

    Args:
        seed: everything drawn derives from it.
        zone: the zone shifts are planned in; dates are local to it.
        agent_ids: the agents by index; the methods take that index.
        shifts: the shift profile (`bot.sim.shifts`).
    """

    def __init__(
        self,
        seed: int,
        zone: ZoneInfo,
        agent_ids: Sequence[str],
        shifts: ShiftProfile = "around-the-clock",
    ) -> None:
        self._seed = seed
        self._zone = zone
        self._ids = agent_ids
        self._profiles = draw_profiles(seed, agent_ids, shifts)
        # The first floor's agents finish their last call; later ones log out on time, so a
        # shift's end (all a previous logout needs) is known without drawing its rows.
        self._on_time = shifts != "day"
        self._overrun = 0 if self._on_time else MAX_OVERRUN
        # A status and a day's rows need about two days per agent, a weekend's look-back four:
        # a cache smaller than that would redraw every day on every query.
        self._max_cached = max(_MAX_CACHED_DAYS, 4 * len(agent_ids))
        self._lock = threading.Lock()
        # Plain dicts read without the lock (a lookup is atomic); writes and evictions take it.
        self._plans: dict[tuple[int, date], object] = {}
        self._days: dict[tuple[int, date], object] = {}

    def profile(self, i: int) -> Profile:
        """Agent `i`'s habits."""
        return self._profiles[i]

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
        """Agent `i`'s rows of the shift starting on local `day`, from login to logout, or
        None for a day off."""
        key = (i, day)
        known = self._days.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return cast("WorkedDay | None", known)
        plan = self.plan(i, day)
        worked = None
        if plan is not None:
            rng = random.Random(f"{self._seed}/{self._ids[i]}/{day}/day")
            worked = _DayBuilder(rng, self._profiles[i], on_time=self._on_time).build(*plan)
        self._remember(self._days, key, worked)
        return worked

    def window(
        self, i: int, s: int, hi: int, first: date, last: date, horizon: date
    ) -> tuple[tuple[int, int] | None, array[int], array[int], int | None]:
        """Agent `i`'s row before `s`, the starts and codes of its rows starting in `[s, hi]`,
        and the next row's start.

        `first` and `last` are the local dates of `s` and `hi`. The row before is None when
        it is the logout before `first` (`previous_logout(i, first)` tells when). The next
        start is None when it lies beyond `horizon` (the row then is still going on).
        """
        before: tuple[int, int] | None = None
        starts_in, codes_in = array("q"), array("H")
        terminal: int | None = None
        eve = first - _ONE_DAY
        # The shift begun the day before may still be going on at `s` (a night shift).
        for day in _dates(eve if self._may_reach(i, eve, s) else first, last):
            plan = self.plan(i, day)
            if plan is None:
                continue
            if plan[0] > hi:  # a login (the shift's first row) after the window: no need to draw
                terminal = plan[0]
                break
            worked = self.worked(i, day)
            assert worked is not None  # a plan is a worked day
            starts, codes = worked.starts, worked.codes
            # Only the first days' rows can start before `s`: later shifts start after it.
            lo = bisect_left(starts, s)
            if lo:
                before = (starts[lo - 1], codes[lo - 1])
            up = bisect_right(starts, hi)
            starts_in += starts[lo:up]
            codes_in += codes[lo:up]
            if up < len(starts):
                terminal = starts[up]
                break
        if terminal is None:
            terminal = self.next_login(i, last, horizon)
        return before, starts_in, codes_in, terminal

    def shift_at(self, i: int, now: int) -> WorkedDay | None:
        """The worked day holding agent `i`'s row at `now`: today's once they have logged in
        (its logout row, once they have left), yesterday's while that shift is still going
        on, else None: logged out since `previous_logout(i, <today>)`."""
        today = self.local_date(now)
        plan = self.plan(i, today)
        if plan is not None and plan[0] <= now:
            return self.worked(i, today)
        eve = today - _ONE_DAY
        if self._may_reach(i, eve, now):
            worked = self.worked(i, eve)
            if worked is not None and now < worked.starts[-1]:
                return worked
        return None

    def previous_logout(self, i: int, day: date) -> int:
        """When agent `i` last logged out from a shift begun before `day`."""
        for back in range(1, _LOOKBACK_DAYS + 1):
            earlier = day - timedelta(days=back)
            if self._on_time:
                plan = self.plan(i, earlier)
                if plan is not None:
                    return plan[1]
            else:
                worked = self.worked(i, earlier)
                if worked is not None:
                    return worked.starts[-1]
        # Nobody goes this long without a shift; anchor the row somewhere fixed all the same.
        return self.local_ms(day - timedelta(days=_LOOKBACK_DAYS), 0)

    def next_login(self, i: int, day: date, horizon: date) -> int | None:
        """When agent `i` logs in first after `day`, looking no further than `horizon`."""
        for later in _dates(day + _ONE_DAY, horizon):
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
        """The instant `minute` minutes after local midnight of `day` (on its wall clock)."""
        if not 0 <= minute < 24 * 60:  # a login jittered past midnight: the next day's clock
            day += timedelta(days=minute // (24 * 60))
            minute %= 24 * 60
        hour, minute = divmod(minute, 60)
        return to_ms(datetime(day.year, day.month, day.day, hour, minute, tzinfo=self._zone))

    def local_date(self, ms: int) -> date:
        """The local date at instant `ms`."""
        return datetime.fromtimestamp(ms / 1000, self._zone).date()

    def _may_reach(self, i: int, day: date, instant: int) -> bool:
        """Whether agent `i`'s shift of `day` may have a row at or after `instant` (cheap:
        the plan only, with room for a late logout)."""
        plan = self.plan(i, day)
        return plan is not None and plan[1] + self._overrun >= instant

    def _remember(
        self, cache: dict[tuple[int, date], object], key: tuple[int, date], value: object
    ) -> None:
        with self._lock:
            cache[key] = value
            if len(cache) > self._max_cached:
                for old in list(cache)[: self._max_cached // 10]:
                    del cache[old]


class _DayBuilder:
    """Draws one worked day: breaks, lunch, maybe a meeting, and interactions in between.

    The hot loop uses `random()` with inline arithmetic rather than `randint`/`triangular`:
    10,000 agents' days are drawn in under a second this way. `on_time`: the agent logs out
    exactly when planned, skipping a break or an interaction that would keep them later (so
    the plan alone tells when a shift ended); otherwise the last call is finished first.
    """

    def __init__(self, rng: random.Random, profile: Profile, *, on_time: bool) -> None:
        self._rng = rng
        self._random = rng.random
        self._mean_gap = profile.ready_gap_s * SECOND
        self._live_share = profile.live_share
        self._on_time = on_time
        self._starts: list[int] = []
        self._codes: list[int] = []

    def build(self, login: int, logout: int) -> WorkedDay:
        """The rows from `login` to the logout row at (about, or if on time exactly) `logout`."""
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
        cap = logout if self._on_time else _NEVER
        t = login
        for planned, duration, code in blocks:
            # A break asked for during a call starts when the call's wrap ends.
            t = self._fill(t, planned, cap)
            if t + duration <= cap:
                self._starts.append(t)
                self._codes.append(code)
                t += duration
        t = self._fill(t, logout, cap)
        self._starts.append(t)
        self._codes.append(C_OUT)
        return WorkedDay(array("q", self._starts), array("H", self._codes))

    def _fill(self, t: int, until: int, cap: int) -> int:
        """Ready, taking interactions, from `t` until `until`; returns when the next row starts.

        An interaction that would end after `cap` is not taken: Ready goes on until `until`.
        One loop with everything inline: this is where the floor spends its time drawing.
        """
        rnd, starts, codes = self._random, self._starts, self._codes
        push_start, push_code = starts.append, codes.append
        mean_gap, live_share = self._mean_gap, self._live_share
        while t < until:
            push_start(t)
            push_code(C_READY)
            # Exponential idle time, kept between 5 s and 20 min.
            gap = int(-log(1.0 - rnd()) * mean_gap)
            gap = _MIN_GAP if gap < _MIN_GAP else _MAX_GAP if gap > _MAX_GAP else gap
            if t + gap >= until:
                return until
            t += gap
            mark = len(starts)
            kind = -1  # a call's description and direction, once there is a call
            r = rnd()
            if r < 0.02:  # offered but not answered; VCC gives it about groupMaxUnexpectedTime
                push_start(t)
                push_code(C_UNEXPECTED)
                t += 9_500 + int(rnd() * 1_000)
            elif r < 0.03:  # line fault
                push_start(t)
                push_code(C_FAILED)
                t += 2_000 + int(rnd() * 6_000)
            elif r < 0.05:  # a spell of outbound work, usually with a call
                push_start(t)
                push_code(C_RFO)
                t += 30 * SECOND + int(rnd() * 270 * SECOND)
                if rnd() < 0.7:
                    kind = D_LIVE << 4 | OUTBOUND
            elif rnd() < live_share:
                kind = D_LIVE << 4 | (OUTBOUND if rnd() < 0.1 else 0)
            else:
                kind = (D_SEMI if rnd() < 0.6 else D_NON) << 4
            if kind >= 0:  # busy 2-12 min (mostly 3-6), wrap 20 s-4 min (mostly under 1)
                push_start(t)
                push_code(BUSY | kind)
                t += _triangular(rnd(), 120_000, 600_000, _BUSY_MODE)
                push_start(t)
                push_code(WRAP | kind)
                t += _triangular(rnd(), 20_000, 220_000, _WRAP_MODE)
            if t > cap:
                del starts[mark:], codes[mark:]
                return until
        return t

    def _jitter(self, minutes: int) -> int:
        return self._rng.randint(-minutes * MINUTE, minutes * MINUTE)

    def _minutes(self, low: int, high: int) -> int:
        return self._rng.randint(low * MINUTE, high * MINUTE)


def _triangular(u: float, low: int, span: int, mode: float) -> int:
    """The triangular distribution's inverse CDF at `u` (what `Random.triangular` draws), for
    `low` to `low + span` with the mode at `low + mode * span`."""
    if u < mode:
        return low + int(span * sqrt(u * mode))
    return low + span - int(span * sqrt((1.0 - u) * (1.0 - mode)))


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
