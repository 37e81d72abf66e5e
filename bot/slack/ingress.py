"""POST /slack/events: what a request goes through before Bolt parses anything.

    read     the body: at most `max_body` bytes (413), within `body_seconds` (408); a client
             that hangs up mid-body is noted in one line, not an error
    verify   Slack's signature and timestamp (slack_sdk's SignatureVerifier, 5 minutes) on the
             body as it came: 401 otherwise. Nothing unsigned is parsed, so garbage (invalid
             UTF-8, bad JSON, a JSON array) cannot reach Bolt's parser
    once     the same signed bytes again within the window (a replay), or a delivery Slack
             marks as a retry (X-Slack-Retry-Num), is acked (200) and not run again
    command  an `/agentstate` command is acked here and its answer queued, on the lean path
             beside Bolt (bot/slack/slash.py)
    parse    any other signed body that is not a Slack payload (an object) is a 400, in one
             line

Then Bolt dispatches it (its own verification and middleware included). Slack's certificate
probe (`ssl_check=1`) is answered 200 before all this: Slack may send it unsigned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.slack.connections import Limits, Throttled
from bot.slack.slash import FORM, slash_command

__all__ = ["WINDOW_SECONDS", "Replays", "events_handler"]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 300.0  # Slack's replay window: the verifier refuses timestamps further off

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Replays:
    """The signatures of requests already run, for as long as a copy would still verify.

    A timestamp may be up to `window` seconds off either way, so a copy verifies for at most
    twice `window` after the original arrived; each signature is kept that long, and at most
    `capacity` of them (the oldest go first).
    """

    def __init__(
        self,
        window: float = WINDOW_SECONDS,
        capacity: int = 50_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keep = 2 * window
        self._capacity = capacity
        self._now = now
        self._seen: dict[str, float] = {}  # signature -> forget at; insertion order is time

    def __len__(self) -> int:
        return len(self._seen)

    def first(self, signature: str) -> bool:
        """True the first time `signature` is seen (and remember it); False for a copy."""
        now = self._now()
        while self._seen:
            oldest, until = next(iter(self._seen.items()))
            if until > now:
                break
            del self._seen[oldest]
        if signature in self._seen:
            return False
        self._seen[signature] = now + self._keep
        if len(self._seen) > self._capacity:
            del self._seen[next(iter(self._seen))]
        return True


def _verified(verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str]) -> str | None:
    """The body as text if Slack signed it within the window, else None."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    # The verifier calls int() on the timestamp and compare_digest on the signature, which
    # raise on what is not ASCII digits / ASCII: such a request is simply not signed.
    if not (timestamp.isascii() and timestamp.isdigit() and signature.isascii()):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None  # Slack signs UTF-8 text: other bytes are not Slack's
    return text if verifier.is_valid(body=text, timestamp=timestamp, signature=signature) else None


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest | None:
    """Bolt's request for a signed body, or None when the body is not a Slack payload."""
    try:
        bolt_request = AsyncBoltRequest(
            body=text,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]  # a multidict, as Bolt's adapter passes
        )
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None  # bad JSON (a ValueError) or a shape Bolt's context extraction trips on
    return bolt_request if isinstance(bolt_request.body, dict) else None


def _is_ssl_check(request: web.Request, raw: bytes) -> bool:
    """Slack's certificate probe: a form body with ssl_check=1 (nothing else is one)."""
    if request.content_type != FORM or b"ssl_check=" not in raw:
        return False
    return dict(parse_qsl(raw.decode("utf-8", "replace"))).get("ssl_check") == "1"


async def _read(request: web.Request, limits: Limits) -> bytes | None:
    """The whole body, or None if the client hung up before sending it.

    Raises:
        HTTPRequestEntityTooLarge: over the app's `client_max_size`.
        HTTPRequestTimeout: not all there within `body_seconds`.
    """
    try:
        async with asyncio.timeout(limits.body_seconds):
            return await request.read()
    except TimeoutError:
        log.info("a request body was not all there after %.1f s: 408", limits.body_seconds)
        raise web.HTTPRequestTimeout() from None
    except (ConnectionError, RequestPayloadError) as exc:
        log.info("a client hung up mid-body (%s)", type(exc).__name__)
        return None


def events_handler(
    bolt: AsyncApp,
    signing_secret: str,
    limits: Limits,
    replays: Replays | None = None,
    *,
    verified: Callable[[web.Request], None] = lambda _: None,
) -> Handler:
    """The aiohttp handler for POST /slack/events (see the module docstring).

    Args:
        bolt: dispatches what passes (but its command, when it has a lean path attached:
            `slash.slash_command`).
        signing_secret: SLACK_SIGNING_SECRET.
        limits: the body's time limit (its size is the web app's `client_max_size`).
        replays: what has run (default: a new memory, for this handler alone).
        verified: called with each request whose body is in and signed (the connection
            guard's `busy`: only then may its connection hold a place under the cap).
    """
    verifier = SignatureVerifier(signing_secret)
    slash = slash_command(bolt)
    ran = replays if replays is not None else Replays()
    unsigned = Throttled(log, "refused %d request(s) without a valid Slack signature (401)")
    copies = Throttled(log, "acked %d copy(ies) of a request already run, without running it")

    async def events(request: web.Request) -> web.StreamResponse:
        raw = await _read(request, limits)
        if raw is None:
            return web.Response(status=400)  # nobody is there to read it
        if _is_ssl_check(request, raw):
            return web.Response()
        text = _verified(verifier, raw, request.headers)
        if text is None:
            unsigned()
            return web.json_response({"error": "invalid request"}, status=401)
        verified(request)
        if not ran.first(request.headers["X-Slack-Signature"]):
            copies()
            return web.Response()
        if retry := request.headers.get("X-Slack-Retry-Num"):
            reason = request.headers.get("X-Slack-Retry-Reason", "no reason given")
            log.info("acked Slack's retry %s (%s) without running it again", retry[:8], reason[:40])
            return web.Response()
        acked = await slash.ack(text, request.content_type) if slash is not None else None
        if acked is not None:
            return acked
        bolt_request = _bolt_request(text, request)
        if bolt_request is None:
            log.warning("a signed request was not a Slack payload: 400")
            return web.json_response({"error": "malformed request"}, status=400)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return events
