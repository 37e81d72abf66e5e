"""An agent's states over time: the current state, periods clipped to a window, totals, a bar.

Pure functions of rows, status and times. The current state is the agent's open WFM row
(duration null) when VCC has one, else what /stats/agent-status says (presence, or the
interaction in hand). Periods clip every row to the window, so a lunch that began before
midnight counts only from midnight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.query.results import Period, Totals
from bot.vcc.models import AgentState, AgentStatus, State

__all__ = ["BAR_SLOTS", "Current", "bar", "current_state", "periods", "totals"]

BAR_SLOTS = 24

# What an agent-status interaction state means as a WFM state.
_INTERACTION_STATE = {
    "Ringing": State.BUSY,
    "Connected": State.BUSY,
    "Wrap": State.WRAP,
    "Unexpected": State.UNEXPECTED,
    "Failed": State.FAILED,
}
# Which interaction an agent is "most focused on" when holding several.
_FOCUS = {"Connected": 0, "Ringing": 1, "Unexpected": 2, "Failed": 3, "Wrap": 4}
_NO_DATA = "No data"


@dataclass(frozen=True)
class Current:
    """An agent's state right now."""

    state: State
    label: str
    reason: str
    since: datetime


def current_state(
    rows: Sequence[AgentState], status: AgentStatus | None, as_of: datetime
) -> Current:
    """The agent's current state from its rows (sorted by start) and its agent-status item.

    The open WFM row (duration null) says it best: state, reason and start. But WFM rows are
    provisional and can lag (API.md §4) while agent-status is live, so a status change that
    is newer than the open row wins.
    """
    live = _from_status(status) if status is not None else None
    open_rows = [r for r in rows if r.is_current]
    if open_rows:
        row = open_rows[-1]
        if live is not None and live.since > row.start:
            return live
        return Current(row.state, row.raw_state, row.description, row.start)
    return live or Current(State.UNKNOWN, _NO_DATA, "", as_of)


def _from_status(status: AgentStatus) -> Current:
    """What /agent-status says: the interaction in hand, else the presence."""
    live = sorted(status.interactions, key=lambda i: (_FOCUS.get(i.state, 9), i.since))
    if live and live[0].state in _INTERACTION_STATE:
        i = live[0]
        return Current(_INTERACTION_STATE[i.state], i.state, i.medium, i.since)
    presence = status.presence
    state = State.from_wire(presence.name)
    if state is State.READY and not presence.eligible_for_routing:
        state = State.READY_RFO
    return Current(state, presence.name, presence.description, presence.since)


def periods(
    rows: Sequence[AgentState],
    current: Current | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[Period, ...]:
    """The agent's rows clipped to [start, end), ending in the current state.

    `rows` are one agent's, sorted by start. `current` (from `current_state`) adds the time
    from the last row to now where the rows lack it: none is open (the state began before the
    rows fetched), or the open row is older than what agent-status says, which then cuts it.
    """
    open_start = max((r.start for r in rows if r.is_current), default=None)
    tail = (
        current
        if current is not None
        and current.state is not State.UNKNOWN
        and (open_start is None or current.since > open_start)
        else None
    )
    cut = tail.since if tail is not None and open_start is not None else None
    out: list[Period] = []
    for row in rows:
        lo, hi = max(row.start, start), min(row.end_or(now), end)
        if cut is not None:
            hi = min(hi, cut)
        if lo < hi:
            ongoing = row.is_current and cut is None
            out.append(Period(row.state, row.raw_state, row.description, lo, hi, ongoing))
    if tail is not None:
        last_end = max((r.end_or(now) for r in rows if not r.is_current), default=start)
        lo, hi = max(tail.since, last_end, start), min(now, end)
        if lo < hi:
            out.append(Period(tail.state, tail.label, tail.reason, lo, hi, True))
    return tuple(out)


def totals(spans: Iterable[Period]) -> Totals:
    """Time per state over `spans`."""
    by_state: dict[State, timedelta] = defaultdict(timedelta)
    for p in spans:
        by_state[p.state] += p.duration
    return Totals(dict(by_state))


def bar(spans: Sequence[Period], start: datetime, end: datetime) -> tuple[State | None, ...]:
    """The window in BAR_SLOTS equal slots; each the state covering most of it, or None."""
    slot = (end - start) / BAR_SLOTS
    out: list[State | None] = []
    for n in range(BAR_SLOTS):
        lo, hi = start + slot * n, start + slot * (n + 1)
        cover: dict[State, timedelta] = defaultdict(timedelta)
        for p in spans:
            overlap = min(p.end, hi) - max(p.start, lo)
            if overlap > timedelta():
                cover[p.state] += overlap
        out.append(max(cover, key=lambda s: cover[s]) if cover else None)
    return tuple(out)
