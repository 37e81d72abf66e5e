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
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app import App
from bot.slack.destinations import LIFETIME, ResponseUrl, ResponseUrls
from bot.slack.lazy import BUSY, STOPPING, AnswerQueue, answer_client
from bot.slack.listeners import REPLIER, Replier, answer_command, expired
from bot.slack.register import build_bolt_app
from bot.slack.serve import EVENTS_PATH, build_web_app, listen
from tests.fakes import Sleeps
from tests.support.slack import Recorder, Signer, SlackSender, all_text, command_body
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


@shared_loop
class TestStopping:
    async def test_a_command_being_handled_as_the_server_stops_is_answered(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A command still being handled when the server starts to stop (SIGTERM) reaches the
        answer queue before the drain begins, and is answered within the grace: not told "I'm
        restarting", and no notice is left posting after the drain."""
        built = aimed_at(app, recorder)
        bolt = build_bolt_app(
            built, clients.app, signing_secret=SECRET, workspaces=our_workspace(built)
        )
        arrived, go = asyncio.Event(), asyncio.Event()

        async def hold(req: AsyncBoltRequest, resp: Any, next: Any) -> Any:
            arrived.set()
            await go.wait()  # until the server has begun to stop
            return await next()

        async def stopping(_: web.Application) -> None:
            go.set()

        bolt.use(hold)
        web_app = build_web_app(bolt, signing_secret=SECRET)
        web_app.on_shutdown.append(stopping)
        runner = await listen(web_app, "127.0.0.1", 0)
        host, port = runner.addresses[0][:2]
        send = SlackSender(
            clients.slack, f"http://{host}:{port}{EVENTS_PATH}", Signer(SECRET), recorder
        )
        command = asyncio.create_task(send.command("help"))
        await asyncio.wait_for(arrived.wait(), 10)
        with caplog.at_level(logging.INFO, logger="bot.slack"):
            await runner.cleanup()
        response, url = await command
        assert response.status_code == 200
        (answer,) = recorder.posts(url)  # answered by the time the drain ended
        assert "who" in all_text(answer)
        assert "finishing 1 answer(s)" in caplog.text
        assert "while stopping" not in caplog.text


def _request(replier: Replier, url: str) -> AsyncBoltRequest:
    """A command's request as Bolt hands it to the answer queue: its replier in the context."""
    request = AsyncBoltRequest(body=command_body("help", response_url=url))
    request.context[REPLIER] = replier
    return request


@shared_loop
class TestTheQueue:
    """The answer queue itself, with Bolt's requests built here and a fake clock."""

    async def test_an_answer_that_waited_past_its_response_url_is_dropped(
        self, app: App, recorder: Recorder, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An answer whose response_url expired while it waited in the queue is dropped when
        its turn comes, before any work (no VCC read, no post), and logged; the next one is
        answered."""
        now = [0.0]
        urls = ResponseUrls(clients.app, api_url=recorder.api_url, sleep=Sleeps())
        replier = Replier(aimed_at(app, recorder), urls)
        busy, late, fresh = (recorder.response_url() for _ in range(3))
        gate = asyncio.Event()

        async def slow(body: Any) -> None:
            await gate.wait()  # the one worker is busy while the clock passes 30 minutes

        def opened(url: str) -> Replier:
            destination = ResponseUrl(clients.app, url, sleep=Sleeps(), now=lambda: now[0])
            return Replier(aimed_at(app, recorder), urls, destination)

        queue = AnswerQueue(
            logging.getLogger("bolt"), _no_tell, expired=expired, workers=1, size=5, grace=1.0
        )
        queue.start(slow, _request(replier, busy))
        queue.start(answer_command, _request(opened(late), late))
        await asyncio.sleep(0)
        now[0] = LIFETIME
        queue.start(answer_command, _request(opened(fresh), fresh))
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            gate.set()
            (answer,) = await recorder.wait_for(fresh)
            await queue.drain()
        assert "who" in all_text(answer)
        assert recorder.posts(late) == []
        assert "waited past the life of its response_url; dropped" in caplog.text
        assert urlsplit(late).path not in caplog.text

    async def test_an_answer_arriving_during_the_drain_is_answered_and_after_it_dropped(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Socket Mode closes the socket, then drains; an envelope being dispatched then
        reaches the queue late. Within the grace it is answered like any other; once the drain
        has ended it is dropped with a log line, and no notice is started that nobody awaits
        (the response_url client is closed by then)."""
        told: list[str] = []
        answered: list[str] = []
        gate = asyncio.Event()

        async def tell(request: AsyncBoltRequest, text: str) -> bool:
            told.append(text)
            return True

        async def answer(body: Any) -> None:
            await gate.wait()
            answered.append(str(body["n"]))

        def request(n: int) -> AsyncBoltRequest:
            return AsyncBoltRequest(body={"n": n}, mode="socket_mode")

        queue = AnswerQueue(
            logging.getLogger("bolt"), tell, expired=_never, workers=1, size=5, grace=5.0
        )
        queue.start(answer, request(1))
        draining = asyncio.create_task(queue.drain())
        await asyncio.sleep(0)
        queue.start(answer, request(2))  # the grace is still running
        gate.set()
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            await asyncio.wait_for(draining, 5)
            queue.start(answer, request(3))  # the drain has ended
        await asyncio.sleep(0)
        assert answered == ["1", "2"]
        assert told == []
        assert "after the drain ended; dropped" in caplog.text


async def _no_tell(request: AsyncBoltRequest, text: str) -> bool:
    raise AssertionError(f"nobody is told anything here: {text!r}")


def _never(request: AsyncBoltRequest) -> bool:
    return False
