"""Where an answer goes: a `Destination`, so no listener assumes a response_url.

`ResponseUrl` posts to the response_url Slack sent with a command or a click, over the one
long-lived client (bot/slack/poster.py; Bolt's `respond()` opens a new HTTP session per call:
../shared/SLACK.md). A response_url takes at most 5 posts within 30 minutes. Later, a channel
(chat.postMessage / chat.update through the Web API client) and the Home tab implement the same
protocol.

A post that failed for a passing reason (a timeout, a dropped connection, 429, 5xx) is tried
again with backoff, honouring Retry-After, within Slack's limits: every try is one of the
response_url's 5 uses, and none starts past 30 minutes from the request (the first neither).
A public post is a new message in the channel, so it is tried again only when Slack cannot
have taken it: no connection was made, or Slack said 429; a timeout or a 5xx may come after
Slack posted it, and a second try would post it twice. `ResponseUrls` opens
only Slack's own response_urls (hooks.slack.com over https, or the configured SLACK_API_URL's
origin): anything else is refused before any request is made.

A destination never raises: a post Slack did not take returns False and is logged with why,
with no response_url path in the log (the path is a capability to post, a secret).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from bot.slack.poster import Broken, Client, Closed, Lost, Unsent, post_json
from bot.vcc.retry import RetryPolicy, parse_retry_after

__all__ = [
    "LIFETIME",
    "RETRIES",
    "USES",
    "Destination",
    "Message",
    "ResponseUrl",
    "ResponseUrls",
    "Sleep",
]

log = logging.getLogger(__name__)

Json = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]
Now = Callable[[], float]

USES = 5  # posts a response_url takes (../shared/SLACK.md §1)
LIFETIME = 30 * 60.0  # seconds a response_url lives, from the request
# A worker waits through these: a Retry-After of up to half a minute is honoured; a longer one
# drops the post (retrying sooner than asked would only spend a use).
RETRIES = RetryPolicy(max_attempts=USES, base=0.5, cap=8.0, max_retry_after=30.0)
_PASSING = frozenset({429, 500, 502, 503, 504})  # Slack may take the same post later
SLACK_HOOKS = ("https", "hooks.slack.com", 443)


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

    def expired(self) -> bool:
        """True once no post can reach the asker any more (a response_url past its 30
        minutes): an answer not yet worked out is not worth working out."""
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


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute http(s) URL with no user info, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.hostname, port


class ResponseUrls:
    """Opens the `Destination` of each request's response_url, refusing any not Slack's.

    Args:
        http: the one long-lived client every response_url POST goes through.
        api_url: the configured SLACK_API_URL; response_urls on its origin are accepted too.
        sleep: how retries wait (tests pass one that returns at once).
    """

    def __init__(self, http: Client, *, api_url: str, sleep: Sleep = asyncio.sleep):
        self._origins = {SLACK_HOOKS, _origin(api_url)} - {None}
        self._response_url = functools.partial(ResponseUrl, http, sleep=sleep)

    def open(self, url: str) -> Destination:
        """The destination of `url`, opened now (its 30 minutes count from here); one that
        sends nothing when `url` is not Slack's."""
        if _origin(url) not in self._origins:
            return Refused(url)
        return self._response_url(url)


class Refused:
    """The `Destination` of a response_url that is not Slack's: sends nothing, logs why."""

    __slots__ = ("_host",)

    def __init__(self, url: str) -> None:
        origin = _origin(url)
        self._host = f"{origin[0]}://{origin[1]}:{origin[2]}" if origin else "a malformed URL"

    def __repr__(self) -> str:
        return f"Refused({self._host!r})"

    def _refuse(self) -> bool:
        log.warning("refused a response_url on %r: not Slack's; nothing sent", self._host)
        return False

    async def reply(self, message: Message, *, public: bool = False) -> bool:
        return self._refuse()

    async def post(self, message: Message, *, public: bool = False) -> bool:
        return self._refuse()

    async def replace(self, message: Message) -> bool:
        return self._refuse()

    async def delete(self) -> bool:
        return self._refuse()

    def expired(self) -> bool:
        return False  # never opened; each post says why nothing was sent


