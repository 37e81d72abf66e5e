"""The wiring: which listener answers what, and the Bolt `AsyncApp` around them.

Every listener acks at once and answers lazily. `process_before_response=True` returns the
HTTP ack as soon as `ack()` has run instead of polling for it every 10 ms (../shared/SLACK.md).
The answers wait in one bounded queue, worked by a fixed set of workers (`AnswerQueue`). Over
HTTP, `/agentstate` itself takes a lean path beside Bolt (bot/slack/slash.py), attached here
to the same gate, replier and queue.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.format import ACTION_REFRESH, ACTION_RUN_PREFIX, ACTION_SHARE
from bot.settings import Settings
from bot.slack.destinations import ResponseUrls, Sleep
from bot.slack.guard import AdmitWorkspaces, IgnoreEmptyClicks
from bot.slack.lazy import DRAIN_SECONDS, AnswerQueue
from bot.slack.listeners import (
    ProvideReplier,
    Replier,
    acknowledge,
    answer_again,
    answer_command,
    expired,
    share,
    tell,
)
from bot.slack.poster import Client
from bot.slack.slash import SlashCommand, attach
from bot.slack.workspaces import Workspaces

__all__ = ["COMMAND", "REFRESH", "RUN", "SHARE", "build_bolt_app"]

COMMAND = "/agentstate"
REFRESH = ACTION_REFRESH  # the buttons' action_ids are the formatter's; one source
SHARE = ACTION_SHARE
RUN = re.compile(rf"^{re.escape(ACTION_RUN_PREFIX)}\d+$")

Authorize = Callable[[str | None, str | None, str | None], Awaitable[AuthorizeResult]]


def _static_token(bot_token: str | None) -> Authorize:
    """An `authorize` that hands over the one bot token, asking Slack nothing."""

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=bot_token
        )

    return authorize


def _answer_queue(bolt: AsyncApp, settings: Settings, grace: float) -> AnswerQueue:
    """The answer queue, installed as `bolt`'s lazy listener runner."""
    queue = AnswerQueue(
        bolt.logger,
        tell,
        expired=expired,
        workers=settings.answer_workers,
        size=settings.answer_queue,
        grace=grace,
    )
    bolt.listener_runner.lazy_listener_runner = queue
    return queue


def build_bolt_app(
    app: App,
    http: Client,
    *,
    signing_secret: str,
    workspaces: Workspaces,
    sleep: Sleep = asyncio.sleep,
    grace: float = DRAIN_SECONDS,
) -> AsyncApp:
    """The Bolt app: listeners for `/agentstate` and the reply buttons.

    No request waits on the Web API: Bolt's usual single-workspace authorization calls
    auth.test on the first request (inside Slack's 3 s, and failing every command while the
    Web API is unreachable), so `authorize` here just hands the token over; `serve` checks it
    beside the server instead (bot/slack/workspaces.py), and `workspaces` turns away the
    workspaces that are not ours.

    Args:
        app: the built bot; its `slack` (the one Web API client) becomes Bolt's `client`, whose
            base URL, session and retry handlers Bolt copies into each request's client.
        http: the one long-lived client every response_url POST goes through (see
            `lazy.answer_client`: its pool is sized to the answer workers).
        signing_secret: verifies every HTTP request; must not be empty (in Socket Mode, where
            nothing is signed, pass any unguessable value).
        workspaces: the workspaces answered; others get a polite refusal.
        sleep: how a failed response_url post waits before its retry.
        grace: seconds a stopping server gives the answers already acked.
    """
    if not signing_secret:
        raise ValueError("a signing secret is required: without one anyone could sign requests")
    # Without a bot token there is no Web API client; Bolt still wants one, and given none it
    # would build its own from a SLACK_BOT_TOKEN in the environment. Replies need no token.
    client = app.slack or AsyncWebClient(base_url=app.settings.slack_api_url.rstrip("/") + "/")
    bolt = AsyncApp(
        name="agentstate",
        client=client,
        signing_secret=signing_secret,
        authorize=_static_token(client.token),
        request_verification_enabled=True,
        process_before_response=True,
    )
    settings = app.settings
    queue = _answer_queue(bolt, settings, grace)
    replier = Replier(app, ResponseUrls(http, api_url=settings.slack_api_url, sleep=sleep))
    admit = AdmitWorkspaces(workspaces)
    bolt.use(admit)
    bolt.use(IgnoreEmptyClicks())
    bolt.use(ProvideReplier(replier))
    bolt.command(COMMAND)(ack=acknowledge, lazy=[answer_command])
    bolt.action(REFRESH)(ack=acknowledge, lazy=[answer_again])
    bolt.action(RUN)(ack=acknowledge, lazy=[answer_again])
    bolt.action(SHARE)(ack=acknowledge, lazy=[share])
    attach(bolt, SlashCommand(bolt, COMMAND, admit=admit, replier=replier, queue=queue))
    return bolt
