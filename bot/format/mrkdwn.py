"""The only road into Slack mrkdwn: escaping, Slack dates and the markup of shared words.

Text from VCC or a user reaches a message only through `escape()` (or `inline()`, which
also keeps it on one line), so no agent name can ping `<!channel>` or `<@U123>`. The plain
words themselves (`duration`, `state_name`, ...) live in `words`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.format.words import (
    STATE_EMOJI,
    clip,
    duration,
    reason_for,
    same_day,
    stale_since,
    state_name,
)
from bot.query.results import Freshness
from bot.vcc.models import State

__all__ = [
    "as_of",
    "escape",
    "inline",
    "mention",
    "plain_label",
    "slack_date",
    "slack_time",
    "state_text",
    "state_words",
]

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
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_REASON = 40  # characters of a reason beside its state (before escaping)
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Look-alikes for plain_text, where Slack's decoding of entities is not documented.
_PLAIN = str.maketrans({"&": "＆", "<": "‹", ">": "›"})


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack asks (and nothing else): the text shows as typed."""
    return text.translate(_ESCAPES)


def inline(text: str, limit: int = 80) -> str:
    """Outside text as one escaped line of at most `limit` characters before escaping.

    Cutting before escaping never splits an entity such as `&amp;`.
    """
    return escape(clip(text, limit))


def mention(user_id: str) -> str | None:
    """ "<@U123ABC>" for a Slack user id; None for anything else, which could ping or fake
    markup."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else None


def plain_label(text: str, limit: int) -> str:
    """Outside text for a plain_text object (a button): one line, `limit` characters at most.

    `&`, `<` and `>` become look-alikes: plain_text never pings, and a look-alike reads the
    same whether or not a Slack client decodes entities there.
    """
    return clip(text, limit).translate(_PLAIN)


def state_text(state: State, label: str = "") -> str:
    """Emoji and name of a state, ready for mrkdwn: "☕ Away"."""
    return f"{STATE_EMOJI[state]} {escape(state_name(state, label))}"


def state_words(state: State, label: str, reason: str, elapsed: timedelta) -> str:
    """ "Extended away · Lunch · 47 min": the state, why (when that says more), and for how
    long, ready for mrkdwn."""
    parts = [escape(state_name(state, label))]
    reason = reason_for(state, label, reason)
    if reason.strip():
        parts.append(inline(reason, _REASON))
    parts.append(duration(elapsed))
    return " · ".join(parts)


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


def slack_time(at: datetime, ref: datetime, zone: ZoneInfo) -> str:
    """A Slack time; with the day too when `at` is not on `ref`'s day in the floor's zone."""
    token = "{time}" if same_day(at, ref, zone) else "{date_short_pretty} {time}"
    return slack_date(at, token, zone)


def as_of(freshness: Freshness, zone: ZoneInfo) -> str:
    """ "as of 14:02:11" (a Slack time); stale data says since when instead:
    "⚠️ Stale since 14:02 — no answer from VCC since then · as of 14:02:11".

    `as_of` is the last good poll, so the data is stale since then.
    """
    secs = slack_date(freshness.as_of, "{time_secs}", zone)
    if not freshness.stale:
        return f"as of {secs}"
    return f"⚠️ {stale_since(slack_date(freshness.as_of, '{time}', zone), secs)}"
