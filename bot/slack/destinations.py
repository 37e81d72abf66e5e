"""Where an answer goes: a `Destination`, so no listener assumes a response_url.

`ResponseUrl` posts to the response_url Slack sent with a command or a click, over the one
long-lived `httpx.AsyncClient` (Bolt's `respond()` opens a new HTTP session per call:
../shared/SLACK.md). A response_url takes at most 5 posts within 30 minutes. Later, a channel
(chat.postMessage / chat.update through the Web API client) and the Home tab implement the same
protocol.

A destination never raises: a post Slack did not take returns False and is logged, with no
response_url path in the log (the path is a capability to post, a secret).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

__all__ = ["Destination", "Message", "ResponseUrl"]

log = logging.getLogger(__name__)

Json = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """What to show: Block Kit blocks, and `text` (the notification fallback, or the whole
    message when there are no blocks)."""

    text: str
    blocks: list[dict[str, Any]] | None = None


@runtime_checkable
class Destination(Protocol):
    """Where the answers to one request go. Each method returns True when Slack took the
    message, False (logged) when it did not; none raises.

    "The original" is the message a click came from (its buttons): `replace` and `delete` act
    on it, `post` leaves it be. A destination reached by a command has no original.
    """

    async def reply(self, message: Message, *, public: bool = False) -> bool:
        """Answer the request: seen only by the asker unless `public`."""
        ...

    async def post(self, message: Message, *, public: bool = False) -> bool:
        """Post a further message beside the original, never in its place: seen only by the
        asker unless `public`."""
        ...

    async def replace(self, message: Message) -> bool:
        """Put `message` in the place of the original."""
        ...

    async def delete(self) -> bool:
        """Delete the original."""
        ...


def _visibility(public: bool) -> str:
    return "in_channel" if public else "ephemeral"


def _content(message: Message) -> Json:
    if message.blocks is None:
        return {"text": message.text}
    return {"blocks": message.blocks, "text": message.text}


def _where(url: str) -> str:
    """What of a response_url may be logged: its host. The path is a capability (a secret)."""
    return urlsplit(url).hostname or "?"


class ResponseUrl:
    """A `Destination` on the response_url of one command or click.

    Args:
        http: the one long-lived client every response_url POST goes through.
        url: the response_url Slack sent (never logged beyond its host).
    """

    __slots__ = ("_http", "_url")

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    def __repr__(self) -> str:
        return f"ResponseUrl({_where(self._url)})"  # never the path

    async def reply(self, message: Message, *, public: bool = False) -> bool:
        return await self._post({"response_type": _visibility(public), **_content(message)})

    async def post(self, message: Message, *, public: bool = False) -> bool:
        # Said explicitly, not left to Slack's default: this must never take the original's place.
        payload = {"response_type": _visibility(public), "replace_original": False}
        return await self._post(payload | _content(message))

    async def replace(self, message: Message) -> bool:
        return await self._post({"replace_original": True, **_content(message)})

    async def delete(self) -> bool:
        return await self._post({"delete_original": True})

    async def _post(self, payload: Json) -> bool:
        """POST JSON to the response_url; False (and logged) when Slack did not take it."""
        try:
            response = await self._http.post(self._url, json=payload)
        except httpx.HTTPError as exc:
            # The exception text can carry the URL; its type is enough to act on.
            log.warning("response_url POST to %s failed: %s", _where(self._url), type(exc).__name__)
            return False
        if response.is_success:
            return True
        log.warning(
            "response_url POST to %s refused: HTTP %d %.200s",
            _where(self._url),
            response.status_code,
            response.text,
        )
        return False
