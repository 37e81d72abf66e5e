"""Slow, idle and too many connections, with real sockets against the real HTTP app on loopback.

Timeouts are injected small (a fifth of a second), so no test waits long; the served app and
the fixtures are tests/support/slack_app.py.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from bot.app import App
from bot.settings import load_settings
from bot.slack.connections import (
    ACCEPT_ERROR,
    BACKLOG,
    Limits,
    QuietAcceptErrors,
    fit_open_files,
    usable_connections,
)
from bot.slack.serve import http_limits
from tests.support.slack import Recorder
from tests.support.slack_app import SETTINGS, Clients, Slack, aimed_at, start

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

    async def test_slow_bodies_do_not_hold_the_cap(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Cap-many connections that send a POST's headers and one byte of a 1000-byte body
        hold no place under the cap (nothing signed is in yet): /healthz still answers."""
        limits = Limits(max_connections=5, header_seconds=5.0, body_seconds=5.0)
        async with served(app, recorder, clients, limits) as slack, AsyncExitStack() as stack:
            for _ in range(5):
                _, writer = await connect(slack)
                stack.callback(writer.close)
                writer.write(HEADERS + b"Content-Length: 1000\r\n\r\nt")
                await writer.drain()
            await asyncio.sleep(0.1)  # the server has read every request's headers
            async with httpx.AsyncClient(base_url=slack.base_url, timeout=1.0) as http:
                health = await http.get("/healthz")
        assert health.status_code == 200


class TestFileLimit:
    def test_the_cap_fits_under_the_open_file_limit(self) -> None:
        """The cap leaves file descriptors for everything else (VCC, Slack, logs): past the
        limit, accept() fails with "Too many open files" on every attempt."""
        assert usable_connections(1000, soft_limit=1024) == 1024 - 64
        assert usable_connections(1000, soft_limit=20_000) == 1000
        assert usable_connections(10, soft_limit=40) == 1  # never none
        assert usable_connections(1000, soft_limit=1024, reserved=200) == 1024 - 200

    def test_the_reserve_holds_the_pools_and_the_backlog(self) -> None:
        """Besides a margin of 64, the reserve holds every descriptor the VCC pool (20), the
        response_url pool (16 workers + 16 notices) and the accept backlog may take."""
        limits = http_limits(load_settings(SETTINGS))
        assert limits.pools == 20 + 16 + 16
        assert limits.backlog == BACKLOG < 128  # asyncio's default, all accepted at once
        assert limits.reserved == 64 + 20 + 32 + BACKLOG

    def test_the_soft_limit_is_raised_to_the_hard_one(self) -> None:
        """Everything else the process opens gets the room too, not only the cap."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard <= 256:
            pytest.skip("needs a finite hard open-file limit above 256")
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
            assert fit_open_files(10, reserved=100) == 10
            assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    def test_a_flood_of_accept_errors_is_one_line_a_minute(self) -> None:
        """asyncio's accept() error at the file limit (a traceback each) passes once a
        minute, without the traceback, counting the ones held back."""
        now = [0.0]
        quiet = QuietAcceptErrors(now=lambda: now[0])
        error = OSError(24, "Too many open files")
        records = [_accept_error(error) for _ in range(101)]
        passed = [r for r in records[:100] if quiet.filter(r)]
        now[0] = 60.0
        later = quiet.filter(records[100])
        assert len(passed) == 1
        assert later
        assert passed[0].exc_info is None
        assert "Too many open files" in passed[0].getMessage()
        assert "100 time(s)" in records[100].getMessage()
        other = logging.LogRecord("asyncio", logging.ERROR, "", 0, "other", None, None)
        assert quiet.filter(other)

    def test_a_burst_at_a_low_file_limit_logs_no_traceback(self) -> None:
        """A server whose hard open-file limit is 150, flooded by 300 connections, keeps
        accept() out of "Too many open files" (the cap leaves room for the backlog) and
        still answers /healthz."""
        with subprocess.Popen(  # noqa: S603 - runs this interpreter on the script below
            [sys.executable, "-c", _LOW_LIMIT_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as server:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            flood = [_connecting(port) for _ in range(300)]  # not waiting for accept()
            try:
                time.sleep(0.5)  # the server takes in what the kernel has queued
                with socket.create_connection(("127.0.0.1", port), timeout=2.0) as health:
                    health.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = health.recv(100)
            finally:
                for client in flood:
                    client.close()
            _, errors = server.communicate("", timeout=5.0)
        assert answer.startswith(b"HTTP/1.1 200"), errors
        assert "Traceback" not in errors
        assert "out of system resource" not in errors


# Serves /healthz behind the guard under an open-file limit of 150; prints its port, stops
# when its stdin closes.
_LOW_LIMIT_SERVER = """
import asyncio, logging, resource, sys
from aiohttp import web
from bot.slack.connections import ConnectionGuard, GuardedSite, Limits

async def main():
    resource.setrlimit(resource.RLIMIT_NOFILE, (150, 150))
    logging.basicConfig(level=logging.WARNING)
    guard = ConnectionGuard(Limits(header_seconds=5.0))
    app = web.Application(middlewares=[guard.middleware])
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, guard)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()

asyncio.run(main())
"""


def _connecting(port: int) -> socket.socket:
    """A client socket connecting to the port on loopback, without waiting for it."""
    client = socket.socket()
    client.setblocking(False)
    client.connect_ex(("127.0.0.1", port))
    return client


def _accept_error(exc: OSError) -> logging.LogRecord:
    """The record asyncio's default exception handler logs when accept() fails."""
    message = f"{ACCEPT_ERROR}\nsocket: <asyncio.TransportSocket fd=8>"
    return logging.LogRecord("asyncio", logging.ERROR, "", 0, message, None, (OSError, exc, None))
