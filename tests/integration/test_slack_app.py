"""The Slack front door built and served, on loopback: the Bolt app, its one Web API client,
the HTTP endpoints, request verification, the token check, Socket Mode and the log filters.

What the answers say is in test_slack_commands.py and test_slack_buttons.py; the fixtures and
the served app are tests/support/slack_app.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import App
from bot.errors import ConfigError
from bot.format import escape
from bot.slack.lazy import drain
from bot.slack.logfilters import install_log_filters
from bot.slack.register import build_bolt_app
from bot.slack.serve import check_token, serve, serve_socket_mode
from tests.support.slack import FORM, Recorder, Signer, all_text, command_body
from tests.support.slack_app import (
    APP_TOKEN,
    BOT_TOKEN,
    SECRET,
    Clients,
    Names,
    Slack,
    aimed_at,
    simulated_slack_app,
)

# One event loop for the module's async tests, so the App (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")


@shared_loop
class TestBuildApp:
    async def test_refuses_an_empty_signing_secret(self, app: App, clients: Clients) -> None:
        """An app without a signing secret would accept anyone's requests: refused at build."""
        with pytest.raises(ValueError, match="signing secret"):
            build_bolt_app(app, clients.app, signing_secret="")

    async def test_the_app_is_a_bolt_app(self, app: App, clients: Clients) -> None:
        """build_bolt_app returns a Bolt AsyncApp that answers before it is done (lazy
        listeners)."""
        bolt = build_bolt_app(app, clients.app, signing_secret=SECRET)
        assert isinstance(bolt, AsyncApp)
        assert bolt.process_before_response

    @pytest.mark.usefixtures("log_filters")
    async def test_quiet_about_the_token_in_the_environment(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """With SLACK_BOT_TOKEN set (as in production) and the log filters installed (as the
        composition root installs them), building the app warns of nothing: Bolt's "token
        will be unused" is by design here."""
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
        with caplog.at_level(logging.WARNING):
            build_bolt_app(aimed_at(app, recorder), clients.app, signing_secret=SECRET)
        assert caplog.records == []

    async def test_building_the_app_installs_no_log_filter(
        self, app: App, clients: Clients
    ) -> None:
        """Building the Bolt app leaves logging alone: the composition root installs the
        filters, once (bot/__main__.py)."""
        names = ("httpx", "slack_bolt.AsyncApp", "slack_bolt.RequestVerification")
        before = {n: list(logging.getLogger(n).filters) for n in names}
        build_bolt_app(app, clients.app, signing_secret=SECRET)
        assert {n: list(logging.getLogger(n).filters) for n in names} == before


@shared_loop
class TestOneWebApiClient:
    async def test_bolt_uses_the_apps_client(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Bolt's client is the App's one Web API client, and each request's client (Bolt's
        copy of it) has its base URL and the bot token."""
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        bolt = build_bolt_app(aimed, clients.app, signing_secret=SECRET)
        assert bolt.client is aimed.slack
        seen: list[Any] = []

        async def look(req: AsyncBoltRequest, resp: BoltResponse, next: Any) -> None:
            seen.append(req.context.client)
            await next()

        bolt.use(look)
        body = command_body("help", response_url=recorder.response_url())
        request = AsyncBoltRequest(body=body, headers=Signer(SECRET).headers(body))
        assert (await bolt.async_dispatch(request)).status == 200
        await drain(bolt)  # the answer, so nothing posts after the recorder stops
        (client,) = seen
        assert client.base_url == aimed.slack.base_url == recorder.api_url
        assert client.token == BOT_TOKEN

    async def test_serve_checks_the_token_with_the_one_client(self, recorder: Recorder) -> None:
        """`serve(app)` signs in with the App's Web API client (auth.test once, with the bot
        token, at SLACK_API_URL), then answers over Socket Mode without another Web API call
        than opening the socket."""
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": recorder.api_url,
        }
        async with simulated_slack_app(**env) as built:
            serving = asyncio.create_task(serve(built))
            try:
                socket = await recorder.socket()
                url = recorder.response_url()
                payload = dict(parse_qsl(command_body("help", response_url=url)))
                envelope = {"envelope_id": "e1", "type": "slash_commands", "payload": payload}
                await socket.send_json(envelope)
                (answer,) = await recorder.wait_for(url)
            finally:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
        assert "who" in all_text(answer)
        (auth,) = [r for r in recorder.requests if r.path == "/api/auth.test"]
        assert auth.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
        api = [r.path for r in recorder.requests if r.path.startswith("/api/")]
        assert api == ["/api/auth.test", "/api/apps.connections.open"]

    async def test_serve_needs_a_bot_token(self, app: App) -> None:
        """Without SLACK_BOT_TOKEN (so no Web API client) there is nothing to serve Slack with."""
        assert app.slack is None
        with pytest.raises(ConfigError) as caught:
            await serve(app)
        assert caught.value.variable == "SLACK_BOT_TOKEN"


@shared_loop
class TestHttpEndpoints:
    async def test_health_and_readiness(self, slack: Slack) -> None:
        """GET /healthz and /readyz answer 200 while the app serves."""
        async with httpx.AsyncClient(base_url=slack.base_url) as http:
            health = await http.get("/healthz")
            ready = await http.get("/readyz")
        assert (health.status_code, health.text) == (200, "ok")
        assert ready.status_code == 200

    async def test_slacks_ssl_check_gets_200(self, slack: Slack) -> None:
        """Slack's certificate probe (ssl_check=1) is answered 200 and runs nothing."""
        response = await slack.send.post("ssl_check=1&token=x", {"Content-Type": FORM})
        assert response.status_code == 200
        assert [r for r in slack.recorder.requests if not r.path.startswith("/api/")] == []

    async def test_unknown_path_is_404(self, slack: Slack) -> None:
        """Only /slack/events takes POSTs."""
        async with httpx.AsyncClient(base_url=slack.base_url) as http:
            response = await http.post("/other", content="x")
        assert response.status_code in (404, 405)


