"""The Slack front door: a Bolt `AsyncApp` that acks at once and answers lazily.

    /agentstate <text>     ack() empty (Slack shows nothing yet), then a lazy listener runs
                           handle() and POSTs the blocks to the command's response_url
    agentstate_refresh     re-run the button's command; the answer replaces the message
    agentstate_run_<n>     run a "did you mean" / "which one" choice; replaces the message
    agentstate_share       re-run, post it in the channel ("Shared by"), delete the ephemeral copy

Replies go through `response_url` on one long-lived `httpx.AsyncClient` (Bolt's `respond()`
opens a new HTTP session per call: ../shared/SLACK.md), so the app needs only the `commands`
scope. `process_before_response=True` returns the HTTP ack as soon as `ack()` has run instead
of polling for it every 10 ms.

No request waits on the Web API (the bot token is checked once at start, `check_token`), and
no log line holds a response_url path: each is a capability to post for 30 minutes.

One aiohttp application serves POST `/slack/events` (Bolt verifies the signature and the
timestamp: 401 otherwise), GET `/healthz` and GET `/readyz`; stopping it finishes the answers
already acked. `serve()` is the whole Slack side for the composition root.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError
from bot.format.blocks import ACTION_REFRESH, ACTION_RUN_PREFIX, ACTION_SHARE, render_blocks
from bot.handle import OOPS, handle
from bot.runtime import Runtime
from bot.settings import Settings

__all__ = [
    "COMMAND",
    "EVENTS_PATH",
    "REFRESH",
    "RUN",
    "SHARE",
    "build_app",
    "build_web_app",
    "check_token",
    "serve",
    "serve_http",
    "serve_socket_mode",
    "unescape",
]

log = logging.getLogger(__name__)

COMMAND = "/agentstate"
EVENTS_PATH = "/slack/events"
REFRESH = ACTION_REFRESH  # the buttons' action_ids are the formatter's; one source
SHARE = ACTION_SHARE
RUN = re.compile(rf"^{re.escape(ACTION_RUN_PREFIX)}\d+$")

_DRAIN_SECONDS = 10.0  # how long a stopping server waits for answers already being worked on
_ENTITIES = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}

Json = dict[str, Any]


def unescape(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in slash-command text (one pass, so `&amp;lt;`
    becomes `&lt;`, what the user typed)."""
    return _ENTITIES.sub(lambda m: _UNESCAPED[m.group(1)], text)


def _where(url: str) -> str:
    """What of a response_url may be logged: its host. The path is a capability (a secret)."""
    return urlsplit(url).hostname or "?"


class _HideResponseUrls(logging.Filter):
    """Cuts response_url paths out of httpx's "HTTP Request: POST <url>" log lines.

    Slack's response_urls (https://hooks.slack.com/commands/..., /actions/...) let anyone who
    holds one post into the channel for 30 minutes; logs must not hold them.
    """

    _PATH = re.compile(r"/(commands|actions)/")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._hide(arg) for arg in record.args)
        return True

    def _hide(self, arg: object) -> object:
        if isinstance(arg, httpx.URL) and (match := self._PATH.match(arg.path)):
            return f"{arg.scheme}://{arg.host}/{match.group(1)}/…"
        return arg


_HIDE_RESPONSE_URLS = _HideResponseUrls()


class _DropMessages(logging.Filter):
    """Drops log records whose message is one of `messages`, exactly."""

    def __init__(self, *messages: str) -> None:
        super().__init__()
        self._messages = frozenset(messages)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._messages


