"""Log filters for the Slack side, installed once by the composition root.

Slack's response_urls let anyone who holds one post into the channel for 30 minutes, so no
log line may hold one: not httpx's request lines, not Bolt's refused-request lines. And Bolt's
"token unused" warnings describe this app's design, not a fault, so they are dropped.
"""

from __future__ import annotations

import logging
import re

import httpx
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)

__all__ = ["install_log_filters"]


class _HideResponseUrls(logging.Filter):
    """Cuts response_url paths out of httpx's "HTTP Request: POST <url>" log lines.

    Slack's response_urls (https://hooks.slack.com/commands/..., /actions/...) let anyone who
    holds one post into the channel for 30 minutes; logs must not hold them.
    """

    _PATH = re.compile(r"/(commands|actions)/")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._hide(arg) for arg in record.args)
        return True

    def _hide(self, arg: object) -> object:
        if isinstance(arg, httpx.URL) and (match := self._PATH.match(arg.path)):
            return f"{arg.scheme}://{arg.host}/{match.group(1)}/…"
        return arg


class _DropMessages(logging.Filter):
    """Drops log records whose message is one of `messages`, exactly."""

    def __init__(self, *messages: str) -> None:
        super().__init__()
        self._messages = frozenset(messages)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._messages


class _HideRefusedBodies(logging.Filter):
    """Cuts the body out of Bolt's "Invalid request signature detected" line.

    A refused request may be a real one replayed late, and its body holds a response_url.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ", body:" in message:
            record.msg, record.args = message.split(", body:", 1)[0] + ")", None
        return True


# One instance of each, so installing twice adds nothing (addFilter keeps one copy of each).
_FILTERS: tuple[tuple[str, logging.Filter], ...] = (
    ("httpx", _HideResponseUrls()),
    # Bolt warns, at every start, that the token goes unused beside `client` and `authorize`
    # (the client carries the bot token, and Bolt reads SLACK_BOT_TOKEN from the environment
    # itself): true, and by design here (the token comes in through `authorize`), so the
    # warning would only mislead an operator.
    (
        "slack_bolt.AsyncApp",
        _DropMessages(warning_client_prioritized_and_token_skipped(), warning_token_skipped()),
    ),
    ("slack_bolt.RequestVerification", _HideRefusedBodies()),
)


def install_log_filters() -> None:
    """Attach the filters to the loggers they guard. Idempotent: call it once at start, or
    again (tests) without adding anything."""
    for name, log_filter in _FILTERS:
        logging.getLogger(name).addFilter(log_filter)
