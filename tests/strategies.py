"""Hypothesis strategies in one place, and builders for the formatter tests.

`command_text`: what a supervisor might type after /agentstate. The rest: result objects
made directly, for the formatters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.commands import state_words
from bot.directory import Agent, Team
from bot.errors import Choice
from bot.format.blocks import check_limits
from bot.query.results import (
    AgentLine,
    AgentNow,
    ErrorAnswer,
    Freshness,
    History,
    LiveInteraction,
    Period,
    Reply,
    TeamLine,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.vcc.models import State

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 14, 2, 11, tzinfo=UTC)
FRESH = Freshness(as_of=NOW)

# Text a hostile or careless directory could hold: pings, entities, markup, line breaks.
NASTY = ("<!channel>", "<@U123>", "<!here|here>", "&", "<", ">", "&amp;", "*bold*", "\n", "`")


def totals(**minutes: int) -> Totals:
    """Totals from minutes per state name: totals(READY=30, BUSY=90)."""
    return Totals({State[k]: timedelta(minutes=v) for k, v in minutes.items()})


def agent_now(
    name: str = "Priya Natarajan",
    state: State = State.EXTENDED_AWAY,
    *,
    label: str = "ExtendedAway",
    reason: str = "Lunch",
    elapsed: timedelta = timedelta(minutes=47),
    flag: str | None = None,
    interactions: tuple[LiveInteraction, ...] = (),
    teams: tuple[str, ...] = ("Billing",),
    freshness: Freshness = FRESH,
) -> AgentNow:
    return AgentNow(
        agent=Agent("1101", name),
        teams=teams,
        state=state,
        label=label,
        reason=reason,
        since=NOW - elapsed,
        elapsed=elapsed,
        flag=flag,
        interactions=interactions,
        today=totals(READY=130, BUSY=95, WRAP=20, AWAY=15, EXTENDED_AWAY=47),
        freshness=freshness,
    )


def periods(n: int, *, reason: str = "Break", end: datetime = NOW) -> tuple[Period, ...]:
    """`n` ten-minute periods ending at `end`, cycling through a few states."""
    cycle = (State.READY, State.BUSY, State.WRAP, State.AWAY)
    start = end - timedelta(minutes=10 * n)
    out = []
    for i in range(n):
        s = cycle[i % len(cycle)]
        lo = start + timedelta(minutes=10 * i)
        out.append(Period(s, s.value, reason, lo, lo + timedelta(minutes=10), i == n - 1))
    return tuple(out)


def history(
    n: int = 5,
    name: str = "Priya Natarajan",
    *,
    reason: str = "Break",
    bar: tuple[State | None, ...] | None = None,
    label: str = "last 4 hours",
) -> History:
    spans = periods(n, reason=reason)
    slots = bar if bar is not None else (None,) * 12 + (State.READY, State.BUSY) * 6
    return History(
        agent=Agent("1101", name),
        window_label=label,
        start=NOW - timedelta(hours=4),
        end=NOW,
        periods=spans,
        totals=totals(READY=30, BUSY=20, WRAP=10, AWAY=10),
        bar=slots,
        freshness=FRESH,
    )


def agent_line(
    name: str, state: State = State.READY, *, flag: str | None = None, reason: str = ""
) -> AgentLine:
    return AgentLine(
        agent=Agent(name[:8] or "x", name),
        state=state,
        label=state.value,
        reason=reason,
        since=NOW - timedelta(minutes=23),
        elapsed=timedelta(minutes=23),
        flag=flag,
        away_today=timedelta(minutes=30),
        occupancy=0.8,
    )


def team_summary(
    n: int = 3, name: str = "Billing", *, agent_name: str = "Agent", reason: str = "Break"
) -> TeamSummary:
    lines = [
        agent_line(f"{agent_name} {i}", State.AWAY, flag="Away over 15 min", reason=reason)
        if i % 10 == 0
        else agent_line(f"{agent_name} {i}", State.READY)
        for i in range(n)
    ]
    flagged = sorted(lines, key=lambda x: x.flag is None)
    counts = []
    for s in (State.READY, State.AWAY):
        c = sum(x.state is s for x in lines)
        if c:
            counts.append((s, c))
    return TeamSummary(
        team=Team("T1", name),
        counts=tuple(counts),
        agents=tuple(flagged),
        occupancy=0.83,
        away_today=timedelta(hours=3, minutes=20),
        freshness=FRESH,
    )


def teams_list(names: tuple[str, ...] = ("Billing", "Tech")) -> TeamsList:
    lines = tuple(TeamLine(Team(f"T{i}", n), 12, 8, i % 2) for i, n in enumerate(names))
    return TeamsList(lines, FRESH)


def who_list(n: int = 2, team: str | None = "Billing", name: str = "Agent") -> WhoList:
    agents = tuple(agent_line(f"{name} {i}", State.AWAY, reason="Break") for i in range(n))
    return WhoList(
        (State.AWAY, State.EXTENDED_AWAY),
        "away",
        Team("T1", team) if team is not None else None,
        agents,
        FRESH,
    )


def error(
    message: str = "I couldn't find an agent called “Pria”.",
    *,
    suggestions: tuple[Choice, ...] = (),
    choices: tuple[Choice, ...] = (),
    template: str = "{id}",
    hint: str | None = "Try `teams` to see who is on each team.",
) -> ErrorAnswer:
    return ErrorAnswer(message, hint, suggestions, choices, template)


def reply(answer: object, command: str = "Priya", *, simulated: bool = False) -> Reply:
    return Reply(answer, command, simulated)  # type: ignore[arg-type]


# -- strategies -----------------------------------------------------------------------------

nasty_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=5), max_size=30).map("".join),
).map(lambda s: s[:200])
states = st.sampled_from(list(State))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))


@st.composite
def agent_lines(draw: st.DrawFn) -> AgentLine:
    return AgentLine(
        agent=Agent(draw(st.text(min_size=1, max_size=10)), draw(nasty_text)),
        state=draw(states),
        label=draw(nasty_text),
        reason=draw(nasty_text),
        since=NOW - timedelta(minutes=5),
        elapsed=draw(durations),
        flag=draw(st.none() | nasty_text),
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
        flag=draw(st.none() | nasty_text),
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
    return ErrorAnswer(
        draw(nasty_text),
        draw(st.none() | nasty_text),
        tuple(draw(st.lists(choices, max_size=5))),
        tuple(draw(st.lists(choices, max_size=30))),
        draw(st.sampled_from(["{id}", "{id} history today", "team {id}"])),
    )


answers = st.one_of(
    agent_nows(), histories(), team_summaries(), teams_lists(), who_lists(), errors()
)


# -- checks shared by the unit and property tests ------------------------------------------


def assert_valid(blocks: list[dict[str, Any]]) -> None:
    """Blocks pass our own guard and slack_sdk's models, and slack_sdk keeps every key."""
    check_limits(blocks)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block  # to_dict validates nested objects too


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a reader sees: section text and fields, context elements, button labels."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", ()))
        for element in block.get("elements", ()):
            out.append(element["text"] if element["type"] != "button" else element["text"]["text"])
    return out


def all_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))


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
