"""Formatters: a Reply as Slack Block Kit (`BlockRenderer`) or as console text (`TextRenderer`).

Each renderer is built once for a floor (its time zone, whether it is simulated). `words` is
the plain vocabulary, `mrkdwn` the only road into Slack markup, `kit` the block primitives
and `check_limits`, which guards every message against Block Kit's limits, `pieces` the
timed parts of floor answers (bar, timeline, totals, the note while today's totals load).
"""

from bot.format.blocks import ACTION_REFRESH, ACTION_RUN_PREFIX, ACTION_SHARE, BlockRenderer
from bot.format.console import TextRenderer
from bot.format.kit import check_limits
from bot.format.mrkdwn import escape
from bot.format.words import state_name

__all__ = [
    "ACTION_REFRESH",
    "ACTION_RUN_PREFIX",
    "ACTION_SHARE",
    "BlockRenderer",
    "TextRenderer",
    "check_limits",
    "escape",
    "state_name",
]
