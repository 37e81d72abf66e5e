"""Bolt middleware that turns requests away before any listener runs (HTTP and Socket Mode).

AdmitWorkspaces    a workspace that is not ours gets a polite private refusal and
                   nothing about the floor (see bot/slack/workspaces.py)
IgnoreEmptyClicks  a click whose `actions` holds no action object is acked and ignored
                   (Bolt's action matching would fail on it with a 500)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.connections import Throttled
from bot.slack.workspaces import Admission, Workspaces

__all__ = ["NOT_OURS", "NOT_YET", "AdmitWorkspaces", "IgnoreEmptyClicks", "ephemeral"]

log = logging.getLogger(__name__)

NOT_OURS = (
    "Sorry, this bot only answers in its own workspace. "
    "Ask whoever runs it to add yours to AGENTSTATE_ALLOWED_TEAMS."
)
NOT_YET = (
    "Sorry, I can't confirm this workspace yet (Slack hasn't answered my sign-in check). "
    "Please try again in a minute."
)
SETTLE_SECONDS = 1.0  # a request waits this long for an auth.test on its way (Slack allows 3 s)

Next = Callable[[], Awaitable[BoltResponse]]


def ephemeral(text: str) -> str:
    """The body of an ack that shows `text` to the user alone (for a slash command; Slack
    ignores an ack's body for a click)."""
    return json.dumps({"response_type": "ephemeral", "text": text})


def _ephemeral(text: str) -> BoltResponse:
    return BoltResponse(
        status=200, body=ephemeral(text), headers={"content-type": "application/json"}
    )


class _Gate(AsyncMiddleware):
    """A middleware that either answers a request itself (`stop`) or lets it through."""

    async def stop(self, req: AsyncBoltRequest) -> BoltResponse | None:
        """The response that ends the request here, or None to let it through."""
        raise NotImplementedError

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Next,  # Bolt passes it by this name
    ) -> BoltResponse | None:
        stopped = await self.stop(req)
        return stopped if stopped is not None else await next()


class AdmitWorkspaces(_Gate):
    """Answers only the workspaces `workspaces` admits; the others get a refusal."""

    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces
        self._refused = Throttled(log, "refused %d request(s) from other workspaces (latest: %s)")

    async def stop(self, req: AsyncBoltRequest) -> BoltResponse | None:
        refusal = await self.refusal(req.context.team_id, req.context.enterprise_id)
        return None if refusal is None else _ephemeral(refusal)

    async def refusal(self, team_id: str | None, enterprise_id: str | None) -> str | None:
        """What to tell a request from `team_id` (in `enterprise_id`), privately, instead of
        answering it; None to answer it (the slash-command path asks this too)."""
        verdict = self._workspaces.admits(team_id, enterprise_id)
        if verdict is Admission.UNCONFIRMED:
            await self._workspaces.settled(SETTLE_SECONDS)
            verdict = self._workspaces.admits(team_id, enterprise_id)
        if verdict is Admission.ADMITTED:
            return None
        self._refused(f"{team_id}/{enterprise_id}"[:40])
        return NOT_OURS if verdict is Admission.FOREIGN else NOT_YET


class IgnoreEmptyClicks(_Gate):
    """Acks (200, empty) and drops a block_actions payload without an action object."""

    async def stop(self, req: AsyncBoltRequest) -> BoltResponse | None:
        body = req.body
        if body.get("type") != "block_actions":
            return None
        actions = body.get("actions")
        if isinstance(actions, list) and actions and isinstance(actions[0], dict):
            return None
        log.info("ignored a click without an action")
        return BoltResponse(status=200, body="")
