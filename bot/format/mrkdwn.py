"""The only road into Slack mrkdwn: escaping, and the small words every answer shares.

Text from VCC or a user reaches a message only through `escape()` (or `inline()`, which
also keeps it on one line), so no agent name can ping `<!channel>` or `<@U123>`. The plain
helpers (`duration`, `state_name`, `percent`) hold no mrkdwn and serve the console as well.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.query.results import Freshness
from bot.vcc.models import State

__all__ = [
    "STATE_EMOJI",
    "as_of",
    "clip",
    "duration",
    "escape",
    "inline",
    "percent",
    "plain_label",
    "reason_for",
    "slack_date",
    "state_emoji",
    "state_name",
    "state_text",
]

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

# Slack's date tokens and the strftime that says the same in the fallback text.
_DATE_TOKENS: Mapping[str, str] = MappingProxyType(
    {
        "{date_num}": "%Y-%m-%d",
        "{date}": "%d %B %Y",
        "{date_short}": "%d %b %Y",
        "{date_long}": "%A %d %B %Y",
        "{date_pretty}": "%d %B %Y",
        "{date_short_pretty}": "%a %d %b",
        "{date_long_pretty}": "%A %d %B %Y",
        "{time}": "%H:%M",
        "{time_secs}": "%H:%M:%S",
    }
)
_TOKEN = re.compile(r"\{[a-z_]+\}")
_TIME_TOKENS = ("{time}", "{time_secs}")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Look-alikes for plain_text, where Slack's decoding of entities is not documented.
_PLAIN = str.maketrans({"&": "＆", "<": "‹", ">": "›"})


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack asks (and nothing else): the text shows as typed."""
    return text.translate(_ESCAPES)


def clip(text: str, limit: int) -> str:
    """`text` on one line (control characters and runs of whitespace become one space),
    cut to at most `limit` characters with "…" where it was cut."""
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    line = " ".join(spaced.split())
    return line if len(line) <= limit else line[: max(0, limit - 1)] + "…"


def inline(text: str, limit: int = 80) -> str:
    """Outside text as one escaped line of at most `limit` characters before escaping.

    Cutting before escaping never splits an entity such as `&amp;`.
    """
    return escape(clip(text, limit))


def plain_label(text: str, limit: int) -> str:
    """Outside text for a plain_text object (a button): one line, `limit` characters at most.

    `&`, `<` and `>` become look-alikes: plain_text never pings, and a look-alike reads the
    same whether or not a Slack client decodes entities there.
    """
    return clip(text, limit).translate(_PLAIN)


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


def state_emoji(state: State) -> str:
    return STATE_EMOJI[state]


def state_name(state: State, label: str = "") -> str:
    """The state as a supervisor says it; a state VCC added later shows its wire `label`.

    Plain text: pass it through `escape()` on the way into mrkdwn (or use `state_text`).
    """
    if state is State.UNKNOWN and label.strip():
        return clip(label, 40)
    return _STATE_NAMES[state]


def reason_for(state: State, label: str, reason: str) -> str:
    """The reason worth showing beside the state: none when it only repeats the state's name
    ("Ready · Ready", "Logged out · Logged Out")."""
    said = {" ".join(state_name(state, label).casefold().split()), label.casefold()}
    return "" if " ".join(reason.casefold().split()) in said else reason


def state_text(state: State, label: str = "") -> str:
    """Emoji and name of a state, ready for mrkdwn: "☕ Away"."""
    return f"{STATE_EMOJI[state]} {escape(state_name(state, label))}"


def slack_date(at: datetime, token: str, fallback_zone: ZoneInfo) -> str:
    """A Slack date: `<!date^UNIX^{token}|fallback>`, shown in each viewer's own zone.

    The fallback is the same time in `fallback_zone` (the floor's), for clients that cannot
    render the token.

    Raises:
        ValueError: `at` is naive, or `token` holds a token Slack does not know or `|<>^`.
    """
    if at.tzinfo is None:
        raise ValueError("slack_date needs a timezone-aware time")
    unknown = [t for t in _TOKEN.findall(token) if t not in _DATE_TOKENS]
    if unknown or any(c in token for c in "|<>^"):
        raise ValueError(f"not a Slack date format: {token!r}")
    local = at.astimezone(fallback_zone)
    fallback = _TOKEN.sub(lambda m: local.strftime(_DATE_TOKENS[m.group()]), token)
    if any(t in token for t in _TIME_TOKENS):
        fallback += f" {local.tzname() or fallback_zone.key}"
    return f"<!date^{int(at.timestamp())}^{token}|{escape(fallback)}>"


def as_of(freshness: Freshness, zone: ZoneInfo) -> str:
    """ "as of 14:02:11" (a Slack time), with a warning first when the data is stale."""
    text = f"as of {slack_date(freshness.as_of, '{time_secs}', zone)}"
    return f"⚠️ data may be stale — {text}" if freshness.stale else text
