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
from bot.format import check_limits
from bot.query.flags import Flag, FlagKind
from bot.query.results import (
    AgentLine,
    AgentNow,
    ErrorAnswer,
    Freshness,
    History,
    LiveInteraction,
    Offer,
    Period,
    Reply,
    TeamLine,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.vcc.models import AgentState, AgentStatus, State

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 14, 2, 11, tzinfo=UTC)
FRESH = Freshness(as_of=NOW)
# Worded "Away over 15 min".
AWAY_15 = Flag(FlagKind.AWAY_TOO_LONG, timedelta(minutes=15))

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
    flag: Flag | None = None,
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
    name: str, state: State = State.READY, *, flag: Flag | None = None, reason: str = ""
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
        agent_line(f"{agent_name} {i}", State.AWAY, flag=AWAY_15, reason=reason)
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
    """An error offering `suggestions` and `choices`, each running `template` with its id."""
    return ErrorAnswer(message, hint, offers(suggestions, template), offers(choices, template))


def offers(picks: tuple[Choice, ...], template: str = "{id}") -> tuple[Offer, ...]:
    """Each choice offered with `template`, filled with its id, as the command it runs."""
    return tuple(Offer(c, template.format(id=c.id)) for c in picks)


def reply(answer: object, command: str = "Priya") -> Reply:
    return Reply(answer, command)  # type: ignore[arg-type]


# -- strategies -----------------------------------------------------------------------------

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
