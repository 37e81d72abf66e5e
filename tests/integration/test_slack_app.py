"""The Slack front door built and served, on loopback: the Bolt app, its one Web API client,
the HTTP endpoints, request verification, the token check, Socket Mode and the log filters.

What the answers say is in test_slack_commands.py and test_slack_buttons.py; the fixtures and
the served app are tests/support/slack_app.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
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
from bot.slack.serve import EVENTS_PATH, serve, serve_socket_mode
from bot.slack.workspaces import Workspaces, check_token
from tests.fakes import Sleeps
from tests.support.slack import (
    FORM,
    TEAM_ID,
    Recorder,
    Signer,
    SlackSender,
    all_text,
    command_body,
)
from tests.support.slack_app import (
    APP_TOKEN,
    BOT_TOKEN,
    SECRET,
    Clients,
    Names,
    Slack,
    aimed_at,
    our_workspace,
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
            build_bolt_app(app, clients.app, signing_secret="", workspaces=our_workspace(app))

    async def test_the_app_is_a_bolt_app(self, app: App, clients: Clients) -> None:
        """build_bolt_app returns a Bolt AsyncApp that answers before it is done (lazy
        listeners)."""
        bolt = build_bolt_app(
            app, clients.app, signing_secret=SECRET, workspaces=our_workspace(app)
        )
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
            build_bolt_app(
                aimed_at(app, recorder),
                clients.app,
                signing_secret=SECRET,
                workspaces=our_workspace(app),
            )
        assert caplog.records == []

    async def test_building_the_app_installs_no_log_filter(
        self, app: App, clients: Clients
    ) -> None:
        """Building the Bolt app leaves logging alone: the composition root installs the
        filters, once (bot/__main__.py)."""
        names = ("httpx", "slack_bolt.AsyncApp", "slack_bolt.RequestVerification")
        before = {n: list(logging.getLogger(n).filters) for n in names}
        build_bolt_app(app, clients.app, signing_secret=SECRET, workspaces=our_workspace(app))
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
        bolt = build_bolt_app(
            aimed, clients.app, signing_secret=SECRET, workspaces=our_workspace(aimed)
        )
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
        # The token check runs beside Socket Mode: either may reach Slack first.
        assert sorted(api) == ["/api/apps.connections.open", "/api/auth.test"]

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
        assert "without a valid Slack signature" in caplog.text
        assert urlsplit(url).path.rsplit("/", 1)[-1] not in caplog.text


class _GiveUpAfter:
    """An injected `sleep` that records each delay, returns at once, and cancels the caller
    on the `n`th call: a check that would retry for ever stops there."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) >= self.n:
            raise asyncio.CancelledError


