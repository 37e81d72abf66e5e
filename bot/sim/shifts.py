"""When each simulated agent works: their habits, by the floor's shift profile.

`around-the-clock` (the default) staffs a 24/7 center: about 60% of agents on day shifts
(logins 06:00-11:00 local), 25% on evenings (13:00-16:30) and 15% on nights (21:30-23:00,
ending the next morning), weekends staffed too but thinner, and calmer nights. `day` is the
floor as it first was, every agent on a day shift (07:00-11:00 logins), weekends mostly off;
its habits are drawn exactly as they always were, so its rows stay byte for byte the same.

Habits are a pure function of (seed, agent): a night worker stays one for the floor's life.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = ["SHIFT_PROFILES", "Profile", "ShiftProfile", "draw_profiles"]

ShiftProfile = Literal["around-the-clock", "day"]
SHIFT_PROFILES: Final[tuple[str, ...]] = get_args(ShiftProfile)


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One kind of shift on the around-the-clock floor."""

    name: str
    upto: float  # cumulative share of agents: this pattern takes [previous upto, upto)
    first_login: int  # earliest usual login, local minutes after midnight
    last_login: int  # latest, on the same quarter-hour grid
    part_time: float  # share of part-timers (4-5 h shifts)
    weekend: tuple[float, float]  # the range each agent's chance of a weekend day is drawn in
    calm: float  # ready_gap_s multiplier: fewer contacts reach the floor at night


_PATTERNS: Final = (
    _Pattern("day", 0.60, 6 * 60, 11 * 60, 0.15, (0.25, 0.5), 1.0),
    _Pattern("evening", 0.85, 13 * 60, 16 * 60 + 30, 0.15, (0.25, 0.5), 1.5),
    # Nights are full shifts only (a part-timer from 22:00 would leave the small hours empty),
    # and a skeleton crew works them whatever the day of the week.
    _Pattern("night", 1.0, 21 * 60 + 30, 23 * 60, 0.0, (0.5, 0.8), 4.0),
)
# Agents take patterns along the golden-ratio sequence, so any run of consecutive agents
# (and so every team) gets close to the 60/25/15 split, small floors included.
_GOLDEN: Final = 0.6180339887498949


@dataclass(frozen=True, slots=True)
class Profile:
    """An agent's habits, fixed for the life of the floor."""

    start_minute: int  # usual login, local minutes after midnight
    shift_minutes: int  # from login to planned logout, lunch included
    weekday_off: float  # chance of a weekday off (leave, sickness)
    weekend_work: float  # chance of working a weekend day
    ready_gap_s: float  # mean idle time between interactions
    live_share: float  # share of interactions that are calls; the rest chats and emails
    shift: str = "day"  # "day", "evening" or "night"

    @classmethod
    def draw(cls, seed: int, agent_id: str) -> Profile:
        """The habits of agent `agent_id` on the `day` floor of `seed`."""
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

    @classmethod
    def draw_around(cls, seed: int, agent_id: str, slot: float) -> Profile:
        """The habits of agent `agent_id` on the around-the-clock floor; `slot` in [0, 1)
        picks the pattern (day, evening, night)."""
        pattern = next(p for p in _PATTERNS if slot < p.upto)
        rng = random.Random(f"{seed}/{agent_id}/profile/{pattern.name}")
        part_time = rng.random() < pattern.part_time
        quarters = (pattern.last_login - pattern.first_login) // 15
        return cls(
            start_minute=pattern.first_login + 15 * rng.randint(0, quarters),
            shift_minutes=rng.choice((240, 270, 300) if part_time else (480, 510, 540)),
            # Everyone works some weekends, so some weekdays are off in return.
            weekday_off=rng.uniform(0.05, 0.15),
            weekend_work=rng.uniform(*pattern.weekend),
            ready_gap_s=rng.uniform(40.0, 150.0) * pattern.calm,
            live_share=rng.uniform(0.7, 0.95),
            shift=pattern.name,
        )


def draw_profiles(seed: int, agent_ids: Sequence[str], shifts: ShiftProfile) -> list[Profile]:
    """Every agent's habits on the floor of `seed` with shift profile `shifts`."""
    if shifts == "day":
        return [Profile.draw(seed, agent_id) for agent_id in agent_ids]
    offset = random.Random(f"{seed}/shifts").random()
    return [
        Profile.draw_around(seed, agent_id, (offset + i * _GOLDEN) % 1.0)
        for i, agent_id in enumerate(agent_ids)
    ]
