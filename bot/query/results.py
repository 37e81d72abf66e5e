"""What the query module answers: frozen values the formatters turn into Block Kit or text.

Every answer about the floor carries `as_of` (when VCC produced the data) and `stale`
(whether that is older than the bot trusts), so each reply can say "as of 14:02:11".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.directory import Agent, Team
from bot.errors import Choice
from bot.query.flags import Flag
from bot.vcc.models import State

__all__ = [
    "FLOOR_ANSWERS",
    "AgentLine",
    "AgentNow",
    "Answer",
    "ErrorAnswer",
    "Freshness",
    "HelpAnswer",
    "HelpEntry",
    "History",
    "LiveInteraction",
    "Offer",
    "Period",
    "Reply",
    "TeamLine",
    "TeamSummary",
    "TeamsList",
    "Totals",
    "WhoList",
]


@dataclass(frozen=True)
class Freshness:
    """When the data was produced, and whether it is too old to trust without a warning."""

    as_of: datetime
    stale: bool = False
    # The bot has just started and is still reading today's rows: totals so far are partial.
    loading: bool = False


@dataclass(frozen=True)
class Period:
    """One stretch in one state, clipped to the window asked for."""

    state: State
    label: str  # the wire state text, e.g. "Fault" or a state VCC added later
    reason: str  # presence label (Lunch, Break) or work type (Live, Semi-Live, Non-Live)
    start: datetime
    end: datetime
    ongoing: bool

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Totals:
    """Time per state in a window, and occupancy over it.

    Occupancy = (Busy + Wrap) / (logged-in time - Away - ExtendedAway); None when the
    denominator is zero (nobody was available to be occupied).
    """

    by_state: dict[State, timedelta] = field(default_factory=dict)

    def of(self, *states: State) -> timedelta:
        return sum((self.by_state.get(s, timedelta()) for s in states), timedelta())

    @property
    def ready(self) -> timedelta:
        return self.of(State.READY, State.READY_RFO)

    @property
    def busy(self) -> timedelta:
        return self.of(State.BUSY)

    @property
    def wrap(self) -> timedelta:
        return self.of(State.WRAP)

    @property
    def away(self) -> timedelta:
        """Away and ExtendedAway together: what "away time" means to a supervisor."""
        return self.of(State.AWAY, State.EXTENDED_AWAY)

    @property
    def logged_in(self) -> timedelta:
        return sum((d for s, d in self.by_state.items() if s is not State.LOGGED_OUT), timedelta())

    @property
    def occupancy(self) -> float | None:
        available = self.logged_in - self.away
        if available <= timedelta():
            return None
        return min(1.0, (self.busy + self.wrap) / available)


@dataclass(frozen=True)
class LiveInteraction:
    """An interaction the agent holds right now (from /stats/agent-status)."""

    medium: str
    direction: str
    state: str
    since: datetime


@dataclass(frozen=True)
class AgentNow:
    """An agent's current state, how long, why, and today's totals."""

    agent: Agent
    teams: tuple[str, ...]
    state: State
    label: str
    reason: str
    since: datetime
    elapsed: timedelta
    flag: Flag | None
    interactions: tuple[LiveInteraction, ...]
    today: Totals
    freshness: Freshness


@dataclass(frozen=True)
class History:
    """An agent's timeline over a window, with totals and the window's own label."""

    agent: Agent
    window_label: str  # "last 4 hours", "today", "Tue 10 Mar"
    start: datetime
    end: datetime
    periods: tuple[Period, ...]
    totals: Totals
    bar: tuple[State | None, ...]  # the window in equal slots, each its dominant state
    freshness: Freshness


@dataclass(frozen=True)
class AgentLine:
    """One agent in a team or "who" list."""

    agent: Agent
    state: State
    label: str
    reason: str
    since: datetime
    elapsed: timedelta
    flag: Flag | None  # why a supervisor should look: away too long, Unexpected
    away_today: timedelta
    occupancy: float | None


@dataclass(frozen=True)
class TeamSummary:
    """A team now: counts per state, each agent (flagged first, then longest in state)."""

    team: Team
    counts: tuple[tuple[State, int], ...]
    agents: tuple[AgentLine, ...]
    occupancy: float | None
    away_today: timedelta
    freshness: Freshness


@dataclass(frozen=True)
class TeamLine:
    """A team in the teams list, with how many of its agents are logged in and ready."""

    team: Team
    logged_in: int
    ready: int
    flagged: int


@dataclass(frozen=True)
class TeamsList:
    teams: tuple[TeamLine, ...]
    freshness: Freshness


@dataclass(frozen=True)
class WhoList:
    """Agents in the asked states, optionally within one team, longest first."""

    states: tuple[State, ...]
    state_word: str  # what the user typed, normalised: "away"
    team: Team | None
    agents: tuple[AgentLine, ...]
    freshness: Freshness


@dataclass(frozen=True)
class HelpEntry:
    """One command in the help: how to type it, what it does, and examples to copy."""

    usage: str
    summary: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class HelpAnswer:
    """What the bot can be asked: one entry per command, after an introduction."""

    entries: tuple[HelpEntry, ...]
    intro: str = ""


@dataclass(frozen=True)
class Offer:
    """A choice offered as a button: who or what it names, and the finished command it runs
    (the button's value in Slack, what to type in the console)."""

    choice: Choice
    command: str


@dataclass(frozen=True)
class ErrorAnswer:
    """A friendly answer to bad input or a VCC problem. Never a traceback.

    `suggestions` become "Did you mean" buttons; `choices` the buttons of an ambiguous name.
    Each runs its own finished command when clicked.
    """

    message: str
    hint: str | None = None
    suggestions: tuple[Offer, ...] = ()
    choices: tuple[Offer, ...] = ()


Answer = AgentNow | History | TeamSummary | TeamsList | WhoList | HelpAnswer | ErrorAnswer
FLOOR_ANSWERS = (AgentNow, History, TeamSummary, TeamsList, WhoList)  # carry a Freshness


@dataclass(frozen=True)
class Reply:
    """An answer and the command text that produced it (what Refresh and Share run again)."""

    answer: Answer
    command: str