def _http_env(recorder: Recorder, port: int) -> dict[str, str]:
    """Settings that serve Slack over HTTP on `port`, the Web API aimed at `recorder`."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": recorder.api_url,
        "PORT": str(port),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@shared_loop
class TestStartup:
    async def test_a_good_token_passes_and_names_the_workspace(
        self, app: App, recorder: Recorder
    ) -> None:
        """The bot token is checked with auth.test, which says which workspace is ours."""
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        workspaces = Workspaces(())
        await check_token(aimed.slack, workspaces, sleep=Sleeps())
        (call,) = [r for r in recorder.requests if r.path == "/api/auth.test"]
        assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
        assert workspaces.own == TEAM_ID

    @pytest.mark.parametrize(
        "error", ["invalid_auth", "not_authed", "account_inactive", "token_revoked"]
    )
    async def test_a_refused_token_stops_the_start(
        self, app: App, recorder: Recorder, error: str
    ) -> None:
        """A token Slack refuses is a configuration error naming SLACK_BOT_TOKEN, without the
        token itself."""
        recorder.api_answers["auth.test"] = {"ok": False, "error": error}
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        with pytest.raises(ConfigError) as caught:
            await check_token(aimed.slack, Workspaces(()), sleep=Sleeps())
        assert caught.value.variable == "SLACK_BOT_TOKEN"
        assert error in caught.value.problem
        assert BOT_TOKEN not in str(caught.value)

    @pytest.mark.parametrize(
        ("status", "body", "headers"),
        [
            (500, "", {}),
            (503, "<html>down for maintenance</html>", {}),
            (429, '{"ok": false, "error": "ratelimited"}', {"Retry-After": "7"}),
            (200, "<html>not JSON at all</html>", {}),
            (200, '{"ok": false, "error": "internal_error"}', {}),
        ],
        ids=["500", "503", "429", "not-json", "internal-error"],
    )
    async def test_an_outage_is_not_a_bad_token(
        self,
        app: App,
        recorder: Recorder,
        status: int,
        body: str,
        headers: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Slack failing (5xx, 429, not JSON, its own internal error) is not a refusal: the
        check waits (longer each time, at least Retry-After) and asks again until Slack
        answers, then knows the workspace; the log says why, without a traceback."""
        recorder.fail("auth.test", status, body, times=2, headers=headers)
        aimed = aimed_at(app, recorder)
        assert aimed.slack is not None
        workspaces, sleeps = Workspaces(()), Sleeps()
        with caplog.at_level(logging.INFO, logger="bot.slack"):
            await check_token(aimed.slack, workspaces, sleep=sleeps)
        assert workspaces.own == TEAM_ID
        assert recorder.calls("auth.test") == 3
        assert len(sleeps.delays) == 2
        if "Retry-After" in headers:
            assert min(sleeps.delays) >= 7
        else:
            assert sleeps.delays[0] < sleeps.delays[1]
        assert "allow-list" in caplog.text
        assert not any(r.exc_info for r in caplog.records)

    async def test_slack_unreachable_keeps_checking(
        self, app: App, caplog: pytest.LogCaptureFixture
    ) -> None:
        """If Slack cannot be reached the check keeps trying, backing off (the injected sleep
        ends it here), and says why once."""
        async with Recorder() as gone:
            aimed = aimed_at(app, gone)
        assert aimed.slack is not None
        sleep = _GiveUpAfter(4)
        with (
            caplog.at_level(logging.WARNING, logger="bot.slack"),
            pytest.raises(asyncio.CancelledError),
        ):
            await check_token(aimed.slack, Workspaces(()), sleep=sleep)
        assert sleep.delays == sorted(sleep.delays)
        assert sleep.delays[0] < sleep.delays[-1]
        assert caplog.text.count("could not reach Slack") == 1

    async def test_a_hanging_auth_test_does_not_delay_listening(self, recorder: Recorder) -> None:
        """With auth.test never answering, the app is listening (and healthy) before it."""
        recorder.hang("auth.test")
        port = _free_port()
        env = _http_env(recorder, port)
        async with simulated_slack_app(**env) as built:
            serving = asyncio.create_task(serve(built, sleep=Sleeps()))
            try:
                await recorder.wait_for("/api/auth.test")
                async with httpx.AsyncClient(timeout=1.0) as http:
                    health = await http.get(f"http://127.0.0.1:{port}/healthz")
            finally:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
        assert health.status_code == 200

    async def test_start_up_is_kept_out_of_the_collectors_sight_while_serving(
        self, recorder: Recorder
    ) -> None:
        """What start-up built is frozen (gc.freeze) while the bot serves, so collections
        under load do not scan it; once serving ends it is collectable again."""
        env = _http_env(recorder, _free_port())
        async with simulated_slack_app(**env) as built:
            serving = asyncio.create_task(serve(built, sleep=Sleeps()))
            try:
                await recorder.wait_for("/api/auth.test")
                frozen = gc.get_freeze_count()
            finally:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
        assert frozen > 0
        assert gc.get_freeze_count() == 0

    async def test_serving_learns_the_workspace_once_slack_answers(
        self, recorder: Recorder, clients: Clients
    ) -> None:
        """With auth.test failing at start, the bot serves at once; when Slack answers, the
        token's workspace is answered."""
        recorder.fail("auth.test", 503, "down", times=2)
        port = _free_port()
        env = _http_env(recorder, port)
        events = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        send = SlackSender(clients.slack, events, Signer(SECRET), recorder)
        async with simulated_slack_app(**env) as built:
            serving = asyncio.create_task(serve(built, sleep=Sleeps()))
            try:
                await recorder.wait_for("/api/auth.test", 3)
                response, url = await send.command("help")
                (answer,) = await recorder.wait_for(url)
            finally:
                serving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await serving
        assert (response.status_code, response.text) == (200, "")
        assert "who" in all_text(answer)

    async def test_a_refusal_while_serving_stops_with_a_config_error(
        self, recorder: Recorder
    ) -> None:
        """The check runs beside the server; Slack refusing the token still stops `serve`
        with the configuration error (exit 2 in __main__)."""
        recorder.api_answers["auth.test"] = {"ok": False, "error": "token_revoked"}
        env = _http_env(recorder, _free_port())
        async with simulated_slack_app(**env) as built:
            with pytest.raises(ConfigError) as caught:
                await asyncio.wait_for(serve(built, sleep=Sleeps()), 5)
        assert caught.value.variable == "SLACK_BOT_TOKEN"


