"""Slack's side of the wire, on loopback: signed requests in, a recorder for what comes back.

`Recorder` is a real aiohttp server on 127.0.0.1, port 0. It stands in for the places the bot
talks to: the Web API (`/api/<method>`, e.g. auth.test), `response_url`s (shaped like Slack's,
`/commands/...` and `/actions/...`) and Socket Mode (`/socket`). It records every POST and
wakes waiters through an `asyncio.Condition`, so a test waits for exactly what it expects,
with a timeout, and never sleep-polls.

`Signer` signs bodies the way Slack does (`v0:{timestamp}:{body}`, HMAC-SHA256), through
`slack_sdk.signature.SignatureVerifier`, so the app's request verification is the real one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

__all__ = [
    "APP_ID",
    "AUTH_TEST",
    "CHANNEL_ID",
    "FORM",
    "TEAM_ID",
    "USER_ID",
    "Recorded",
    "Recorder",
    "Signer",
    "SlackSender",
    "action_body",
    "all_text",
    "buttons",
    "command_body",
]

AUTH_TEST = {
    "ok": True,
    "url": "https://acme.slack.com/",
    "team": "Acme",
    "user": "agentstate",
    "team_id": "T1",
    "user_id": "UBOT",
    "bot_id": "BBOT",
}
TEAM_ID = "T1"
CHANNEL_ID = "C0FLOOR"
USER_ID = "U0SUPER"
APP_ID = "A0AGENTSTATE"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Recorded:
    """One POST the recorder received: its path, its JSON body or form fields, and the body
    as sent."""

    path: str
    body: dict[str, Any]
    headers: Mapping[str, str] = field(repr=False)
    raw: str = field(default="", repr=False)


class Recorder:
    """A loopback stand-in for the Slack Web API, response_urls and Socket Mode.

    Use as `async with Recorder() as recorder:`; `recorder.api_url` is SLACK_API_URL, and
    `recorder.response_url()` hands out a fresh response_url (as Slack does per request).
    `apps.connections.open` hands out `ws://.../socket`, where Socket Mode clients connect;
    what they send there is recorded under the path "/socket".
    """

    def __init__(self, wait_seconds: float = 10.0) -> None:
        self.wait_seconds = wait_seconds
        self.requests: list[Recorded] = []
        # What a Web API method answers, when set; else {"ok": true} (and a socket URL).
        self.api_answers: dict[str, dict[str, Any]] = {"auth.test": AUTH_TEST}
        self._changed = asyncio.Condition()
        self._refusals: dict[str, tuple[int, str]] = {}
        self._faults: dict[str, list[web.Response]] = {}
        self._hung: set[str] = set()
        self._released = asyncio.Event()
        # Per response_url path: answers for the next POSTs (status, Retry-After), and POSTs
        # to hold unanswered until released (a slow Slack, or one the client gives up on).
        self._failures: dict[str, list[tuple[int, str | None]]] = {}
        self._holds: dict[str, list[asyncio.Event]] = {}
        self.answer_delay = 0.0  # seconds each response_url POST takes to answer
        self.in_flight = 0  # response_url POSTs being answered now
        self.most_in_flight = 0  # the most ever answered at once
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post("/commands/{tail:.+}", self._response)
        app.router.add_post("/actions/{tail:.+}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._released.set()  # hung Web API calls end, so stopping does not wait on them
        for socket in self._sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, kind: str = "commands") -> str:
        """A new response_url shaped like Slack's: `/commands/<team>/<n>/<secret>` for a slash
        command, `/actions/...` for a button click; the path is the secret."""
        n = next(self._ids)
        return f"{self.base_url}/{kind}/{TEAM_ID}/{n}/{secrets.token_urlsafe(16)}"

    def refuse(self, url: str, status: int = 404, body: str = "expired_url") -> None:
        """Make POSTs to `url` fail as Slack does for a used-up or expired response_url."""
        self._refusals[urlsplit(url).path] = (status, body)

    def fail_next(self, url: str, *statuses: int, retry_after: str | None = None) -> None:
        """Answer the next POSTs to `url` with `statuses` in turn (with `Retry-After` when
        given), then as usual."""
        failures = self._failures.setdefault(urlsplit(url).path, [])
        failures.extend((status, retry_after) for status in statuses)

    def hold_next(self, url: str) -> asyncio.Event:
        """Hold the next POST to `url` unanswered until the returned event is set (it is
        recorded on arrival)."""
        release = asyncio.Event()
        self._holds.setdefault(urlsplit(url).path, []).append(release)
        return release

    def fail(
        self,
        method: str,
        status: int,
        body: str = "",
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Make the next `times` calls of a Web API method answer `status` with `body` (as is,
        so it may be something other than JSON), as Slack does in an outage."""
        self._faults.setdefault(method, []).extend(
            web.Response(status=status, text=body, headers=headers) for _ in range(times)
        )

    def hang(self, method: str) -> None:
        """Make calls of a Web API method never answer (until the recorder stops)."""
        self._hung.add(method)

    def posts(self, url_or_path: str) -> list[dict[str, Any]]:
        """The bodies POSTed so far to one URL (or path), in order."""
        path = urlsplit(url_or_path).path
        return [r.body for r in self.requests if r.path == path]

    def raw_posts(self, url_or_path: str) -> list[str]:
        """The bodies POSTed so far to one URL (or path), exactly as sent, in order."""
        path = urlsplit(url_or_path).path
        return [r.raw for r in self.requests if r.path == path]

    def calls(self, method: str) -> int:
        """How many times a Web API method (e.g. "auth.test") was called."""
        return len(self.posts(f"/api/{method}"))

    async def wait_for(self, url_or_path: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until `count` POSTs reached `url_or_path`; return them all.

        Raises:
            TimeoutError: fewer arrived within `wait_seconds`.
        """

        def enough() -> bool:
            return len(self.posts(url_or_path)) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), self.wait_seconds)
        return self.posts(url_or_path)

    async def socket(self) -> web.WebSocketResponse:
        """Wait for a Socket Mode client to connect; its server side, to send envelopes on."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: bool(self._sockets)), self.wait_seconds
            )
        return self._sockets[-1]

    async def _record(self, request: web.Request) -> None:
        raw = await request.text()
        if request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw, keep_blank_values=True))
        await self._append(Recorded(request.path, body, dict(request.headers), raw))

    async def _append(self, recorded: Recorded) -> None:
        async with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        await self._record(request)
        method = request.match_info["method"]
        if method in self._hung:
            await self._released.wait()
        if faults := self._faults.get(method):
            return faults.pop(0)
        if method == "apps.connections.open" and method not in self.api_answers:
            ws_url = self.base_url.replace("http://", "ws://", 1) + "/socket"
            return web.json_response({"ok": True, "url": ws_url})
        return web.json_response(self.api_answers.get(method, {"ok": True}))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async with self._changed:
            self._sockets.append(socket)
            self._changed.notify_all()
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:
            if message.type is WSMsgType.TEXT:
                await self._append(Recorded("/socket", json.loads(message.data), {}))
        return socket

    async def _response(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self._record(request)
            holds = self._holds.get(request.path)
            if holds:
                await holds.pop(0).wait()
            if self.answer_delay:
                await asyncio.sleep(self.answer_delay)
            failures = self._failures.get(request.path)
            if failures:
                status, retry_after = failures.pop(0)
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                return web.Response(status=status, text="failed", headers=headers)
            status, text = self._refusals.get(request.path, (200, "ok"))
            return web.Response(status=status, text=text)
        finally:
            self.in_flight -= 1


class Signer:
    """Signs request bodies as Slack does, at `now()` unless a timestamp is given."""

    def __init__(self, secret: str, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(secret)
        self._now = now

    def headers(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(self._now()) if timestamp is None else timestamp)
        return {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }


def command_body(
    text: str,
    *,
    response_url: str,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    enterprise_id: str | None = None,
) -> str:
    """The form body Slack POSTs for `/agentstate <text>` (text already escaped as Slack does);
    `enterprise_id` is there only for an Enterprise Grid workspace."""
    grid = {} if enterprise_id is None else {"enterprise_id": enterprise_id}
    return urlencode(
        {
            "token": "legacy-verification-token",
            **grid,
            "team_id": team_id,
            "team_domain": "acme",
            "channel_id": CHANNEL_ID,
            "channel_name": "floor",
            "user_id": user_id,
            "user_name": "supervisor",
            "command": "/agentstate",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": "1337.42.abcdef",
        }
    )


def action_body(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = USER_ID,
    team_id: str = TEAM_ID,
    actions: list[dict[str, Any]] | None = None,
) -> str:
    """The form body (`payload=<json>`) Slack POSTs when a button in our ephemeral reply is
    clicked; `actions` replaces the one clicked button (e.g. with none)."""
    clicked = {
        "action_id": action_id,
        "block_id": "agentstate_actions",
        "text": {"type": "plain_text", "text": "button"},
        "value": value,
        "type": "button",
        "action_ts": "1700000001.000200",
    }
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "acme"},
        "user": {"id": user_id, "username": "supervisor", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL_ID,
            "is_ephemeral": True,
        },
        "trigger_id": "1337.43.abcdef",
        "channel": {"id": CHANNEL_ID, "name": "floor"},
        "response_url": response_url,
        "actions": [clicked] if actions is None else actions,
    }
    return urlencode({"payload": json.dumps(payload)})


