"""The bot's plain vocabulary: durations, percentages, state names and emoji, one-line text.

No markup here: these words serve the console as they are and reach Slack only through
`mrkdwn.escape()` (or `mrkdwn.state_text`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.query.flags import Flag, FlagKind
from bot.vcc.models import State

__all__ = [
    "BAR_SQUARES",
    "LOADING_HISTORY",
    "LOADING_TODAY",
    "STATE_EMOJI",
    "clip",
    "count",
    "duration",
    "flag_text",
    "labelled",
    "percent",
    "reason_for",
    "same_day",
    "stale_since",
    "state_emoji",
    "state_name",
]

# While the bot is still reading today's rows (just after start-up), totals so far are
# partial: these stand in for them rather than show zeros.
LOADING_TODAY = "Today's totals are still loading — ask again in a minute"
LOADING_HISTORY = (
    "Totals are still loading and this timeline may be incomplete — ask again in a minute"
)

STATE_EMOJI: Mapping[State, str] = MappingProxyType(
    {
        State.READY: "🟢",
        State.READY_RFO: "📤",
        State.BUSY: "📞",
        State.WRAP: "📝",
        State.AWAY: "☕",
        State.EXTENDED_AWAY: "🍽️",
        State.LOGGED_OUT: "⚫",
        State.UNEXPECTED: "⚠️",
        State.FAILED: "❌",
        State.UNKNOWN: "❔",
    }
)

# One colour square per state for a history bar (None: no data); a legend says which is which.
BAR_SQUARES: Mapping[State | None, str] = MappingProxyType(
    {
        State.READY: "🟩",
        State.READY_RFO: "🟦",
        State.BUSY: "🟥",
        State.WRAP: "🟨",
        State.AWAY: "🟧",
        State.EXTENDED_AWAY: "🟫",
        State.LOGGED_OUT: "⬛",
        State.UNEXPECTED: "🟪",
        State.FAILED: "🟪",
        State.UNKNOWN: "⬜",
        None: "⬜",
    }
)

_STATE_NAMES: Mapping[State, str] = MappingProxyType(
    {
        State.READY: "Ready",
        State.READY_RFO: "Ready (outbound)",
        State.BUSY: "Busy",
        State.WRAP: "Wrap",
        State.AWAY: "Away",
        State.EXTENDED_AWAY: "Extended away",
        State.LOGGED_OUT: "Logged out",
        State.UNEXPECTED: "Unexpected",
        State.FAILED: "Failed",
        State.UNKNOWN: "Unknown",
    }
)


# Bidi controls (embeddings, overrides, isolates, marks): outside text carrying one could
# reorder what is shown after it ("evil\u202egnp.exe" reads "evilexe.png"). Removed, not spaced.
_BIDI = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C], None
)


def clip(text: str, limit: int) -> str:
    """`text` on one line (control characters and runs of whitespace become one space, bidi
    controls are removed), cut to at most `limit` characters with "…" where it was cut."""
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text.translate(_BIDI))
    line = " ".join(spaced.split())
    return line if len(line) <= limit else line[: max(0, limit - 1)] + "…"


def duration(td: timedelta) -> str:
    """A short, phone-friendly duration: "12 s", "47 min", "1 h 05 min", "2 d 3 h"."""
    seconds = max(0, int(td.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage ("83%"), or "—" when there is none."""
    return "—" if fraction is None else f"{round(fraction * 100)}%"


def count(n: int, noun: str) -> str:
    """ "1 agent", "12 agents": a number and its noun, plural when it is not one."""
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"


def labelled(label: str, ident: str, label_limit: int, id_limit: int) -> str:
    """ "Priya Shah (1102)": a label with its id after it, or the label alone when they match."""
    shown = clip(label, label_limit)
    return shown if ident == label else f"{shown} ({clip(ident, id_limit)})"


def same_day(at: datetime, ref: datetime, zone: ZoneInfo) -> bool:
    """Whether `at` falls on `ref`'s day in the floor's time zone `zone`."""
    return at.astimezone(zone).date() == ref.astimezone(zone).date()


def stale_since(since: str, as_of: str) -> str:
    """ "Stale since 14:02 GMT — no answer from VCC since then · as of 14:02:11 GMT": the
    warning on stale data, from the last good poll's time as HH:MM and as HH:MM:SS."""
    return f"Stale since {since} — no answer from VCC since then · as of {as_of}"


def state_emoji(state: State) -> str:
    return STATE_EMOJI[state]


def state_name(state: State, label: str = "") -> str:
    """The state as a supervisor says it; a state VCC added later shows its wire `label`.

    Plain text: pass it through `escape()` on the way into mrkdwn (or use `state_text`).
    """
    if state is State.UNKNOWN and label.strip():
        return clip(label, 40)
    return _STATE_NAMES[state]


def flag_text(flag: Flag) -> str:
    """Why a supervisor should look, as they say it: "Away over 15 min", "Unexpected"."""
    match flag.kind:
        case FlagKind.AWAY_TOO_LONG:
            return _over("Away", flag.limit)
        case FlagKind.WRAP_TOO_LONG:
            return _over("Wrap", flag.limit)
        case FlagKind.UNEXPECTED:
            return "Unexpected"
        case FlagKind.FAILED:
            return "Failed"
        case _:
            assert_never(flag.kind)


def _over(state: str, limit: timedelta | None) -> str:
    if limit is None:
        return f"{state} too long"
    return f"{state} over {int(limit.total_seconds() // 60)} min"


def reason_for(state: State, label: str, reason: str) -> str:
    """The reason worth showing beside the state: none when it only repeats the state's name
    ("Ready · Ready", "Logged out · Logged Out")."""
    said = {" ".join(state_name(state, label).casefold().split()), label.casefold()}
    return "" if " ".join(reason.casefold().split()) in said else reason
