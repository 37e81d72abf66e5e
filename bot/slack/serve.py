"""Serving Slack: over HTTP (one aiohttp application) or Socket Mode, after a token check.

One aiohttp application serves POST `/slack/events` (Bolt verifies the signature and the
timestamp: 401 otherwise), GET `/healthz` and GET `/readyz`; stopping it finishes the answers
already acked. With SLACK_APP_TOKEN, Socket Mode instead (no public URL). `serve(app)` is the
whole Slack side for the composition root.

No request waits on the Web API: the bot token is checked once at start (`check_token`), with
the app's one Web API client.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.errors import ConfigError
from bot.slack.lazy import drain
from bot.slack.register import build_bolt_app

__all__ = [
    "EVENTS_PATH",
    "build_web_app",
    "check_token",
    "serve",
    "serve_http",
    "serve_socket_mode",
]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_web_app(bolt: AsyncApp) -> web.Application:
    """One aiohttp application: POST /slack/events (Bolt), GET /healthz and GET /readyz.

    Stopping it (AppRunner.cleanup) first finishes the answers already acked, for up to 10 s.
    """

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        # Built means ready: the app (and the simulator) exist before the Bolt app does, and
        # VCC being down is an answer ("VCC isn't answering"), not a reason to take no traffic.
        return web.Response(text="ready")

    async def finish_answers(_: web.Application) -> None:
        await drain(bolt)

    web_app = web.Application()
    web_app.add_routes(
        [web.post(EVENTS_PATH, events), web.get("/healthz", healthz), web.get("/readyz", readyz)]
    )
    web_app.on_shutdown.append(finish_answers)
    return web_app


async def check_token(client: AsyncWebClient) -> None:
    """Ask Slack who the bot is (auth.test), once, before serving: a refused token stops the
    start instead of passing unnoticed.

    Args:
        client: the app's one Web API client, holding the bot token.

    Raises:
        ConfigError: Slack refused SLACK_BOT_TOKEN. When Slack cannot be reached, this only
            warns: commands do not need the Web API.
    """
    try:
        who = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "refused")
        raise ConfigError("SLACK_BOT_TOKEN", f"Slack refused the token ({error})") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not reach Slack to check the bot token: %s", type(exc).__name__)
        return
    log.info("Slack: signed in as bot user %s in team %s", who.get("user_id"), who.get("team_id"))


async def serve_http(
    bolt: AsyncApp,
    port: int,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - in a container Slack reaches the bot on any interface
) -> None:
    """Serve the web app on host:port until cancelled; then stop cleanly (answers already
    acked are finished first)."""
    runner = web.AppRunner(build_web_app(bolt))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Slack over HTTP: listening on %s:%d%s", host, port, EVENTS_PATH)
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()


async def serve_socket_mode(bolt: AsyncApp, app_token: str) -> None:
    """Take Slack's requests over Socket Mode until cancelled (no public URL needed); answers
    already acked are finished before it returns.

    Raises:
        ConfigError: Slack refused the app-level token (SLACK_APP_TOKEN).
    """
    handler = AsyncSocketModeHandler(bolt, app_token)
    try:
        # The client retries a refused token forever; ask for the socket URL here, once.
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as exc:
            error = exc.response.get("error", "refused")
            raise ConfigError("SLACK_APP_TOKEN", f"Slack refused the token ({error})") from None
        await handler.connect_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        log.info("Slack over Socket Mode: connected")
        await asyncio.Event().wait()  # until cancelled
    finally:
        # Close first, so no new envelope starts an answer; the answers use their own client.
        await handler.close_async()  # type: ignore[no-untyped-call]  # untyped in Bolt
        await drain(bolt)


async def serve(app: App) -> None:
    """Check the bot token, build the Bolt app and serve it until cancelled: Socket Mode with
    SLACK_APP_TOKEN, else HTTP on PORT.

    Raises:
        ConfigError: no bot token, or Slack refused a token.
    """
    if app.slack is None:
        raise ConfigError("SLACK_BOT_TOKEN", "is required to serve Slack")
    await check_token(app.slack)
    settings = app.settings
    signing = settings.slack_signing_secret
    # Socket Mode requests are not signed, so there may be no secret; Bolt still wants one.
    secret = signing.get_secret_value() if signing else secrets.token_hex(32)
    async with httpx.AsyncClient(timeout=10.0) as http:
        bolt = build_bolt_app(app, http, signing_secret=secret)
        if settings.slack_app_token is not None:
            await serve_socket_mode(bolt, settings.slack_app_token.get_secret_value())
        else:
            await serve_http(bolt, settings.port)
