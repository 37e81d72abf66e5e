"""Answers about the floor from one read of it: an agent now, a history, a team, teams, who.

Pure: everything comes in as values (the read, the directory's agents and teams, "now").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.directory import Agent, Team
from bot.query.flags import Thresholds, flag
from bot.query.results import (
    AgentLine,
    AgentNow,
    Freshness,
    History,
    LiveInteraction,
    TeamLine,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.query.source import FloorRead
from bot.query.timeline import Current, bar, current_state, periods, totals
from bot.query.window import Span
from bot.vcc.models import State

__all__ = [
    "COUNT_ORDER",
    "Snapshot",
    "agent_line",
    "agent_now",
    "freshness",
    "history",
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
_GONE = (State.LOGGED_OUT, State.UNKNOWN)


def freshness(
    as_of: datetime, now: datetime, thresholds: Thresholds, *, loading: bool = False
) -> Freshness:
    return Freshness(as_of=as_of, stale=now - as_of > thresholds.stale, loading=loading)


@dataclass(frozen=True)
class Snapshot:
    """The floor today: a read from the start of today, when today began, and "now"."""

    read: FloorRead
    today: datetime
    now: datetime

    @property
    def as_of(self) -> datetime:
        return self.read.as_of

    def freshness(self, thresholds: Thresholds) -> Freshness:
        return freshness(self.as_of, self.now, thresholds, loading=self.read.loading)

    def current(self, agent_id: str) -> Current:
        return self.read.current_of(agent_id)


def _elapsed(current: Current, as_of: datetime) -> timedelta:
    return max(timedelta(), as_of - current.since)


def _assess(snap: Snapshot, agent: Agent, thresholds: Thresholds) -> tuple[AgentLine, Totals]:
    """One agent now (state, how long, flag) and their totals today."""
    current = snap.current(agent.id)
    elapsed = _elapsed(current, snap.as_of)
    day = snap.read.day_totals(agent.id, current, snap.today)
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
    status = snap.read.status.get(agent.id)
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
        freshness=snap.freshness(thresholds),
    )


def _line_order(line: AgentLine) -> tuple[int, int, float, str]:
    # Flagged first, then logged-in longest in state, then logged out; names break ties.
    gone = line.state in _GONE
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
        freshness=snap.freshness(thresholds),
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
                logged_in=sum(c.state not in _GONE for c in currents),
                ready=sum(c.state in (State.READY, State.READY_RFO) for c in currents),
                flagged=flagged,
            )
        )
    return TeamsList(tuple(out), snap.freshness(thresholds))


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
    return WhoList(tuple(states), word, team, tuple(lines), snap.freshness(thresholds))


def history(
    read: FloorRead, agent: Agent, span: Span, now: datetime, thresholds: Thresholds
) -> History:
    """An agent's timeline over the span; the current state is added when the span is open.

    A closed span (yesterday, a date) is history: it cannot go stale.
    """
    rows = read.rows_of(agent.id)
    is_open = span.end >= now
    current = current_state(rows, read.status.get(agent.id), read.as_of) if is_open else None
    spans = periods(rows, current, span.start, min(span.end, read.as_of), read.as_of)
    return History(
        agent=agent,
        window_label=span.label,
        start=span.start,
        end=span.end,
        periods=spans,
        totals=totals(spans),
        bar=bar(spans, span.start, span.end),
        freshness=(
            freshness(read.as_of, now, thresholds, loading=read.loading)
            if is_open
            else Freshness(read.as_of, loading=read.loading)
        ),
    )