@shared_loop
class TestRequestVerification:
    async def test_unsigned_request_is_401(self, slack: Slack) -> None:
        """A command without Slack's signature headers is refused and never answered."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        response = await slack.send.post(body, {"Content-Type": FORM})
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []

    async def test_bad_signature_is_401(self, slack: Slack) -> None:
        """A body signed with another secret is refused."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        response = await slack.send.post(body, Signer("not-the-secret").headers(body))
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []

    async def test_tampered_body_is_401(self, slack: Slack) -> None:
        """A signature over one body does not pass for another."""
        url = slack.recorder.response_url()
        signed = Signer(SECRET).headers(command_body("help", response_url=url))
        response = await slack.send.post(command_body("teams", response_url=url), signed)
        assert response.status_code == 401

    @pytest.mark.usefixtures("log_filters")
    async def test_stale_timestamp_is_401(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A correctly signed request from 6 minutes ago is a replay: refused, and its
        response_url (still live for 30 minutes) is not written to the logs."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        stale = Signer(SECRET).headers(body, timestamp=int(time.time()) - 6 * 60)
        with caplog.at_level(logging.DEBUG, logger="slack_bolt.RequestVerification"):
            response = await slack.send.post(body, stale)
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []
        assert "Invalid request signature" in caplog.text
        assert urlsplit(url).path.rsplit("/", 1)[-1] not in caplog.text


@shared_loop
class TestStartup:
    async def test_a_good_token_passes(self, app: App, recorder: Recorder) -> None:
        """Before serving, the bot token is checked once with auth.test."""
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        await check_token(aimed.slack)
        (call,) = [r for r in recorder.requests if r.path == "/api/auth.test"]
        assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"

    async def test_a_refused_token_stops_the_start(self, app: App, recorder: Recorder) -> None:
        """A token Slack refuses is a configuration error naming SLACK_BOT_TOKEN, without the
        token itself."""
        recorder.api_answers["auth.test"] = {"ok": False, "error": "invalid_auth"}
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        with pytest.raises(ConfigError) as caught:
            await check_token(aimed.slack)
        assert caught.value.variable == "SLACK_BOT_TOKEN"
        assert "invalid_auth" in caught.value.problem
        assert BOT_TOKEN not in str(caught.value)

    async def test_slack_unreachable_only_warns(
        self, app: App, caplog: pytest.LogCaptureFixture
    ) -> None:
        """If Slack cannot be reached at start, the bot starts anyway (answers do not need
        the Web API) and says why."""
        async with Recorder() as gone:
            aimed = aimed_at(app, gone)
        assert aimed.slack is not None
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            await check_token(aimed.slack)
        assert "could not reach Slack" in caplog.text


@shared_loop
class TestSocketMode:
    @contextlib.asynccontextmanager
    async def _serve(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> AsyncIterator[asyncio.Task[None]]:
        bolt = build_bolt_app(aimed_at(app, recorder), clients.app, signing_secret=SECRET)
        serving = asyncio.create_task(serve_socket_mode(bolt, APP_TOKEN))
        try:
            yield serving
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving

    async def test_a_command_over_socket_mode(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """With an app-level token the bot connects out over a WebSocket, acks each envelope
        on it, and answers through the response_url as in HTTP mode."""
        async with self._serve(app, recorder, clients):
            socket = await recorder.socket()
            url = recorder.response_url()
            payload = dict(parse_qsl(command_body("help", response_url=url)))
            await socket.send_json(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            (ack,) = await recorder.wait_for("/socket")
            (answer,) = await recorder.wait_for(url)
        assert ack["envelope_id"] == "env-1"
        assert not ack.get("payload")  # an empty ack: Slack shows nothing until the answer
        assert answer["response_type"] == "ephemeral"
        assert "who" in all_text(answer)
        (opened,) = [r for r in recorder.requests if r.path == "/api/apps.connections.open"]
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"

    async def test_stopping_finishes_the_answers_already_acked(
        self, app: App, recorder: Recorder, clients: Clients, names: Names
    ) -> None:
        """Cancelling Socket Mode while an acked answer waits on a slow VCC still posts it."""
        assert app.sim is not None
        async with self._serve(app, recorder, clients):
            socket = await recorder.socket()
            url = recorder.response_url()
            app.sim.hang_next(1, seconds=0.5)
            payload = dict(parse_qsl(command_body(names.agents[3].name, response_url=url)))
            await socket.send_json(
                {"envelope_id": "env-2", "type": "slash_commands", "payload": payload}
            )
            await recorder.wait_for("/socket")  # acked
        (answer,) = recorder.posts(url)
        assert escape(names.agents[3].name) in all_text(answer)

    async def test_a_refused_app_token_stops_the_start(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Slack refusing the app-level token is a configuration error, not endless retries."""
        recorder.api_answers["apps.connections.open"] = {"ok": False, "error": "invalid_auth"}
        bolt = build_bolt_app(aimed_at(app, recorder), clients.app, signing_secret=SECRET)
        with pytest.raises(ConfigError) as caught:
            await serve_socket_mode(bolt, APP_TOKEN)
        assert caught.value.variable == "SLACK_APP_TOKEN"
        assert APP_TOKEN not in str(caught.value)


class TestLogFilters:
    def test_installing_twice_adds_nothing(self, log_filters: None) -> None:
        """install_log_filters is idempotent: a second call attaches no second copy."""
        loggers = [logging.getLogger(n) for n in ("httpx", "slack_bolt.AsyncApp")]
        before = [len(lg.filters) for lg in loggers]
        install_log_filters()
        assert [len(lg.filters) for lg in loggers] == before
        assert all(n >= 1 for n in before)
