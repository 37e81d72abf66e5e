"""Pure functions from VCC models and "now" to answers. No I/O, no clock: `now` is passed in.

Current state: an agent's open WFM row (duration null) when VCC has one; else what
/stats/agent-status says (presence, or the interaction in hand). Totals clip every row to the
window, so a lunch that began before midnight counts only from midnight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.commands import LastSpan, OnDay, Window
from bot.directory import Agent, Team
from bot.errors import UserError
from bot.query.results import (
    AgentLine,
    AgentNow,
    Freshness,
    History,
    LiveInteraction,
    Period,
    TeamLine,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.vcc.models import AgentState, AgentStatus, State

__all__ = [
    "COUNT_ORDER",
    "Current",
    "Snapshot",
    "Thresholds",
    "agent_line",
    "agent_now",
    "bar",
    "current_state",
    "day_start",
    "flag",
    "freshness",
    "history",
    "periods",
    "resolve_window",
    "team_summary",
    "teams_list",
    "who",
]

# The order states are counted and shown in: working first, then away, then gone.
COUNT_ORDER: tuple[State, ...] = (
    State.READY,
    State.READY_RFO,
    State.BUSY,
    State.WRAP,
    State.UNEXPECTED,
    State.FAILED,
    State.AWAY,
    State.EXTENDED_AWAY,
    State.LOGGED_OUT,
    State.UNKNOWN,
)
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


@dataclass(frozen=True)
class Thresholds:
    """How long a state may last before a supervisor should look."""

    away: timedelta = timedelta(minutes=15)
    wrap: timedelta = timedelta(minutes=5)
    stale: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class Current:
    """An agent's state right now."""

    state: State
    label: str
    reason: str
    since: datetime


_NO_DATA = "No data"


def freshness(as_of: datetime, now: datetime, thresholds: Thresholds) -> Freshness:
    return Freshness(as_of=as_of, stale=now - as_of > thresholds.stale)


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


def flag(state: State, elapsed: timedelta, thresholds: Thresholds) -> str | None:
    """Why a supervisor should look at this agent now, if they should."""
    if state is State.AWAY and elapsed > thresholds.away:
        return f"Away over {_minutes(thresholds.away)}"
    if state is State.WRAP and elapsed > thresholds.wrap:
        return f"Wrap over {_minutes(thresholds.wrap)}"
    if state is State.UNEXPECTED:
        return "Unexpected"
    if state is State.FAILED:
        return "Failed"
    return None


def _minutes(td: timedelta) -> str:
    return f"{int(td.total_seconds() // 60)} min"


def day_start(now: datetime, zone: ZoneInfo, days_ago: int = 0) -> datetime:
    """Local midnight of the day `days_ago` before `now`'s day in `zone`, as an aware time."""
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    return _midnight(day, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Converted to UTC at once: Python subtracts two times of the same zone as wall-clock
    # times, which would make every DST-change day 24 h long.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def resolve_window(
    window: Window, now: datetime, zone: ZoneInfo, max_days: int
) -> tuple[datetime, datetime, str]:
    """Turn a window as typed into [start, end) and a label, or a friendly UserError."""
    limit = timedelta(days=max_days)
    oldest = day_start(now, zone, max_days)
    if isinstance(window, LastSpan):
        if window.span > limit:
            raise UserError(
                f"I can look back at most {max_days} days.", "Try `today` or a shorter span."
            )
        return now - window.span, now, f"last {_span_label(window.span)}"
    assert isinstance(window, OnDay)
    today = now.astimezone(zone).date()
    day = window.day if window.day is not None else today - timedelta(days=window.days_ago or 0)
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
    return start, end, label


def _span_label(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "24 hours" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} min"


def _by_agent(rows: Iterable[AgentState]) -> dict[str, list[AgentState]]:
    grouped: dict[str, list[AgentState]] = defaultdict(list)
    for row in rows:
        grouped[row.agent_id].append(row)
    for agent_rows in grouped.values():
        agent_rows.sort(key=lambda r: r.start)
    return grouped


@dataclass(frozen=True)
class Snapshot:
    """One read of the floor: today's rows per agent and each agent's status, with times."""

    rows: Mapping[str, Sequence[AgentState]]
    status: Mapping[str, AgentStatus]
    today: datetime
    as_of: datetime
    now: datetime

    @classmethod
    def build(
        cls,
        rows: Iterable[AgentState],
        status: Iterable[AgentStatus],
        *,
        today: datetime,
        as_of: datetime,
        now: datetime,
    ) -> Snapshot:
        return cls(_by_agent(rows), {s.agent_id: s for s in status}, today, as_of, now)

    def current(self, agent_id: str) -> Current:
        return current_state(self.rows.get(agent_id, ()), self.status.get(agent_id), self.as_of)

    def today_periods(self, agent_id: str, current: Current) -> tuple[Period, ...]:
        return periods(self.rows.get(agent_id, ()), current, self.today, self.as_of, self.as_of)


def _elapsed(current: Current, as_of: datetime) -> timedelta:
    return max(timedelta(), as_of - current.since)


