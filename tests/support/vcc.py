"""VCC clients for tests: on the simulator, or on a scripted fake VCC behind `httpx.MockTransport`.

Both are built by the production `build_vcc_client`; a test overrides only what it is about
(`page_limit`, `window_limit`, `timeout`, `policy`, `sleep`, `rate`, ...). Neither ever sleeps
for real: the default `sleep` is a fresh recording `Sleeps`; pass the `sleeps` fixture to read
the delays. The rate budget is unlimited unless a test passes `rate`; `VirtualClock` reads a
`VirtualTime` so a budgeted client's clock and sleep agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr

from bot.clock import Clock
from bot.sim import SimServer
from bot.vcc import RetryPolicy, VccClient, build_vcc_client
from tests.fakes import Sleeps
from tests.support.sim import SIM_CLIENT_SECRET
from tests.support.virtual_time import VirtualTime

__all__ = [
    "HALF_JITTER",
    "SCRIPTED_BASE",
    "SCRIPTED_NOW",
    "SCRIPTED_SECRET",
    "SCRIPTED_TOKEN_URL",
    "FakeVcc",
    "Handler",
    "VirtualClock",
    "cancellable",
    "iso",
    "page",
    "scripted_client",
    "state_row",
    "status_route",
    "vcc_client",
]

SCRIPTED_SECRET = "s3cr3t-do-not-leak"
SCRIPTED_BASE = "https://vcc.test"
SCRIPTED_TOKEN_URL = "https://auth.test/Auth/connect/token"
SCRIPTED_NOW = datetime(2025, 3, 11, 14, 0, tzinfo=UTC)

# The production policy with the jitter pinned at one half, so each delay is backoff / 2.
HALF_JITTER = RetryPolicy(random=lambda: 0.5)

Handler = Callable[[httpx.Request], httpx.Response]


def cancellable(time: VirtualTime) -> Callable[[float], Awaitable[None]]:
    """`time` as a `sleep` whose sleepers may be cancelled: `VirtualTime` wakes every sleeper
    it queued, so a cancelled one waits on a shielded sleeper of its own."""

    async def sleep(delay: float) -> None:
        await asyncio.shield(time(delay))

    return sleep


class VirtualClock:
    """A `Clock` at `start` plus the seconds a `VirtualTime` has moved on."""

    def __init__(self, time: VirtualTime, start: datetime = SCRIPTED_NOW) -> None:
        self._time = time
        self._start = start

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._time.now)


def vcc_client(sim: SimServer, **overrides: Any) -> VccClient:
    """A client from `build_vcc_client` on `sim`, its clock and credentials; `overrides` win."""
    options: dict[str, Any] = {
        "base_url": sim.base_url,
        "token_url": sim.token_url,
        "client_id": sim.client_id,
        "client_secret": SecretStr(SIM_CLIENT_SECRET),
        "clock": sim.clock,
        "timeout": 5.0,
        "sleep": Sleeps(),
        "policy": HALF_JITTER,
    }
    return build_vcc_client(**{**options, **overrides})


def scripted_client(fake: FakeVcc, clock: Clock, **overrides: Any) -> VccClient:
    """A client from `build_vcc_client` whose transport is `fake`; `overrides` applied."""
    options: dict[str, Any] = {
        "base_url": SCRIPTED_BASE,
        "token_url": SCRIPTED_TOKEN_URL,
        "client_id": "cid",
        "client_secret": SecretStr(SCRIPTED_SECRET),
        "clock": clock,
        "transport": httpx.MockTransport(fake),
        "sleep": Sleeps(),
        "policy": RetryPolicy(max_attempts=3, random=lambda: 0.5),
    }
    return build_vcc_client(**{**options, **overrides})


def status_route(up_to: datetime = SCRIPTED_NOW) -> Handler:
    """A route answering every request with an empty Stats page whose `upTo` is `up_to`."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page([], 1, 0, up_to))

    return handler


def iso(at: datetime) -> str:
    """`at` as VCC writes times: UTC, milliseconds, `Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def state_row(agent: str, start: datetime, state: str = "Ready") -> dict[str, Any]:
    """One open `/wfm/agent-states` item on the wire."""
    return {
        "agentId": agent,
        "start": iso(start),
        "duration": None,
        "state": state,
        "description": state,
    }


def page(items: list[dict[str, Any]], page_no: int, page_count: int, up_to: datetime) -> Any:
    """One Stats list envelope on the wire."""
    return {
        "meta": {
            "page": page_no,
            "count": len(items),
            "pageCount": page_count,
            "totalCount": 0,
        },
        "items": items,
        "upTo": iso(up_to),
    }


@dataclass
class FakeVcc:
    """Token endpoint plus scripted API routes; records every request."""

    routes: dict[str, Handler] = field(default_factory=dict)
    token_responses: list[httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    issued: int = 0
    valid: set[str] = field(default_factory=set)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent requests interleave
        if str(request.url) == SCRIPTED_TOKEN_URL:
            return self._token(request)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid:
            return httpx.Response(
                401,
                json={
                    "error_description": "The access token is invalid or has expired",
                    "error": "invalid_token",
                },
            )
        handler = self.routes.get(request.url.path)
        if handler is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return handler(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.token_responses:
            return self.token_responses.pop(0)
        form = parse_qs(request.content.decode())
        if form["client_secret"] != [SCRIPTED_SECRET]:
            return httpx.Response(400, json={"error": "invalid_client"})
        self.issued += 1
        token = f"tok-{form['scope'][0]}-{self.issued}"
        self.valid.add(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": 7200})

    def token_posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == SCRIPTED_TOKEN_URL]

    def api_requests(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]
