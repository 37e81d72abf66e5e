"""Hypothesis strategies, and only those, in one place.

`command_text`: what a supervisor might type after /agentstate; answer values of every kind
for the formatters; one agent's wire rows, status and windows for the pure core.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from bot.commands import state_words
from bot.directory import Agent, Team
from bot.errors import Choice
from bot.query.flags import Flag, FlagKind
from bot.query.results import (
    AgentLine,
    AgentNow,
    ErrorAnswer,
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
from tests.support.answers import FRESH, NASTY, NOW, agent_now, offers, periods

nasty_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=5), max_size=30).map("".join),
).map(lambda s: s[:200])
states = st.sampled_from(list(State))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))
flags = st.builds(Flag, st.sampled_from(list(FlagKind)), st.none() | durations)


@st.composite
def agent_lines(draw: st.DrawFn) -> AgentLine:
    return AgentLine(
        agent=Agent(draw(st.text(min_size=1, max_size=10)), draw(nasty_text)),
        state=draw(states),
        label=draw(nasty_text),
        reason=draw(nasty_text),
        since=NOW - timedelta(minutes=5),
        elapsed=draw(durations),
        flag=draw(st.none() | flags),
        away_today=draw(durations),
        occupancy=draw(st.none() | st.floats(0, 1)),
    )


@st.composite
def team_summaries(draw: st.DrawFn, max_agents: int = 400) -> TeamSummary:
    """A team of 0..max_agents agents: a few drawn in full, the rest copies (keeps it fast)."""
    size = draw(st.integers(0, max_agents))
    drawn = draw(st.lists(agent_lines(), min_size=min(size, 1), max_size=min(size, 5)))
    agents = tuple(drawn[i % len(drawn)] for i in range(size)) if drawn else ()
    return TeamSummary(
        team=Team("T", draw(nasty_text)),
        counts=tuple((s, draw(st.integers(0, 400))) for s in draw(st.sets(states))),
        agents=agents,
        occupancy=draw(st.none() | st.floats(0, 1)),
        away_today=draw(durations),
        freshness=Freshness(NOW, draw(st.booleans())),
    )


@st.composite
def histories(draw: st.DrawFn, max_periods: int = 500) -> History:
    size = draw(st.integers(0, max_periods))
    name, reason, label = draw(nasty_text), draw(nasty_text), draw(nasty_text)
    spans = tuple(
        Period(s, label, reason, p.start, p.end, p.ongoing)
        for s, p in zip(
            draw(st.lists(states, min_size=size, max_size=size)), periods(size), strict=True
        )
    )
    return History(
        agent=Agent("1", name),
        window_label=draw(nasty_text),
        start=NOW - timedelta(minutes=10 * size + 1),
        end=NOW,
        periods=spans,
        totals=Totals({s: draw(durations) for s in draw(st.sets(states))}),
        bar=tuple(draw(st.lists(st.none() | states, max_size=60))),
        freshness=Freshness(NOW, draw(st.booleans())),
    )


@st.composite
def agent_nows(draw: st.DrawFn) -> AgentNow:
    interactions = draw(
        st.lists(
            st.builds(
                LiveInteraction,
                nasty_text,
                nasty_text,
                nasty_text,
                st.just(NOW - timedelta(minutes=3)),
            ),
            max_size=8,
        )
    )
    return agent_now(
        draw(nasty_text),
        draw(states),
        label=draw(nasty_text),
        reason=draw(nasty_text),
        elapsed=draw(durations),
        flag=draw(st.none() | flags),
        interactions=tuple(interactions),
        teams=tuple(draw(st.lists(nasty_text, max_size=40))),
    )


@st.composite
def who_lists(draw: st.DrawFn) -> WhoList:
    size = draw(st.integers(0, 400))
    drawn = draw(st.lists(agent_lines(), min_size=min(size, 1), max_size=min(size, 5)))
    return WhoList(
        tuple(draw(st.lists(states, min_size=1, max_size=3))),
        draw(nasty_text),
        draw(st.none() | nasty_text.map(lambda n: Team("T", n))),
        tuple(drawn[i % len(drawn)] for i in range(size)) if drawn else (),
        FRESH,
    )


@st.composite
def teams_lists(draw: st.DrawFn) -> TeamsList:
    names = draw(st.lists(nasty_text, max_size=80))
    return TeamsList(
        tuple(TeamLine(Team(str(i), n), 3, 2, i % 3) for i, n in enumerate(names)), FRESH
    )


choices = st.builds(Choice, nasty_text, nasty_text)


@st.composite
def errors(draw: st.DrawFn) -> ErrorAnswer:
    template = draw(st.sampled_from(["{id}", "{id} history today", "team {id}"]))
    return ErrorAnswer(
        draw(nasty_text),
        draw(st.none() | nasty_text),
        offers(tuple(draw(st.lists(choices, max_size=5))), template),
        offers(tuple(draw(st.lists(choices, max_size=30))), template),
    )


answers = st.one_of(
    agent_nows(), histories(), team_summaries(), teams_lists(), who_lists(), errors()
)


_COMMAND_WORDS = st.sampled_from(
    [
        "history", "team", "teams", "who", "help", "today", "yesterday", "2h", "90m", "0h",
        "2026-03-10", "2026-13-45", "<!channel>", "<@U123>", "&amp;", "Zoë", "ł", "", " ",
        *state_words(),
    ]
)  # fmt: skip
command_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_COMMAND_WORDS, st.text(max_size=12)), max_size=8).map(" ".join),
)


# -- the floor: one agent's wire rows, its status, windows ---------------------------------

_WIRE_STATES = st.sampled_from(
    ["Ready", "Busy", "Wrap", "Away", "ExtendedAway", "LoggedOut", "Unexpected", "Fault", "New"]
)
_FLOOR_START = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # a day and a half before NOW below
_FLOOR_NOW = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)  # tests.support.builders.NOW


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


@st.composite
def agent_rows(draw: st.DrawFn, agent: str = "1") -> list[AgentState]:
    """Agent "1"'s WFM rows as VCC sends them: one after another (gaps allowed), each ended
    but perhaps the last (still open), in any order and perhaps some twice."""
    at = _FLOOR_START + timedelta(minutes=draw(st.integers(0, 600)))
    rows: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 30))):
        at += timedelta(minutes=draw(st.integers(0, 30)))  # a gap, or none
        if at >= _FLOOR_NOW:
            break
        minutes = draw(st.integers(1, 180))
        last = at + timedelta(minutes=minutes) >= _FLOOR_NOW
        open_row = last or draw(st.integers(0, 9)) == 0  # the current state: it ends the rows
        row = {
            "agentId": agent,
            "start": _iso(at),
            "duration": None if open_row else minutes * 60_000,
            "state": draw(_WIRE_STATES),
            "description": draw(st.sampled_from(["", "Break", "Lunch", "Live"])),
        }
        rows.append(row)
        if open_row:
            break
        at += timedelta(minutes=minutes)
    wire = rows + draw(st.lists(st.sampled_from(rows), max_size=3)) if rows else rows
    order = draw(st.permutations(wire))
    return [AgentState.model_validate(r) for r in order]


@st.composite
def agent_statuses(draw: st.DrawFn, agent: str = "1") -> AgentStatus | None:
    """Agent "1"'s agent-status item (perhaps holding a call), or none at all."""
    if draw(st.booleans()):
        return None
    since = _FLOOR_NOW - timedelta(minutes=draw(st.integers(0, 2000)))
    call_since = max(since, _FLOOR_NOW - timedelta(minutes=draw(st.integers(0, 60))))
    calls = [
        {
            "guid": "g",
            "channelGuid": None,
            "since": _iso(call_since),
            "medium": "Phone",
            "mediumManager": "CC",
            "direction": "Inbound",
            "state": draw(st.sampled_from(["Connected", "Ringing", "Wrap", "Held"])),
            "reason": None,
        }
    ][: draw(st.integers(0, 1))]
    presence = draw(st.sampled_from(["Ready", "Away", "LoggedOut", "ExtendedAway"]))
    return AgentStatus.model_validate(
        {
            "agentId": agent,
            "presence": {
                "since": _iso(since),
                "name": presence,
                "description": presence,
                "eligibleForRouting": draw(st.booleans()),
            },
            "workload": {"since": _iso(since), "calls": len(calls)},
            "interaction": calls,
        }
    )


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A window [start, end) ending at or before NOW, from a minute to two days long."""
    end = _FLOOR_NOW - timedelta(minutes=draw(st.integers(0, 24 * 60)))
    return end - timedelta(minutes=draw(st.integers(1, 48 * 60))), end
