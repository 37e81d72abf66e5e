"""Windows of time a supervisor asks about, and resolving them against the clock.

A window is what was asked (`LastSpan`, `DaysAgo`, `OnDate`); a `Span` is where it lies on
the clock, in the floor's zone. Days are local days: a daylight-saving day is 23 or 25 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError

__all__ = [
    "DEFAULT_WINDOW",
    "DaysAgo",
    "LastSpan",
    "OnDate",
    "Span",
    "Window",
    "day_start",
    "resolve_window",
]

_DAY_WORDS = ("today", "yesterday")


@dataclass(frozen=True)
class LastSpan:
    """The last `span` up to now."""

    span: timedelta

    def text(self) -> str:
        """As a supervisor types it: "90m", "2h", "3d"."""
        minutes = int(self.span.total_seconds() // 60)
        if minutes % (24 * 60) == 0:
            return f"{minutes // (24 * 60)}d"
        if minutes % 60 == 0:
            return f"{minutes // 60}h"
        return f"{minutes}m"


@dataclass(frozen=True)
class DaysAgo:
    """A whole calendar day in the floor's zone: 0 is today, 1 yesterday."""

    days: int

    def __post_init__(self) -> None:
        if not 0 <= self.days < len(_DAY_WORDS):
            raise ValueError(f"DaysAgo is today (0) or yesterday (1), not {self.days}")

    def text(self) -> str:
        return _DAY_WORDS[self.days]


@dataclass(frozen=True)
class OnDate:
    """A whole calendar day, by its date, in the floor's zone."""

    day: date

    def text(self) -> str:
        return self.day.isoformat()


Window = LastSpan | DaysAgo | OnDate
DEFAULT_WINDOW = LastSpan(timedelta(hours=4))  # a history without a window


@dataclass(frozen=True)
class Span:
    """Where a window lies: [start, end) as aware UTC times, and what to call it."""

    start: datetime
    end: datetime
    label: str  # "last 4 hours", "today", "Tue 10 Mar 2026"


def day_start(now: datetime, zone: ZoneInfo, days_ago: int = 0) -> datetime:
    """Local midnight of the day `days_ago` before `now`'s day in `zone`, as an aware time."""
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    return _midnight(day, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Converted to UTC at once: Python subtracts two times of the same zone as wall-clock
    # times, which would make every DST-change day 24 h long.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def resolve_window(window: Window, now: datetime, zone: ZoneInfo, max_days: int) -> Span:
    """Where `window` lies at `now` in `zone`, or a friendly UserError (future, too old)."""
    limit = timedelta(days=max_days)
    oldest = day_start(now, zone, max_days)
    if isinstance(window, LastSpan):
        if window.span > limit:
            raise UserError(
                f"I can look back at most {max_days} days.", "Try `today` or a shorter span."
            )
        return Span(now - window.span, now, f"last {_span_label(window.span)}")
    today = now.astimezone(zone).date()
    day = window.day if isinstance(window, OnDate) else today - timedelta(days=window.days)
    if day > today:
        raise UserError(f"{day.isoformat()} hasn't happened yet.", "Try `today`.")
    start = _midnight(day, zone)
    if start < oldest:
        raise UserError(
            f"I can look back at most {max_days} days.",
            f"The oldest day I can show is {oldest.date().isoformat()}.",
        )
    end = min(_midnight(day + timedelta(days=1), zone), now)
    label = {0: "today", 1: "yesterday"}.get((today - day).days, day.strftime("%a %d %b %Y"))
    return Span(start, end, label)


def _span_label(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "24 hours" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} min"
