"""Block Kit pieces of floor answers that are about time: a history's bar and timeline, an
agent's live interactions, totals as fields, and the note shown while today's totals load.

Every time is a Slack date token (each viewer sees their own zone, `zone` is the fallback's);
outside text goes through `mrkdwn.inline()`/`escape()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.format.kit import Block, section
from bot.format.mrkdwn import escape, inline, slack_time, state_words
from bot.format.words import (
    BAR_SQUARES,
    LOADING_HISTORY,
    LOADING_TODAY,
    duration,
    percent,
    state_emoji,
    state_name,
)
from bot.query.results import LiveInteraction, Period, Totals
from bot.vcc.models import State

__all__ = ["bar_lines", "interaction", "loading", "timeline", "totals"]

_WORD = 40  # characters of a medium, direction or interaction state (before escaping)
_BAR_ROW = 12  # bar slots per line: fits a phone with the time in front
_BAR_MAX = 24
_LOADING = "⏳"


def interaction(i: LiveInteraction, now: datetime, zone: ZoneInfo) -> str:
    """ "📞 Voice · Inbound · Connected · since 13:59 (3 min)"."""
    parts = [inline(p, _WORD) for p in (i.medium, i.direction, i.state) if p.strip()]
    what = " · ".join(parts) or "Interaction"
    return f"📞 {what} · since {slack_time(i.since, now, zone)} ({duration(now - i.since)})"


def timeline(periods: Sequence[Period], end: datetime, zone: ZoneInfo) -> list[str]:
    """One line per period; the day is shown where it changes (first against the window end)."""
    lines = []
    previous = end
    for p in periods:
        words = state_words(p.state, p.label, p.reason, p.duration)
        now = " (now)" if p.ongoing else ""
        lines.append(f"{slack_time(p.start, previous, zone)} {state_emoji(p.state)} {words}{now}")
        previous = p.start
    return lines


def bar_lines(
    bar: Sequence[State | None], start: datetime, end: datetime, zone: ZoneInfo
) -> list[str]:
    """The bar in rows of 12 squares, each row led by its start time, then a legend."""
    slots = _squeeze(bar, _BAR_MAX)
    if not slots:
        return []
    step = (end - start) / len(slots)
    rows = []
    for n in range(0, len(slots), _BAR_ROW):
        squares = "".join(BAR_SQUARES[s] for s in slots[n : n + _BAR_ROW])
        rows.append(f"{slack_time(start + step * n, end, zone)} {squares}")
    legend: dict[str, str] = {}
    for s in slots:
        name = "no data" if s is None else escape(state_name(s))
        legend.setdefault(f"{BAR_SQUARES[s]} {name}", "")
    rows.append(" · ".join(legend))
    return rows


def _squeeze(bar: Sequence[State | None], most: int) -> list[State | None]:
    """At most `most` slots: longer bars are resampled (the real one has 24)."""
    if len(bar) <= most:
        return list(bar)
    return [bar[n * len(bar) // most] for n in range(most)]


def totals(title: str, t: Totals) -> Block:
    """Ready, Busy, Wrap and Away as four fields (two rows on a phone), occupancy above."""
    fields = [
        f"{state_emoji(State.READY)} *Ready*\n{duration(t.ready)}",
        f"{state_emoji(State.BUSY)} *Busy*\n{duration(t.busy)}",
        f"{state_emoji(State.WRAP)} *Wrap*\n{duration(t.wrap)}",
        f"{state_emoji(State.AWAY)} *Away*\n{duration(t.away)}",
    ]
    return section(f"*{title}* · occupancy {percent(t.occupancy)}", fields)


def loading(*, history: bool = False) -> str:
    """The line that stands in for totals still loading: today's, or a history's (whose
    timeline may then be missing periods too)."""
    return f"{_LOADING} {LOADING_HISTORY if history else LOADING_TODAY}"
