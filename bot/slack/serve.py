"""Serving Slack: over HTTP (one aiohttp application) or Socket Mode, beside a token check.

One aiohttp application serves POST `/slack/events` (bot/slack/ingress.py: signature and
timestamp checked on the raw body, replays and retries acked without running, then Bolt),
GET `/healthz` and GET `/readyz`, behind the connection limits of bot/slack/connections.py;
stopping it finishes the answers already acked. With SLACK_APP_TOKEN, Socket Mode instead (no
public URL). `serve(app)` is the whole Slack side for the composition root.

No request waits on the Web API: the bot token is checked with auth.test beside the server,
which listens at once (bot/slack/workspaces.py); a workspace is answered once it is known to
be ours.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from bot.app import App
from bot.errors import ConfigError
from bot.settings import Settings
from bot.slack.connections import ConnectionGuard, GuardedSite, Limits
from bot.slack.ingress import events_handler
from bot.slack.lazy import answer_client, drain, notice_slots
from bot.slack.register import build_bolt_app
from bot.slack.workspaces import (
    ATTEMPT_SECONDS,
    Unanswered,
    Workspaces,
    check_token,
    until_answered,
)
from bot.vcc.client import POOL_SIZE as VCC_POOL_SIZE

__all__ = [
    "EVENTS_PATH",
    "build_web_app",
    "http_limits",
    "listen",
    "serve",
    "serve_http",
    "serve_socket_mode",
]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
GUARD = web.AppKey("connection_guard", ConnectionGuard)

Sleep = Callable[[float], Awaitable[None]]
# /readyz: whether to take traffic, and a JSON report (the floor model's age and state).
Readiness = Callable[[], tuple[bool, dict[str, object]]]


def build_web_app(
    bolt: AsyncApp,
    *,
    signing_secret: str,
    limits: Limits | None = None,
    readiness: Readiness | None = None,
) -> web.Application:
    """One aiohttp application: POST /slack/events (bot/slack/ingress.py, then Bolt), GET
    /healthz and GET /readyz; serve it with `listen`, which applies the connection limits.

    Stopping it (AppRunner.cleanup) first finishes the answers already acked, for up to 10 s.

    Args:
        signing_secret: SLACK_SIGNING_SECRET, checked before Bolt parses anything.
        limits: body and connection limits (default: `Limits()`).
        readiness: what /readyz reports (the floor model's age); without it, built is ready.
    """
    limits = limits or Limits()
    guard = ConnectionGuard(limits)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        # Ready once the floor model has every agent's status (a new replica takes traffic
        # warm). A stale model stays ready: VCC being down is an answer ("stale since ..."),
        # not a reason to take no traffic; the body says how old the floor is.
        if readiness is None:
            return web.Response(text="ready")
        ready, report = readiness()
        return web.json_response(report, status=200 if ready else 503)

    async def finish_answers(_: web.Application) -> None:
        await drain(bolt)

    events = events_handler(bolt, signing_secret, limits, verified=guard.busy)
    web_app = web.Application(middlewares=[guard.middleware], client_max_size=limits.max_body)
    web_app[GUARD] = guard
    web_app.add_routes(
        [web.post(EVENTS_PATH, events), web.get("/healthz", healthz), web.get("/readyz", readyz)]
    )
    # On cleanup, not on shutdown: aiohttp runs that once the requests being handled are done,
    # so an answer acked as the server stops is queued before the drain, not told "restarting".
    web_app.on_cleanup.append(finish_answers)
    return web_app


def http_limits(settings: Settings) -> Limits:
    """The HTTP server's limits: the connection cap, leaving descriptors for the outbound
    pools (VCC's, and the response_url client's as `answer_client` sizes it)."""
    replies = settings.answer_workers + notice_slots(settings.answer_workers)
    return Limits(max_connections=settings.max_connections, pools=VCC_POOL_SIZE + replies)


async def listen(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving `web_app` (from `build_web_app`) on host:port; the caller cleans up the
    returned runner.

    Raises:
        ConfigError: PORT is taken, or not ours to take.
    """
    guard = web_app[GUARD]
    limits = guard.limits
    runner = web.AppRunner(
        web_app,
        keepalive_timeout=limits.idle_seconds,
        # How long an unread body is drained after the answer (e.g. a 408) before closing.
        lingering_time=min(limits.body_seconds, 2.0),
    )
    await runner.setup()
    try:
        await GuardedSite(runner, host, port, guard).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError("PORT", f"{port} is already in use") from None
        if exc.errno == errno.EACCES:
            raise ConfigError("PORT", f"{port} needs privileges this process lacks") from None
        raise
    return runner


async def serve_http(
    bolt: AsyncApp,
    port: int,
    *,
    signing_secret: str,
    limits: Limits | None = None,
    host: str = "0.0.0.0",  # noqa: S104 - in a container Slack reaches the bot on any interface
    readiness: Readiness | None = None,
) -> None:
    """Serve the web app on host:port until cancelled; then stop cleanly (answers already
    acked are finished first).

    Raises:
        ConfigError: PORT is taken.
    """
    web_app = build_web_app(bolt, signing_secret=signing_secret, limits=limits, readiness=readiness)
    runner = await listen(web_app, host, port)
    try:
        log.info("Slack over HTTP: listening on %s:%d%s", host, port, EVENTS_PATH)
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()


async def _socket_url(handler: AsyncSocketModeHandler, app_token: str, sleep: Sleep) -> str:
    """The WebSocket URL from apps.connections.open, asked until Slack answers.

    Asked here rather than by the Socket Mode client, which reads the error of a non-JSON
    answer as a dict (an AttributeError), sleeps on its own and retries a refused token
    forever.
    """

    async def attempt() -> str:
        async with asyncio.timeout(ATTEMPT_SECONDS):
            opened = await handler.client.web_client.apps_connections_open(app_token=app_token)
        url = opened.data.get("url") if isinstance(opened.data, dict) else None
        if not isinstance(url, str) or not url:
            raise Unanswered("no url in the answer")
        return url

    return await until_answered(
        attempt,
        variable="SLACK_APP_TOKEN",
        sleep=sleep,
        first="could not reach Slack to open Socket Mode (%s): asking again in %.0f s",
        again="Slack still not answering apps.connections.open (%s); asking again in %.0f s",
    )


async def serve_socket_mode(
    bolt: AsyncApp, app_token: str, *, sleep: Sleep = asyncio.sleep
) -> None:
    """Take Slack's requests over Socket Mode until cancelled (no public URL needed); answers
    already acked are finished before it returns.

    Args:
        sleep: how the start waits between tries while Slack does not answer.

    Raises:
        ConfigError: Slack refused the app-level token (SLACK_APP_TOKEN).
    """
    handler = AsyncSocketModeHandler(bolt, app_token)
    try:
        handler.client.wss_uri = await _socket_url(handler, app_token, sleep)
        await handler.connect_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        log.info("Slack over Socket Mode: connected")
        await asyncio.Event().wait()  # until cancelled
    finally:
        # Close first, so no new envelope starts an answer; the answers use their own client.
        await handler.close_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        await drain(bolt)


async def serve(app: App, *, sleep: Sleep = asyncio.sleep) -> None:
    """Build the Bolt app and serve it until cancelled (Socket Mode with SLACK_APP_TOKEN, else
    HTTP on PORT), checking the bot token beside it.

    Args:
        sleep: how the token check (and the Socket Mode start) waits between tries while
            Slack does not answer.

    Raises:
        ConfigError: no bot token, Slack refused a token, or PORT is taken.
    """
    if app.slack is None:
        raise ConfigError("SLACK_BOT_TOKEN", "is required to serve Slack")
    settings = app.settings
    signing = settings.slack_signing_secret
    # Socket Mode requests are not signed, so there may be no secret; Bolt still wants one.
    secret = signing.get_secret_value() if signing else secrets.token_hex(32)
    workspaces = Workspaces(settings.allowed_teams)
    refused: list[ConfigError] = []
    try:
        async with answer_client(settings) as http, asyncio.TaskGroup() as group:
            bolt = build_bolt_app(app, http, signing_secret=secret, workspaces=workspaces)
            # Everything built so far lives as long as the process: out of the collector's
            # sight, a collection under a burst scans only what the requests made (a third
            # less time collecting, measured under the full command mix: bench/slack.py).
            gc.freeze()
            group.create_task(check_token(app.slack, workspaces, sleep=sleep), name="auth.test")
            if settings.slack_app_token is not None:
                await serve_socket_mode(
                    bolt, settings.slack_app_token.get_secret_value(), sleep=sleep
                )
            else:
                limits = http_limits(settings)
                readiness = app.floor.readiness if app.floor is not None else None
                await serve_http(
                    bolt,
                    settings.port,
                    signing_secret=secret,
                    limits=limits,
                    readiness=readiness,
                )
    except* ConfigError as group:
        # The check (a task) or the start (PORT) found a bad setting; raised below, alone,
        # as __main__ prints it: one line, exit 2.
        refused.extend(e for e in group.exceptions if isinstance(e, ConfigError))
    finally:
        gc.unfreeze()  # what outlives serving (a test's process) is collectable again
    if refused:
        raise refused[0]