class SlackSender:
    """Sends signed slash commands and button clicks to the app, each with a fresh
    response_url from the recorder."""

    def __init__(
        self, http: httpx.AsyncClient, events_url: str, signer: Signer, recorder: Recorder
    ):
        self._http = http
        self._events_url = events_url
        self._signer = signer
        self._recorder = recorder

    async def post(
        self, body: str | bytes, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """POST a raw body (bytes as they are): signed now unless `headers` are given."""
        if headers is None:
            headers = self._signer.headers(body if isinstance(body, str) else body.decode())
        return await self._http.post(self._events_url, content=body, headers=dict(headers))

    async def command(
        self, text: str, *, user_id: str = USER_ID, response_url: str | None = None
    ) -> tuple[httpx.Response, str]:
        """`/agentstate <text>` (escaped as Slack does); returns the ack response and the
        response_url it carries (a fresh one unless given)."""
        url = response_url or self._recorder.response_url()
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return await self.post(command_body(escaped, response_url=url, user_id=user_id)), url

    async def click(
        self, action_id: str, value: str, *, user_id: str = USER_ID, response_url: str | None = None
    ) -> tuple[httpx.Response, str]:
        """A button click; returns the ack response and the click's own response_url (a fresh
        one unless given)."""
        url = response_url or self._recorder.response_url("actions")
        body = action_body(action_id, value, response_url=url, user_id=user_id)
        return await self.post(body), url


def all_text(message: Any) -> str:
    """Every string a user can see in a posted message (fallback text, block and button texts),
    joined by newlines: what a test searches for content and for what must never appear.
    Button values and ids are left out: Slack never shows them."""
    if isinstance(message, str):
        return message
    if isinstance(message, Mapping):
        return "\n".join(all_text(v) for k, v in message.items() if k not in _UNSEEN)
    if isinstance(message, list):
        return "\n".join(all_text(v) for v in message)
    return ""


_UNSEEN = frozenset({"value", "action_id", "block_id"})


def buttons(message: Any) -> list[dict[str, Any]]:
    """Every button element anywhere in a posted message, in order."""
    if isinstance(message, Mapping):
        found = [dict(message)] if message.get("type") == "button" else []
        return found + [b for v in message.values() for b in buttons(v)]
    if isinstance(message, list):
        return [b for v in message for b in buttons(v)]
    return []
