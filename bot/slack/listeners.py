"""What the command and each button do: module-level listeners, run lazily after the ack.

    /agentstate <text>     `acknowledge` acks empty (Slack shows nothing yet); `answer_command`
                           runs handle() and replies privately with the blocks
    agentstate_refresh     `answer_again`: re-run the button's command; the answer replaces
                           the message
    agentstate_run_<n>     `answer_again`: run a "did you mean" / "which one" choice, in place
    agentstate_share       `share`: re-run, post it in the channel ("Shared by"), then delete
                           the private copy

Bolt hands listeners what they name: `ack`, `body`, and `replier` (the `Replier` that
`ProvideReplier`, a middleware, puts in each request's context). No listener raises into Bolt,
which would swallow the error: a failure is logged and the user gets an apology.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import App
from bot.handle import OOPS, handle
from bot.slack.destinations import Destination, Message, ResponseUrls

__all__ = [
    "REPLIER",
    "ProvideReplier",
    "Replier",
    "acknowledge",
    "answer_again",
    "answer_command",
    "expired",
    "share",
    "tell",
    "unescape",
]

log = logging.getLogger(__name__)

REPLIER = "replier"  # the context key, hence the name of the listeners' parameter

_ENTITIES = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}

Body = Mapping[str, Any]


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in slash-command text (one pass, so `&amp;lt;`
    becomes `&lt;`, what the user typed)."""
    return _ENTITIES.sub(lambda m: _UNESCAPED[m.group(1)], text)


class Replier:
    """What every listener needs: the built bot (to answer and render) and where answers go.

    Args:
        app: the built bot: its query answers, its block renderer lays the answer out.
        urls: opens each request's response_url (refusing any not Slack's).
        destination: this request's, once `for_request` has opened it.
    """

    __slots__ = ("_app", "_destination", "_urls")

    def __init__(
        self, app: App, urls: ResponseUrls, destination: Destination | None = None
    ) -> None:
        self._app = app
        self._urls = urls
        self._destination = destination

    def for_request(self, body: Body) -> Replier:
        """This replier for one request, its response_url opened as it arrives: every post
        for the request (retries and notices too) counts against that URL's 5 uses and 30
        minutes."""
        return Replier(self._app, self._urls, self._open(body))

    def _open(self, body: Body) -> Destination:
        return self._urls.open(str(body.get("response_url") or ""))

    def __deepcopy__(self, memo: dict[int, object]) -> Replier:
        # Bolt deep-copies each custom context entry for a lazy listener; this one holds the
        # app and its open clients, which are shared, and the request's destination, whose
        # count of response_url uses must be the same one for the ack and the answer.
        return self

    async def render(self, text: str, *, shared_by: str | None = None) -> Message:
        """Answer `text` (what followed /agentstate) as a message; never raises for a bad
        question (handle() turns those into answers), only for a bug in rendering."""
        reply = await handle(text, self._app.query)
        blocks, fallback = self._app.blocks.render(reply, shared_by=shared_by)
        return Message(fallback, blocks)

    def destination(self, body: Body) -> Destination:
        """Where the answers to this request go: the response_url it came with."""
        return self._destination or self._open(body)


class ProvideReplier(AsyncMiddleware):
    """Puts the one `Replier` in every request's context, where listeners name it."""

    def __init__(self, replier: Replier) -> None:
        self._replier = replier

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # Bolt passes it by this name
    ) -> BoltResponse | None:
        req.context[REPLIER] = self._replier.for_request(req.body)
        return await next()


async def tell(request: AsyncBoltRequest, text: str) -> bool:
    """Post `text` privately to the asker of `request`, beside anything already shown (the
    answer queue's "try again in a moment")."""
    replier = request.context.get(REPLIER)
    if not isinstance(replier, Replier):
        return False
    return await replier.destination(request.body).post(Message(text))


def expired(request: AsyncBoltRequest) -> bool:
    """Whether the answer to `request` could no longer reach its asker (its response_url is
    past its 30 minutes): the answer queue drops it before working it out."""
    replier = request.context.get(REPLIER)
    return isinstance(replier, Replier) and replier.destination(request.body).expired()


@asynccontextmanager
async def _guard(destination: Destination, what: str) -> AsyncIterator[None]:
    """Log any failure of an answer (Bolt would swallow it) and tell the user, best effort."""
    try:
        yield
    except Exception:
        log.exception("answering %s failed", what)
        await destination.post(Message(OOPS))


def _clicked(body: Body) -> tuple[str, str]:
    """(command text, clicking user id) of a block_actions payload."""
    (action, *_) = body["actions"]
    return str(action.get("value") or ""), str(body["user"]["id"])


async def acknowledge(ack: AsyncAck) -> None:
    """Ack at once, empty: Slack shows nothing until the answer comes."""
    await ack()


async def answer_command(body: Body, replier: Replier) -> None:
    """Answer `/agentstate <text>` privately."""
    destination = replier.destination(body)
    text = unescape(str(body.get("text") or ""))
    started = time.perf_counter()
    async with _guard(destination, "a command"):
        posted = await destination.reply(await replier.render(text))
        log.info(
            "answered %s %r in %.0f ms%s",
            body.get("command"),
            text[:200],
            (time.perf_counter() - started) * 1000,
            "" if posted else " (not delivered)",
        )


async def answer_again(body: Body, replier: Replier) -> None:
    """Run the clicked button's command (Refresh, or a choice); the answer replaces the
    message the button was on."""
    destination = replier.destination(body)
    async with _guard(destination, "a button"):
        text, _ = _clicked(body)
        await destination.replace(await replier.render(text))


async def share(body: Body, replier: Replier) -> None:
    """Re-run the command and post it for the channel, saying who shared it; then delete the
    private copy."""
    destination = replier.destination(body)
    async with _guard(destination, "a share"):
        text, user_id = _clicked(body)
        shared = await destination.post(await replier.render(text, shared_by=user_id), public=True)
        if shared:  # keep the private copy if the channel did not get one
            await destination.delete()
