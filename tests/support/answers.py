"""Answer values built directly, for the formatter tests: sensible defaults, one knob each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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
    Offer,
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
