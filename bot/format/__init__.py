"""Formatters: a Reply as Slack Block Kit (`render_blocks`) or as console text (`render_text`).

Pure functions of the reply and the floor's time zone. `mrkdwn` is the only road into Slack
markup; `check_limits` guards every message against Block Kit's limits.
"""

from bot.format.blocks import (
    ACTION_REFRESH,
    ACTION_RUN_PREFIX,
    ACTION_SHARE,
    check_limits,
    render_blocks,
)
from bot.format.console import render_text
from bot.format.mrkdwn import as_of, duration, escape, percent, slack_date, state_name

__all__ = [
    "ACTION_REFRESH",
    "ACTION_RUN_PREFIX",
    "ACTION_SHARE",
    "as_of",
    "check_limits",
    "duration",
    "escape",
    "percent",
    "render_blocks",
    "render_text",
    "slack_date",
    "state_name",
]
