"""`/agentstate` on a lean path: acked inline, its answer queued, without Bolt's dispatch.

Bolt spends most of an ack on work a slash command here does not need: a context and a Web
API client per request, the middleware chain, the listener matching, a deep copy of the whole
request for the lazy listener, and (unless the ack is inline) polling for it every 10 ms. The
ingress (bot/slack/ingress.py) has already read the body and checked its signature, its
timestamp and that it is no replay or retry; for a command, this then does what the Bolt app
would, in one step:

    parse    the form body as Bolt parses it; anything but an `/agentstate` command (a click,
             an event, another command) goes on to Bolt, which answers as before
    admit    the workspace, through the same `AdmitWorkspaces` (same verdicts, same private
             refusal as the ack, same log line)
    queue    `answer_command` in the answer queue, with the request's `Replier` (its
             response_url opened now, as `ProvideReplier` would)
    ack      an empty 200, inline: Slack shows nothing until the answer comes

Taken only while the Bolt app's middleware list is the one `build_bolt_app` gave it: a
middleware added later (`bolt.use`) is meant to see commands too, so then they all go through
Bolt again, and nothing is skipped silently. Socket Mode does not come this way (Bolt's
handler dispatches each envelope itself).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id

from bot.slack.destinations import Message
from bot.slack.guard import AdmitWorkspaces, ephemeral
from bot.slack.lazy import Answer, AnswerQueue
from bot.slack.listeners import Replier, answer_command

__all__ = ["FORM", "SlashCommand", "attach", "slash_command"]

FORM = "application/x-www-form-urlencoded"

Answerer = Callable[[Mapping[str, Any], Replier], Awaitable[None]]

_ATTACHED: weakref.WeakKeyDictionary[AsyncApp, SlashCommand] = weakref.WeakKeyDictionary()


class SlashCommand:
    """The lean path for one slash command of a Bolt app (see the module docstring).

    Args:
        bolt: the app whose command this is; its middleware list, as it is now, is the one
            this path stands in for.
        command: the command, e.g. "/agentstate".
        admit: the Bolt app's own workspace gate.
        replier: the Bolt app's own `Replier` (as `ProvideReplier` holds it).
        queue: the Bolt app's answer queue (its lazy listener runner).
        answer: the lazy listener the command has in Bolt.
    """

    def __init__(
        self,
        bolt: AsyncApp,
        command: str,
        *,
        admit: AdmitWorkspaces,
        replier: Replier,
        queue: AnswerQueue,
        answer: Answerer = answer_command,
    ) -> None:
        # Bolt's own list (an attribute it has no public name for): its length now is what
        # `use` would change.
        self._middleware = bolt._async_middleware_list
        self._middleware_count = len(self._middleware)
        self._command = command
        self._admit = admit
        self._replier = replier
        self._queue = queue
        self._answer = answer

    async def ack(self, text: str, content_type: str) -> web.Response | None:
        """The ack of a signed request body `text`, its answer queued; None when the request
        is not this command (or the Bolt app has gained a middleware): then Bolt takes it."""
        if content_type != FORM or text.startswith("{"):
            return None  # Bolt reads a body starting "{" as JSON, whatever its type says
        if len(self._middleware) != self._middleware_count:
            return None
        body = dict(parse_qsl(text, keep_blank_values=True))  # as Bolt parses a form
        if "payload" in body or body.get("command") != self._command:
            return None
        refusal = await self._admit.refusal(extract_team_id(body), extract_enterprise_id(body))
        if refusal is not None:
            return web.Response(text=ephemeral(refusal), content_type="application/json")
        replier = self._replier.for_request(body)
        destination = replier.destination(body)

        async def tell(text: str) -> bool:
            return await destination.post(Message(text))

        run = functools.partial(self._answer, body, replier)
        self._queue.put(Answer(run=run, expired=destination.expired, tell=tell))
        return web.Response()


def attach(bolt: AsyncApp, path: SlashCommand) -> None:
    """Make `path` the lean path of `bolt`'s command, for the web app serving `bolt`."""
    _ATTACHED[bolt] = path


def slash_command(bolt: AsyncApp) -> SlashCommand | None:
    """The lean path attached to `bolt`, if any (a plain Bolt app has none)."""
    return _ATTACHED.get(bolt)