class _HideRefusedBodies(logging.Filter):
    """Cuts the body out of Bolt's "Invalid request signature detected" line.

    A refused request may be a real one replayed late, and its body holds a response_url.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ", body:" in message:
            record.msg, record.args = message.split(", body:", 1)[0] + ")", None
        return True


_HIDE_REFUSED_BODIES = _HideRefusedBodies()

# Bolt reads SLACK_BOT_TOKEN from the environment itself and warns, at every start, that it
# goes unused beside `client`/`authorize`: true, and by design here (the token comes in through
# `authorize`), so the warning would only mislead an operator.
_TOKEN_UNUSED_WARNINGS = _DropMessages(
    warning_client_prioritized_and_token_skipped(), warning_token_skipped()
)


class _TrackedLazyRunner(AsyncioLazyListenerRunner):
    """Bolt's asyncio lazy runner, keeping each task so none is garbage-collected mid-answer
    and a stopping server can wait for the answers it already acked."""

    def __init__(self, logger: logging.Logger, grace: float) -> None:
        super().__init__(logger)
        self._grace = grace
        self._tasks: set[asyncio.Future[None]] = set()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        # What the parent's start() does (its run() is broken: it calls the coroutine).
        runnable = to_runnable_function(internal_func=function, logger=self.logger, request=request)
        task: asyncio.Future[None] = asyncio.ensure_future(runnable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait up to `grace` seconds for running answers; cancel what is left."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=self._grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("stopped with %d answer(s) unfinished", len(late))


class _Replier:
    """Runs a command and posts the answer to a response_url; never raises into Bolt."""

    def __init__(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        self._runtime = runtime
        self._http = http

    async def render(
        self, text: str, *, shared_by: str | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        reply = await handle(text, self._runtime.query, simulated=self._runtime.simulated)
        return render_blocks(reply, zone=self._runtime.zone, shared_by=shared_by)

    async def post(self, url: str, payload: Json) -> bool:
        """POST JSON to a response_url; False (and logged) when Slack did not take it."""
        try:
            response = await self._http.post(url, json=payload)
        except httpx.HTTPError as exc:
            # The exception text can carry the URL; its type is enough to act on.
            log.warning("response_url POST to %s failed: %s", _where(url), type(exc).__name__)
            return False
        if response.is_success:
            return True
        log.warning(
            "response_url POST to %s refused: HTTP %d %.200s",
            _where(url),
            response.status_code,
            response.text,
        )
        return False

    @asynccontextmanager
    async def guard(self, url: str, what: str) -> AsyncIterator[None]:
        """Log any failure of an answer (Bolt would swallow it) and tell the user, best effort."""
        try:
            yield
        except Exception:
            log.exception("answering %s failed", what)
            await self.post(
                url, {"response_type": "ephemeral", "replace_original": False, "text": OOPS}
            )


def _clicked(body: Mapping[str, Any]) -> tuple[str, str]:
    """(command text, clicking user id) of a block_actions payload."""
    (action, *_) = body["actions"]
    return str(action.get("value") or ""), str(body["user"]["id"])


def build_app(
    *,
    runtime: Runtime,
    bot_token: str | None,
    signing_secret: str,
    api_url: str,
    http: httpx.AsyncClient,
) -> AsyncApp:
    """The Bolt app: listeners for `/agentstate` and the reply buttons.

    No request waits on the Web API: Bolt's usual single-workspace authorization calls
    auth.test on the first request (inside Slack's 3 s, and failing every command while the
    Web API is unreachable), so `authorize` here just hands the token over; `check_token`
    verifies it once at start instead.

    Args:
        runtime: what answers (query, simulated, zone).
        bot_token: the bot token (SLACK_BOT_TOKEN), for listeners' `client`; replies do not
            need it (they go to response_url). May be None.
        signing_secret: verifies every HTTP request; must not be empty (in Socket Mode, where
            nothing is signed, pass any unguessable value).
        api_url: the Slack Web API root (SLACK_API_URL), e.g. "https://slack.com/api/".
        http: the one long-lived client every response_url POST goes through.
    """
    if not signing_secret:
        raise ValueError("a signing secret is required: without one anyone could sign requests")
    # addFilter keeps one copy of each: building several apps adds nothing more.
    logging.getLogger("httpx").addFilter(_HIDE_RESPONSE_URLS)
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_TOKEN_UNUSED_WARNINGS)
    logging.getLogger("slack_bolt.RequestVerification").addFilter(_HIDE_REFUSED_BODIES)

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=bot_token
        )

    app = AsyncApp(
        name="agentstate",
        # A client without a token: the token rides in `authorize`, and with a client given,
        # Bolt ignores a SLACK_BOT_TOKEN it finds in the environment.
        client=AsyncWebClient(base_url=_api_root(api_url)),
        signing_secret=signing_secret,
        authorize=authorize,
        request_verification_enabled=True,
        process_before_response=True,
    )
    app.listener_runner.lazy_listener_runner = _TrackedLazyRunner(app.logger, _DRAIN_SECONDS)
    replier = _Replier(runtime, http)

    async def acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def answer_command(body: dict[str, Any]) -> None:
        url = str(body.get("response_url") or "")
        text = unescape(str(body.get("text") or ""))
        started = time.perf_counter()
        async with replier.guard(url, "a command"):
            blocks, fallback = await replier.render(text)
            posted = await replier.post(
                url, {"response_type": "ephemeral", "blocks": blocks, "text": fallback}
            )
            log.info(
                "answered %s %r in %.0f ms%s",
                COMMAND,
                text[:200],
                (time.perf_counter() - started) * 1000,
                "" if posted else " (not delivered)",
            )

    async def answer_again(body: dict[str, Any]) -> None:
        url = str(body.get("response_url") or "")
        async with replier.guard(url, "a button"):
            text, _ = _clicked(body)
            blocks, fallback = await replier.render(text)
            await replier.post(url, {"replace_original": True, "blocks": blocks, "text": fallback})

    async def share(body: dict[str, Any]) -> None:
        url = str(body.get("response_url") or "")
        async with replier.guard(url, "a share"):
            text, user_id = _clicked(body)
            blocks, fallback = await replier.render(text, shared_by=user_id)
            shared = await replier.post(
                url,
                {
                    "response_type": "in_channel",
                    "replace_original": False,
                    "blocks": blocks,
                    "text": fallback,
                },
            )
            if shared:  # keep the private copy if the channel did not get one
                await replier.post(url, {"delete_original": True})

    app.command(COMMAND)(ack=acknowledge, lazy=[answer_command])
    app.action(REFRESH)(ack=acknowledge, lazy=[answer_again])
    app.action(RUN)(ack=acknowledge, lazy=[answer_again])
    app.action(SHARE)(ack=acknowledge, lazy=[share])
    return app


def build_web_app(app: AsyncApp) -> web.Application:
    """One aiohttp application: POST /slack/events (Bolt), GET /healthz and GET /readyz.

    Stopping it (AppRunner.cleanup) first finishes the answers already acked, for up to 10 s.
    """

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        # Built means ready: the runtime (and the simulator) exist before the app does, and
        # VCC being down is an answer ("VCC isn't answering"), not a reason to take no traffic.
        return web.Response(text="ready")

    async def finish_answers(_: web.Application) -> None:
        await _drain(app)

    web_app = web.Application()
    web_app.add_routes(
        [web.post(EVENTS_PATH, events), web.get("/healthz", healthz), web.get("/readyz", readyz)]
    )
    web_app.on_shutdown.append(finish_answers)
    return web_app


async def _drain(app: AsyncApp) -> None:
    runner = app.listener_runner.lazy_listener_runner
    if isinstance(runner, _TrackedLazyRunner):
        await runner.drain()


def _api_root(api_url: str) -> str:
    return api_url.rstrip("/") + "/"


async def check_token(bot_token: str, api_url: str) -> None:
    """Ask Slack who the bot is (auth.test), once, before serving: a refused token stops the
    start instead of passing unnoticed.

    Raises:
        ConfigError: Slack refused SLACK_BOT_TOKEN. When Slack cannot be reached, this only
            warns: commands do not need the Web API.
    """
    client = AsyncWebClient(token=bot_token, base_url=_api_root(api_url))
    try:
        who = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "refused")
        raise ConfigError("SLACK_BOT_TOKEN", f"Slack refused the token ({error})") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not reach Slack to check the bot token: %s", type(exc).__name__)
        return
    log.info("Slack: signed in as bot user %s in team %s", who.get("user_id"), who.get("team_id"))


async def serve_http(app: AsyncApp, port: int, *, host: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve the web app on host:port until cancelled; then stop cleanly (answers already
    acked are finished first)."""
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Slack over HTTP: listening on %s:%d%s", host, port, EVENTS_PATH)
        await asyncio.Event().wait()  # until cancelled
    finally:
        await runner.cleanup()


