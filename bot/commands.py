"""What follows `/agentstate`, parsed into a typed command. Help is built from the same table.

help | (nothing)                          -> Help
teams                                     -> Teams
team <team>                               -> TeamCmd
who <state> [<team>]                      -> Who
<agent> history [2h | 90m | today | yesterday | YYYY-MM-DD]  -> HistoryCmd
<agent>                                   -> AgentCmd
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import UserError
from bot.query.results import HelpEntry
from bot.query.window import DaysAgo, LastSpan, OnDate, Window
from bot.vcc.models import State

__all__ = [
    "COMMANDS",
    "MAX_TEXT",
    "AgentCmd",
    "Command",
    "Help",
    "HistoryCmd",
    "TeamCmd",
    "Teams",
    "Who",
    "parse",
    "state_words",
    "tidy",
]

MAX_TEXT = 200  # longer input is not a command anyone typed on purpose


@dataclass(frozen=True)
class Help:
    def text(self) -> str:
        return "help"


@dataclass(frozen=True)
class Teams:
    def text(self) -> str:
        return "teams"


@dataclass(frozen=True)
class TeamCmd:
    team: str

    def text(self) -> str:
        return f"team {self.team}"


@dataclass(frozen=True)
class Who:
    states: tuple[State, ...]
    word: str  # the state word as its key in the grammar: "away", "extendedaway"
    team: str | None = None

    def text(self) -> str:
        return f"who {self.word} {self.team}" if self.team else f"who {self.word}"


@dataclass(frozen=True)
class AgentCmd:
    agent: str

    def text(self) -> str:
        return self.agent


@dataclass(frozen=True)
class HistoryCmd:
    agent: str
    window: Window | None = None  # None: the default (query.window.DEFAULT_WINDOW)

    def text(self) -> str:
        suffix = f" {self.window.text()}" if self.window is not None else ""
        return f"{self.agent} history{suffix}"


Command = Help | Teams | TeamCmd | Who | AgentCmd | HistoryCmd

COMMANDS: tuple[HelpEntry, ...] = (
    HelpEntry("<agent>", "Current state, how long, why, and today's totals", ("Priya", "1104")),
    HelpEntry(
        "<agent> history [2h | today | yesterday | YYYY-MM-DD]",
        "Timeline of states (default: last 4 hours)",
        ("Priya history", "Priya history today", "1104 history 2026-03-10"),
    ),
    HelpEntry("team <team>", "Who is in which state, flags, occupancy", ("team billing",)),
    HelpEntry("teams", "Every team with how many are logged in and ready", ("teams",)),
    HelpEntry(
        "who <state> [<team>]",
        "Agents in a state, longest first (away = Away + Extended Away)",
        ("who away", "who wrap tech"),
    ),
    HelpEntry("help", "This list", ("help",)),
)

# What a supervisor may type after `who`, and the states it means.
_STATE_WORDS: dict[str, tuple[State, ...]] = {
    "ready": (State.READY, State.READY_RFO),
    "busy": (State.BUSY,),
    "wrap": (State.WRAP,),
    "away": (State.AWAY, State.EXTENDED_AWAY),
    "break": (State.AWAY,),
    "extendedaway": (State.EXTENDED_AWAY,),
    "extended": (State.EXTENDED_AWAY,),
    "loggedout": (State.LOGGED_OUT,),
    "offline": (State.LOGGED_OUT,),
    "unexpected": (State.UNEXPECTED,),
    "failed": (State.FAILED,),
    "fault": (State.FAILED,),
    "readyrfo": (State.READY_RFO,),
    "readyoutbound": (State.READY_RFO,),
    "outbound": (State.READY_RFO,),
}


def state_words() -> tuple[str, ...]:
    return tuple(_STATE_WORDS)


_SPAN = re.compile(r"^(\d{1,4})\s*(m|min|mins|h|hr|hrs|hours?|d|days?)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def tidy(text: str) -> str:
    """The text as one line of single spaces: what `parse` reads and a reply says was asked."""
    return " ".join(text.split())


def parse(text: str) -> Command:
    """Parse the text after `/agentstate`.

    Raises:
        UserError: the text is not a command; the message says what was wrong and how to ask.
    """
    cleaned = tidy(text)
    if len(cleaned) > MAX_TEXT:
        raise UserError("That's longer than any command I know.", "Type `help` to see them.")
    words = cleaned.split(" ") if cleaned else []
    head = words[0].casefold() if words else ""
    if not words or (len(words) == 1 and head in {"help", "?", "-h", "--help"}):
        return Help()
    if head == "teams" and len(words) == 1:
        return Teams()
    if head == "team":
        if len(words) == 1:
            raise UserError("Which team?", "For example `team billing`. `teams` lists them all.")
        return TeamCmd(" ".join(words[1:]))
    if head == "who":
        return _parse_who(words[1:])
    lowered = [w.casefold() for w in words]
    if "history" in lowered:
        at = len(lowered) - 1 - lowered[::-1].index("history")
        agent = " ".join(words[:at])
        if not agent:
            raise UserError("Whose history?", "For example `Priya history today`.")
        return HistoryCmd(agent, _parse_window(" ".join(words[at + 1 :])))
    return AgentCmd(cleaned)


def _parse_who(rest: list[str]) -> Who:
    if not rest:
        raise UserError(
            "Who is in which state?", f"For example `who away`. States: {', '.join(_STATE_WORDS)}."
        )
    # A state may be written as the bot prints it: "extended away", "Logged out",
    # "ready (outbound)". The longest run of words that names a state wins.
    for size in (3, 2, 1):
        word = _state_key(rest[:size])
        if len(rest) >= size and word in _STATE_WORDS:
            return Who(_STATE_WORDS[word], word, " ".join(rest[size:]) or None)
    raise UserError(
        f"I don't know the state “{rest[0]}”.", f"Try one of: {', '.join(_STATE_WORDS)}."
    )


def _state_key(words: list[str]) -> str:
    return "".join(c for c in "".join(words).casefold() if c.isalnum())


def _parse_window(text: str) -> Window | None:
    word = text.casefold().strip()
    if not word:
        return None
    if word == "today":
        return DaysAgo(0)
    if word == "yesterday":
        return DaysAgo(1)
    if _DATE.match(word):
        try:
            return OnDate(date.fromisoformat(word))
        except ValueError:
            raise UserError(
                f"“{text}” isn't a date.", "Use YYYY-MM-DD, e.g. `2026-03-10`."
            ) from None
    match = _SPAN.match(word)
    if match:
        amount, unit = int(match.group(1)), match.group(2)[0]
        span = timedelta(**{_UNITS[unit]: amount})
        if span <= timedelta():
            raise UserError("The window must be longer than zero.", "For example `2h`.")
        return LastSpan(span)
    raise UserError(
        f"I don't understand the window “{text}”.",
        "Use `2h`, `90m`, `today`, `yesterday` or a date like `2026-03-10`.",
    )