@shared_loop
class TestSocketMode:
    @contextlib.asynccontextmanager
    async def _serve(
        self, app: App, recorder: Recorder, clients: Clients, sleep: Sleeps | None = None
    ) -> AsyncIterator[asyncio.Task[None]]:
        bolt = build_bolt_app(
            aimed_at(app, recorder),
            clients.app,
            signing_secret=SECRET,
            workspaces=our_workspace(app),
        )
        serving = asyncio.create_task(serve_socket_mode(bolt, APP_TOKEN, sleep=sleep or Sleeps()))
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
        bolt = build_bolt_app(
            aimed_at(app, recorder),
            clients.app,
            signing_secret=SECRET,
            workspaces=our_workspace(app),
        )
        with pytest.raises(ConfigError) as caught:
            await serve_socket_mode(bolt, APP_TOKEN)
        assert caught.value.variable == "SLACK_APP_TOKEN"
        assert APP_TOKEN not in str(caught.value)

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (503, "<html>down for maintenance</html>"),
            (500, '{"ok": false, "error": "internal_error"}'),
            (200, '{"ok": false, "error": "fatal_error"}'),
        ],
        ids=["503-html", "500-json", "other-error"],
    )
    async def test_an_outage_at_start_is_retried(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        status: int,
        body: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """apps.connections.open failing (HTML 503, a JSON 5xx, an error code that is not a
        refusal) is an outage, not a bad token: asked again, backing off through the injected
        sleep, until Slack answers; no traceback."""
        recorder.fail("apps.connections.open", status, body, times=2)
        sleeps = Sleeps()
        with caplog.at_level(logging.INFO, logger="bot.slack"):
            async with self._serve(app, recorder, clients, sleeps):
                await recorder.socket()
        assert recorder.calls("apps.connections.open") == 3
        assert len(sleeps.delays) == 2
        assert sleeps.delays[0] < sleeps.delays[1]
        assert not any(r.exc_info for r in caplog.records)

    async def test_slack_unreachable_at_start_keeps_trying(
        self, app: App, clients: Clients
    ) -> None:
        """A refused connection to apps.connections.open is retried, backing off."""
        async with Recorder() as gone:
            aimed = aimed_at(app, gone)
        bolt = build_bolt_app(
            aimed, clients.app, signing_secret=SECRET, workspaces=our_workspace(app)
        )
        sleep = _GiveUpAfter(3)
        with pytest.raises(asyncio.CancelledError):
            await serve_socket_mode(bolt, APP_TOKEN, sleep=sleep)
        assert sleep.delays == sorted(sleep.delays)
        assert sleep.delays[0] < sleep.delays[-1]


class TestLogFilters:
    def test_installing_twice_adds_nothing(self, log_filters: None) -> None:
        """install_log_filters is idempotent: a second call attaches no second copy."""
        loggers = [logging.getLogger(n) for n in ("httpx", "slack_bolt.AsyncApp")]
        before = [len(lg.filters) for lg in loggers]
        install_log_filters()
        assert [len(lg.filters) for lg in loggers] == before
        assert all(n >= 1 for n in before)