class ResponseUrl:
    """A `Destination` on the response_url of one command or click; it counts the uses
    its posts (retries included) have spent.

    Args:
        http: the one long-lived client every response_url POST goes through.
        url: the response_url Slack sent (never logged beyond its host).
        sleep: how retries wait.
        now: monotonic seconds; the URL's 30 minutes count from construction.
    """

    __slots__ = ("_deadline", "_http", "_now", "_sleep", "_spent", "_url")

    def __init__(
        self,
        http: Client,
        url: str,
        *,
        sleep: Sleep = asyncio.sleep,
        now: Now = time.monotonic,
    ) -> None:
        self._http = http
        self._url = url
        self._sleep = sleep
        self._now = now
        self._deadline = now() + LIFETIME
        self._spent = 0

    def __repr__(self) -> str:
        return f"ResponseUrl({_where(self._url)})"  # never the path

    async def reply(self, message: Message, *, public: bool = False) -> bool:
        payload = {"response_type": _visibility(public), **_content(message)}
        return await self._post(payload, public=public)

    async def post(self, message: Message, *, public: bool = False) -> bool:
        # Said explicitly, not left to Slack's default: this must never take the original's place.
        payload = {"response_type": _visibility(public), "replace_original": False}
        return await self._post(payload | _content(message), public=public)

    async def replace(self, message: Message) -> bool:
        return await self._post({"replace_original": True, **_content(message)})

    async def delete(self) -> bool:
        return await self._post({"delete_original": True})

    def expired(self) -> bool:
        return self._now() >= self._deadline

    async def _post(self, payload: Json, *, public: bool = False) -> bool:
        """POST JSON to the response_url, retrying what may pass (for a `public` post, only
        what Slack cannot have taken); False (and logged with why) when Slack did not take it."""
        why: str | None = "nothing tried"
        attempt = 0
        if self.expired():
            log.warning("response_url on %s: dropped unsent (past its 30 min)", self._host)
            return False
        while self._spent < USES:
            self._spent += 1
            attempt += 1
            retry_after, why = await self._try(payload, public=public)
            if why is None:
                return True
            if retry_after is None:
                return False  # Slack refused the post itself; _try logged it
            if self._spent >= USES:
                break
            # A Retry-After date reads as absent (a backoff instead): Slack sends seconds.
            asked = parse_retry_after(retry_after or None, None)
            if asked is not None and asked > RETRIES.max_retry_after:
                log.warning(
                    "response_url on %s: %s; dropped (asked to wait %.0f s)", self._host, why, asked
                )
                return False
            delay = RETRIES.delay(attempt, retry_after=retry_after or None)
            if self._now() + delay >= self._deadline:
                log.warning("response_url on %s: %s; dropped (past its 30 min)", self._host, why)
                return False
            log.info("response_url on %s: %s; retrying in %.1f s", self._host, why, delay)
            await self._sleep(delay)
        log.warning("response_url on %s: %s; dropped (all %d uses spent)", self._host, why, USES)
        return False

    @property
    def _host(self) -> str:
        return _where(self._url)

    async def _try(self, payload: Json, *, public: bool) -> tuple[str | None, str | None]:
        """One POST: (None, None) when Slack took it; ("" or its Retry-After, why) when it may
        pass and may be tried again; (None, why) when it may not (logged)."""
        try:
            response = await post_json(self._http, self._url, payload)
        except Unsent as exc:
            return "", exc.why
        except Lost as exc:
            return ("", exc.why) if not public else self._not_again(exc.why)
        except Broken as exc:
            log.warning("response_url POST to %s failed: %s", self._host, exc.why)
            return None, exc.why
        except Closed:
            # Stopping closed the client under a late post (a notice): a drop, not a crash.
            log.warning("response_url POST to %s dropped: the client is closed", self._host)
            return None, "client closed"
        if response.ok:
            return None, None
        why = f"HTTP {response.status}"
        if response.status == 429 or (response.status in _PASSING and not public):
            return response.retry_after or "", why
        if response.status in _PASSING:
            return self._not_again(why)
        log.warning("response_url POST to %s refused: %s %.200s", self._host, why, response.text)
        return None, why

    def _not_again(self, why: str) -> tuple[None, str]:
        """A public post that failed after it was sent: Slack may have posted it already."""
        log.warning(
            "response_url POST to %s: %s; not tried again (a public post Slack may have taken)",
            self._host,
            why,
        )
        return None, why