async def serve_socket_mode(app: AsyncApp, app_token: str) -> None:
    """Take Slack's requests over Socket Mode until cancelled (no public URL needed); answers
    already acked are finished before it returns.

    Raises:
        ConfigError: Slack refused the app-level token (SLACK_APP_TOKEN).
    """
    handler = AsyncSocketModeHandler(app, app_token)
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
        await _drain(app)


async def serve(runtime: Runtime, settings: Settings) -> None:
    """Check the bot token, build the app from Settings and serve it until cancelled: Socket
    Mode with SLACK_APP_TOKEN, else HTTP on PORT.

    Raises:
        ConfigError: Slack refused a token.
    """
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN", "is required to serve Slack")
    bot_token = settings.slack_bot_token.get_secret_value()
    await check_token(bot_token, settings.slack_api_url)
    signing = settings.slack_signing_secret
    # Socket Mode requests are not signed, so there may be no secret; Bolt still wants one.
    secret = signing.get_secret_value() if signing else secrets.token_hex(32)
    async with httpx.AsyncClient(timeout=10.0) as http:
        app = build_app(
            runtime=runtime,
            bot_token=bot_token,
            signing_secret=secret,
            api_url=settings.slack_api_url,
            http=http,
        )
        if settings.slack_app_token is not None:
            await serve_socket_mode(app, settings.slack_app_token.get_secret_value())
        else:
            await serve_http(app, settings.port)
