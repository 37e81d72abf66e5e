"""Slow, idle and too many connections, with real sockets against the real HTTP app on loopback.

Timeouts are injected small (a fifth of a second), so no test waits long; the served app and
the fixtures are tests/support/slack_app.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from bot.app import App
from bot.slack.connections import Limits, usable_connections
from tests.support.slack import Recorder
from tests.support.slack_app import Clients, Slack, aimed_at, start

# One event loop for the module's async tests, so the App (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")

FAST = Limits(header_seconds=0.2, body_seconds=0.2, idle_seconds=0.2)
HEADERS = (
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
)


@asynccontextmanager
async def served(
    app: App, recorder: Recorder, clients: Clients, limits: Limits
) -> AsyncIterator[Slack]:
    async with start(aimed_at(app, recorder), recorder, clients, limits=limits) as slack:
        yield slack


async def connect(slack: Slack) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = slack.base_url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it has not
    closed it within `seconds`."""
    async with asyncio.timeout(seconds):
        return await reader.read()


@shared_loop
class TestSlowClients:
    async def test_trickled_headers_are_cut_off(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """A client sending a header line every 50 ms, never finishing, is disconnected once
        the header time is up."""
        async with served(app, recorder, clients, FAST) as slack:
            reader, writer = await connect(slack)
            writer.write(HEADERS)

            async def trickle() -> None:
                for n in range(40):
                    writer.write(f"X-Slow-{n}: y\r\n".encode())
                    await asyncio.sleep(0.05)

            trickling = asyncio.create_task(trickle())
            try:
                await closed_within(reader, 1.0)
            finally:
                trickling.cancel()
                writer.close()

    async def test_a_slow_body_is_cut_off(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A body that stops coming gets 408 once the body time is up, and no ERROR line."""
        async with served(app, recorder, clients, FAST) as slack:
            reader, writer = await connect(slack)
            writer.write(HEADERS + b"Content-Length: 100\r\n\r\ntext=")
            with caplog.at_level(logging.INFO):
                sent = await closed_within(reader, 1.0)
            writer.close()
        assert sent.startswith(b"HTTP/1.1 408")
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    async def test_an_idle_keep_alive_is_closed(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """A kept-alive connection with nothing more to ask is closed after the idle time."""
        async with served(app, recorder, clients, FAST) as slack:
            reader, writer = await connect(slack)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            sent = await closed_within(reader, 1.0)
            writer.close()
        assert sent.startswith(b"HTTP/1.1 200")


@shared_loop
class TestConnectionCap:
    async def test_idle_connections_make_room_and_health_answers(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """With 30 silent connections open against a cap of 10, only 10 stay open (the
        longest-waiting ones make room), /healthz still answers at once, and the log says so
        once, not per connection."""
        limits = Limits(max_connections=10, header_seconds=5.0)
        async with served(app, recorder, clients, limits) as slack, AsyncExitStack() as stack:
            with caplog.at_level(logging.INFO, logger="bot.slack"):
                opened = [await connect(slack) for _ in range(30)]
                for _, writer in opened:
                    stack.callback(writer.close)
                async with httpx.AsyncClient(base_url=slack.base_url, timeout=1.0) as http:
                    health = await http.get("/healthz")
                # The first 20 made room for the later ones (and the last for /healthz).
                gone = [await closed_within(reader, 1.0) == b"" for reader, _ in opened[:20]]
        assert health.status_code == 200
        assert all(gone)
        capped = [r for r in caplog.records if "connection" in r.getMessage()]
        assert len(capped) == 1, [r.getMessage() for r in capped]


class TestFileLimit:
    def test_the_cap_fits_under_the_open_file_limit(self) -> None:
        """The cap leaves file descriptors for everything else (VCC, Slack, logs): past the
        limit, accept() fails with "Too many open files" on every attempt."""
        assert usable_connections(1000, soft_limit=1024) == 1024 - 64
        assert usable_connections(1000, soft_limit=20_000) == 1000
        assert usable_connections(10, soft_limit=40) == 1  # never none