def _assess(snap: Snapshot, agent: Agent, thresholds: Thresholds) -> tuple[AgentLine, Totals]:
    """One agent now (state, how long, flag) and their totals today."""
    current = snap.current(agent.id)
    elapsed = _elapsed(current, snap.as_of)
    day = totals(snap.today_periods(agent.id, current))
    line = AgentLine(
        agent=agent,
        state=current.state,
        label=current.label,
        reason=current.reason,
        since=current.since,
        elapsed=elapsed,
        flag=flag(current.state, elapsed, thresholds),
        away_today=day.away,
        occupancy=day.occupancy,
    )
    return line, day


def agent_line(snap: Snapshot, agent: Agent, thresholds: Thresholds) -> AgentLine:
    return _assess(snap, agent, thresholds)[0]


def agent_now(
    snap: Snapshot, agent: Agent, teams: Sequence[Team], thresholds: Thresholds
) -> AgentNow:
    line, day = _assess(snap, agent, thresholds)
    status = snap.status.get(agent.id)
    live = tuple(
        LiveInteraction(i.medium, i.direction, i.state, i.since)
        for i in (status.interactions if status else ())
    )
    return AgentNow(
        agent=agent,
        teams=tuple(t.name for t in teams),
        state=line.state,
        label=line.label,
        reason=line.reason,
        since=line.since,
        elapsed=line.elapsed,
        flag=line.flag,
        interactions=live,
        today=day,
        freshness=freshness(snap.as_of, snap.now, thresholds),
    )


def _line_order(line: AgentLine) -> tuple[int, int, float, str]:
    # Flagged first, then logged-in longest in state, then logged out; names break ties.
    gone = line.state in (State.LOGGED_OUT, State.UNKNOWN)
    return (line.flag is None, gone, -line.elapsed.total_seconds(), line.agent.name.casefold())


def team_summary(
    snap: Snapshot, team: Team, agents: Sequence[Agent], thresholds: Thresholds
) -> TeamSummary:
    assessed = [_assess(snap, a, thresholds) for a in agents]
    lines = sorted((line for line, _ in assessed), key=_line_order)
    counts = defaultdict(int, {s: 0 for s in COUNT_ORDER})
    for line in lines:
        counts[line.state] += 1
    day = Totals(_sum_maps(d.by_state for _, d in assessed))
    return TeamSummary(
        team=team,
        counts=tuple((s, counts[s]) for s in COUNT_ORDER if counts[s]),
        agents=tuple(lines),
        occupancy=day.occupancy,
        away_today=day.away,
        freshness=freshness(snap.as_of, snap.now, thresholds),
    )


def _sum_maps(maps: Iterable[Mapping[State, timedelta]]) -> dict[State, timedelta]:
    out: dict[State, timedelta] = defaultdict(timedelta)
    for m in maps:
        for state, d in m.items():
            out[state] += d
    return dict(out)


def teams_list(snap: Snapshot, teams: Sequence[Team], thresholds: Thresholds) -> TeamsList:
    out = []
    for team in teams:
        currents = [snap.current(a) for a in team.agent_ids]
        flagged = sum(
            flag(c.state, _elapsed(c, snap.as_of), thresholds) is not None for c in currents
        )
        out.append(
            TeamLine(
                team=team,
                logged_in=sum(c.state not in (State.LOGGED_OUT, State.UNKNOWN) for c in currents),
                ready=sum(c.state in (State.READY, State.READY_RFO) for c in currents),
                flagged=flagged,
            )
        )
    return TeamsList(tuple(out), freshness(snap.as_of, snap.now, thresholds))


def who(
    snap: Snapshot,
    states: Sequence[State],
    word: str,
    team: Team | None,
    agents: Sequence[Agent],
    thresholds: Thresholds,
) -> WhoList:
    wanted = set(states)
    lines = [agent_line(snap, a, thresholds) for a in agents if snap.current(a.id).state in wanted]
    lines.sort(key=lambda line: (-line.elapsed.total_seconds(), line.agent.name.casefold()))
    return WhoList(
        tuple(states), word, team, tuple(lines), freshness(snap.as_of, snap.now, thresholds)
    )


def history(
    rows: Sequence[AgentState],
    status: AgentStatus | None,
    agent: Agent,
    window: tuple[datetime, datetime, str],
    as_of: datetime,
    now: datetime,
    thresholds: Thresholds,
) -> History:
    """An agent's timeline over the window; the current state is added when the window is open.

    A closed window (yesterday, a date) is history: it cannot go stale.
    """
    start, end, label = window
    ordered = sorted((r for r in rows if r.agent_id == agent.id), key=lambda r: r.start)
    is_open = end >= now
    current = current_state(ordered, status, as_of) if is_open else None
    spans = periods(ordered, current, start, min(end, as_of), as_of)
    return History(
        agent=agent,
        window_label=label,
        start=start,
        end=end,
        periods=spans,
        totals=totals(spans),
        bar=bar(spans, start, end),
        freshness=freshness(as_of, now, thresholds) if is_open else Freshness(as_of),
    )
