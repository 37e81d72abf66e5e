"""`/agentstate` on its lean path (bot/slack/slash.py), through the real HTTP app on loopback:
acked inside the HTTP response and answered at the response_url without Bolt's dispatch,
while everything else (clicks, other commands, an app given more middleware) still goes
through Bolt.

What reaches the path first (signatures, stale timestamps, replays, Slack's retries, 413,
ssl_check, other workspaces) is tested on commands in test_slack_ingress.py and
test_slack_app.py; since commands take this path, those tests cover it too.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import App
from bot.slack.register import REFRESH, build_bolt_app
from bot.slack.serve import EVENTS_PATH, build_web_app, listen
from bot.slack.slash import slash_command
from tests.support.slack import Recorder, Signer, SlackSender, all_text, command_body
from tests.support.slack_app import SECRET, Clients, aimed_at, our_workspace

shared_loop = pytest.mark.asyncio(loop_scope="module")


@dataclasses.dataclass
class Served:
    send: SlackSender
    bolt: AsyncApp
    dispatched: list[AsyncBoltRequest]  # what reached Bolt's dispatch


@asynccontextmanager
async def _serve(
    built: App, recorder: Recorder, clients: Clients, *, more: Callable[..., Any] | None = None
) -> AsyncIterator[Served]:
    """The real web app for `built` on loopback, noting each request Bolt dispatches; `more`
    is a Bolt middleware added after the app is built, as `bolt.use` adds one."""
    bolt = build_bolt_app(
        built, clients.app, signing_secret=SECRET, workspaces=our_workspace(built)
    )
    if more is not None:
        bolt.use(more)
    dispatched: list[AsyncBoltRequest] = []
    dispatch = bolt.async_dispatch

    async def noting(req: AsyncBoltRequest) -> BoltResponse:
        dispatched.append(req)
        return await dispatch(req)

    bolt.async_dispatch = noting  # type: ignore[method-assign]  # a spy on this instance
    runner = await listen(build_web_app(bolt, signing_secret=SECRET), "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    send = SlackSender(
        clients.slack, f"http://{host}:{port}{EVENTS_PATH}", Signer(SECRET), recorder
    )
    try:
        yield Served(send, bolt, dispatched)
    finally:
        await runner.cleanup()


@shared_loop
class TestLeanPath:
    async def test_a_command_is_acked_inline_and_answered_without_bolt(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """A signed `/agentstate help`: an empty 200 in the HTTP response, then the answer,
        privately, at its response_url; Bolt dispatched nothing."""
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            assert slash_command(served.bolt) is not None
            response, url = await served.send.command("help")
            assert (response.status_code, response.text) == (200, "")
            (answer,) = await recorder.wait_for(url)
        assert answer["response_type"] == "ephemeral"
        assert "who" in all_text(answer)
        assert served.dispatched == []

    async def test_escaped_text_and_blank_text(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """The text is unescaped as Bolt's listener got it, and a bare `/agentstate` (empty
        text) is answered too, each once."""
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            _, escaped = await served.send.command("help <&>")
            _, blank = await served.send.command("")
            (first,) = await recorder.wait_for(escaped)
            (second,) = await recorder.wait_for(blank)
        assert first["response_type"] == second["response_type"] == "ephemeral"
        assert served.dispatched == []

    async def test_the_word_payload_in_a_command_is_still_a_command(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """A command whose text holds "payload" is answered like any other (Bolt would read
        the whole body as empty)."""
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            response, url = await served.send.command("payload")
            assert response.status_code == 200
            (answer,) = await recorder.wait_for(url)
        assert answer["response_type"] == "ephemeral"
        assert served.dispatched == []

    async def test_a_click_and_another_command_go_through_bolt(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """A button click is Bolt's to dispatch (and is answered); a command the app has no
        listener for gets Bolt's 404 and no answer."""
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            clicked, url = await served.send.click(REFRESH, "help")
            assert clicked.status_code == 200
            await recorder.wait_for(url)
            other = recorder.response_url()
            body = command_body("help", response_url=other).replace(
                "%2Fagentstate", "%2Fsomething-else"
            )
            response = await served.send.post(body)
        assert response.status_code == 404
        assert recorder.posts(other) == []
        assert len(served.dispatched) == 2

    async def test_a_middleware_added_later_sees_commands(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Once the Bolt app has a middleware `build_bolt_app` did not give it, commands go
        through Bolt again (so the middleware runs), and are answered as before."""
        seen: list[str] = []

        async def note(req: AsyncBoltRequest, resp: BoltResponse, next: Any) -> Any:
            seen.append(str(req.body.get("command")))
            return await next()

        async with _serve(aimed_at(app, recorder), recorder, clients, more=note) as served:
            response, url = await served.send.command("help")
            assert (response.status_code, response.text) == (200, "")
            (answer,) = await recorder.wait_for(url)
        assert "who" in all_text(answer)
        assert seen == ["/agentstate"]
        assert len(served.dispatched) == 1

    async def test_a_json_body_is_not_a_command(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A signed form body that starts with "{" is read as JSON (as Bolt reads it), so it
        is no command: a 400 here, as malformed, not an answer."""
        url = recorder.response_url()
        body = "{" + urlencode({"command": "/agentstate", "text": "help", "response_url": url})
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            with caplog.at_level(logging.WARNING):
                response = await served.send.post(body)
        assert response.status_code == 400
        assert recorder.posts(url) == []
