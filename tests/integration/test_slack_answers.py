"""No answer is lost, through the real HTTP app on loopback: a burst is answered exactly once
by a bounded set of workers; a full queue, a stopping server and a failing response_url each
end in a word to the asker or a retry, never in silence.

The app is served here (not by `slack_app.start`) to pass what these tests change: the answer
queue's settings, its drain grace, and a recording sleep (no test waits on a real backoff).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiohttp import web

from bot.app import App
from bot.slack.lazy import BUSY, STOPPING, answer_client
from bot.slack.register import build_bolt_app
from bot.slack.serve import EVENTS_PATH, build_web_app, listen
from tests.fakes import Sleeps
from tests.support.slack import Recorder, Signer, SlackSender, all_text
from tests.support.slack_app import SECRET, Clients, Names, aimed_at, our_workspace

shared_loop = pytest.mark.asyncio(loop_scope="module")


@dataclasses.dataclass
class Served:
    send: SlackSender
    runner: web.AppRunner
    sleeps: Sleeps


def _with(built: App, recorder: Recorder, **settings: Any) -> App:
    """`built` aimed at `recorder`, with the answer queue's settings changed."""
    aimed = aimed_at(built, recorder)
    return dataclasses.replace(aimed, settings=aimed.settings.model_copy(update=settings))


@asynccontextmanager
async def _serve(
    built: App,
    recorder: Recorder,
    clients: Clients,
    http: httpx.AsyncClient | None = None,
    **options: Any,
) -> AsyncIterator[Served]:
    """The real web app for `built` on 127.0.0.1, port 0; stopped (drained) on exit. Answers
    are posted through `http` (default: the module's client)."""
    sleeps = Sleeps()
    bolt = build_bolt_app(
        built,
        http or clients.app,
        signing_secret=SECRET,
        workspaces=our_workspace(built),
        sleep=sleeps,
        **options,
    )
    runner = await listen(build_web_app(bolt, signing_secret=SECRET), "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    events = f"http://{host}:{port}{EVENTS_PATH}"
    try:
        yield Served(SlackSender(clients.slack, events, Signer(SECRET), recorder), runner, sleeps)
    finally:
        await runner.cleanup()


async def _command(served: Served, text: str, url: str | None = None) -> str:
    response, url = await served.send.command(text, response_url=url)
    assert response.status_code == 200
    return url


@shared_loop
class TestBurst:
    async def test_every_answer_arrives_exactly_once(
        self, app: App, recorder: Recorder, clients: Clients, names: Names
    ) -> None:
        """300 commands with 32 in flight, through the production response_url client (its
        pool sized to the workers): each is answered once, in full, and no more answers are
        posted at once than there are workers."""
        mix = ["help", names.agents[0].name, "help", names.agents[1].name]  # the cheap ones
        recorder.answer_delay = 0.002  # Slack takes a moment, so posts could pile up
        gate = asyncio.Semaphore(32)

        async def one(n: int) -> str:
            async with gate:
                return await _command(served, mix[n % len(mix)])

        built = _with(app, recorder, answer_workers=4)
        async with (
            answer_client(built.settings) as http,
            _serve(built, recorder, clients, http) as served,
        ):
            urls = await asyncio.gather(*(one(n) for n in range(300)))
            for url in urls:
                await recorder.wait_for(url)
        for n, url in enumerate(urls):
            (answer,) = recorder.posts(url)  # exactly once, the drain included
            assert answer["response_type"] == "ephemeral"
            assert BUSY not in all_text(answer)
            if mix[n % len(mix)] == "help":
                assert "who" in all_text(answer)
        assert 1 <= recorder.most_in_flight <= 4

    async def test_a_full_queue_tells_the_asker_to_try_again(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With every worker busy and the queue full, a command gets a private "busy, try
        again in a moment" (logged); those queued are answered in turn once Slack is back."""
        built = _with(app, recorder, answer_workers=1, answer_queue=2)
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            async with _serve(built, recorder, clients) as served:
                first = recorder.response_url()
                release = recorder.hold_next(first)  # the one worker waits on Slack
                await _command(served, "help", first)
                await recorder.wait_for(first)
                queued = [await _command(served, "help") for _ in range(2)]
                turned = [await _command(served, "help") for _ in range(2)]
                for url in turned:
                    (busy,) = await recorder.wait_for(url)
                    assert busy == {"response_type": "ephemeral", "replace_original": False} | {
                        "text": BUSY
                    }
                release.set()
                for url in [first, *queued]:
                    (answer,) = await recorder.wait_for(url)
                    assert "who" in all_text(answer)
        assert caplog.text.count("answer queue full") == 2

    async def test_a_stopping_server_tells_who_it_cannot_answer(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Answers still running or queued when the drain's grace ends are cancelled, and each
        asker is told, once, to try again; the log says how many and why."""
        built = _with(app, recorder, answer_workers=1)
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            async with _serve(built, recorder, clients, grace=0.05) as served:
                first = recorder.response_url()
                release = recorder.hold_next(first)  # never answered in time
                await _command(served, "help", first)
                await recorder.wait_for(first)
                queued = [await _command(served, "help") for _ in range(2)]
        release.set()
        for url in queued:
            assert recorder.posts(url) == [
                {"response_type": "ephemeral", "replace_original": False, "text": STOPPING}
            ]
        _, told = recorder.posts(first)  # the cancelled answer, then the notice
        assert told["text"] == STOPPING
        assert "3 answer(s) could not finish" in caplog.text


@shared_loop
class TestNeverSilent:
    async def test_a_failed_answer_is_posted_again(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Slack answering 500, then 429 with Retry-After, gets the same answer again after
        a backoff and after the time asked; it arrives."""
        async with _serve(aimed_at(app, recorder), recorder, clients) as served:
            url = recorder.response_url()
            recorder.fail_next(url, 500)
            recorder.fail_next(url, 429, retry_after="3")
            await _command(served, "help", url)
            tried, again, answer = await recorder.wait_for(url, 3)
        assert tried == again == answer
        assert "who" in all_text(answer)
        backoff, asked = served.sleeps.delays
        assert 0 <= backoff <= 0.5
        assert asked == 3.0

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example/commands/T1/9/s3cr3t",
            "http://hooks.slack.com/commands/T1/9/s3cr3t",
        ],
    )
    async def test_a_response_url_not_slacks_is_refused(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        caplog: pytest.LogCaptureFixture,
        url: str,
    ) -> None:
        """A command whose response_url is not Slack's is acked, and nothing is posted
        anywhere; the refusal is logged without the URL's path."""
        with caplog.at_level(logging.INFO):
            async with _serve(aimed_at(app, recorder), recorder, clients) as served:
                await _command(served, "help", url)
        assert [r.path for r in recorder.requests] == []
        assert "refused a response_url" in caplog.text
        assert urlsplit(url).path not in caplog.text
        assert "s3cr3t" not in caplog.text
