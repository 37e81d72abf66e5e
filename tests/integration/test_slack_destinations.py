"""`ResponseUrl` as a `Destination`: the exact bodies it POSTs to a loopback response_url, and
how it fails (False, logged without the URL's path, never raised)."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import pytest

from bot.slack.destinations import (
    LIFETIME,
    USES,
    Destination,
    Message,
    ResponseUrl,
    ResponseUrls,
)
from bot.slack.poster import answer_session
from tests.fakes import Sleeps
from tests.support.slack import Recorder
from tests.support.slack_app import Clients

shared_loop = pytest.mark.asyncio(loop_scope="module")

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Chloë* — Available"}}]
MESSAGE = Message("Chloë: Available", BLOCKS)


def _wire(payload: dict[str, Any]) -> str:
    """A JSON body as httpx sends it: compact, UTF-8, keys in the order given."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


@shared_loop
class TestResponseUrl:
    def _to(self, clients: Clients, url: str) -> Destination:
        # Retries wait through a recording sleep: no test waits on a real backoff.
        destination: Destination = ResponseUrl(clients.app, url, sleep=Sleeps())
        assert isinstance(destination, Destination)
        return destination

    async def test_reply_is_private_by_default(self, clients: Clients, recorder: Recorder) -> None:
        """The answer to a command: ephemeral, its blocks and fallback text, nothing else."""
        url = recorder.response_url()
        assert await self._to(clients, url).reply(MESSAGE)
        expected = {"response_type": "ephemeral", "blocks": BLOCKS, "text": MESSAGE.text}
        assert recorder.raw_posts(url) == [_wire(expected)]

    async def test_a_public_reply_is_in_channel(self, clients: Clients, recorder: Recorder) -> None:
        """A public reply is posted for the whole channel."""
        url = recorder.response_url()
        assert await self._to(clients, url).reply(MESSAGE, public=True)
        (posted,) = recorder.posts(url)
        assert posted["response_type"] == "in_channel"

    async def test_post_leaves_the_original(self, clients: Clients, recorder: Recorder) -> None:
        """A further message says it does not replace the one the click came from."""
        url = recorder.response_url("actions")
        assert await self._to(clients, url).post(MESSAGE, public=True)
        expected = {
            "response_type": "in_channel",
            "replace_original": False,
            "blocks": BLOCKS,
            "text": MESSAGE.text,
        }
        assert recorder.raw_posts(url) == [_wire(expected)]

    async def test_a_message_without_blocks_is_its_text(
        self, clients: Clients, recorder: Recorder
    ) -> None:
        """A text-only message (the apology) has no blocks key at all."""
        url = recorder.response_url()
        assert await self._to(clients, url).post(Message("Sorry."))
        expected = {"response_type": "ephemeral", "replace_original": False, "text": "Sorry."}
        assert recorder.raw_posts(url) == [_wire(expected)]

    async def test_replace_and_delete_act_on_the_original(
        self, clients: Clients, recorder: Recorder
    ) -> None:
        """`replace` puts the message in the original's place; `delete` removes it."""
        url = recorder.response_url("actions")
        destination = self._to(clients, url)
        assert await destination.replace(MESSAGE)
        assert await destination.delete()
        replaced = {"replace_original": True, "blocks": BLOCKS, "text": MESSAGE.text}
        deleted = {"delete_original": True}
        assert recorder.raw_posts(url) == [_wire(replaced), _wire(deleted)]

    async def test_refused_is_false_and_logged_without_the_path(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Slack refusing a post (a used-up URL) returns False and logs the status and the
        reason, with the host but not the path (a capability to post)."""
        url = recorder.response_url()
        recorder.refuse(url, 404, "expired_url")
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await self._to(clients, url).reply(MESSAGE)
        assert "404" in caplog.text
        assert "expired_url" in caplog.text
        assert "127.0.0.1" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_unreachable_is_false_and_logged_without_the_path(
        self, clients: Clients, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A response_url that cannot be reached returns False and logs only the error type."""
        async with Recorder() as gone:
            url = gone.response_url()
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await self._to(clients, url).delete()
        assert "ConnectError" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_repr_hides_the_path(self) -> None:
        """Printing a destination (a debugger, an f-string in a log) shows only the host."""
        url = "https://hooks.slack.com/commands/T1/2/s3cr3t"
        text = repr(ResponseUrl(None, url))  # type: ignore[arg-type]  # no client needed
        assert "hooks.slack.com" in text
        assert "s3cr3t" not in text


class Clock:
    """A monotonic clock that the recording sleep moves forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay


@shared_loop
class TestRetries:
    """A post Slack did not take for a passing reason is tried again, within Slack's limits:
    5 uses of a response_url, 30 minutes from the request."""

    def _to(self, clients: Clients, url: str, clock: Clock) -> ResponseUrl:
        return ResponseUrl(clients.app, url, sleep=clock.sleep, now=clock)

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    async def test_a_server_error_is_retried_after_a_backoff(
        self, clients: Clients, recorder: Recorder, status: int
    ) -> None:
        """A 5xx answer is tried again after a short backoff; the second try delivers."""
        url, clock = recorder.response_url(), Clock()
        recorder.fail_next(url, status)
        assert await self._to(clients, url, clock).reply(MESSAGE)
        assert len(recorder.posts(url)) == 2
        (delay,) = clock.delays
        assert 0 <= delay <= 0.5

    async def test_429_waits_as_long_as_slack_asks(
        self, clients: Clients, recorder: Recorder
    ) -> None:
        """A 429 is tried again after its Retry-After (fractions too), not sooner."""
        url, clock = recorder.response_url(), Clock()
        recorder.fail_next(url, 429, 429, retry_after="2.5")
        assert await self._to(clients, url, clock).reply(MESSAGE)
        assert clock.delays == [2.5, 2.5]
        assert len(recorder.posts(url)) == 3

    async def test_a_timeout_is_retried(self, recorder: Recorder) -> None:
        """A post Slack does not answer in time is tried again."""
        url, clock = recorder.response_url(), Clock()
        release = recorder.hold_next(url)
        async with httpx.AsyncClient(timeout=0.2) as impatient:
            assert await ResponseUrl(impatient, url, sleep=clock.sleep, now=clock).reply(MESSAGE)
        release.set()
        assert len(recorder.posts(url)) == 2
        assert len(clock.delays) == 1

    async def test_never_more_than_five_uses(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A response_url that keeps failing is tried 5 times in all, counting the uses the
        reply already spent, then given up with a log line saying why."""
        url, clock = recorder.response_url("actions"), Clock()
        recorder.fail_next(url, 500, 500, 200, *[503] * 10)
        destination = self._to(clients, url, clock)
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert await destination.replace(MESSAGE)  # third try: 2 uses left
            assert not await destination.delete()
        assert len(recorder.posts(url)) == USES == 5
        assert "5 uses" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_never_past_thirty_minutes(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """No retry is made once the response_url would have expired (30 minutes after the
        request); the drop is logged."""
        url, clock = recorder.response_url(), Clock()
        destination = self._to(clients, url, clock)
        clock.now = 29 * 60 + 58  # the answer took long; a backoff would pass 30 minutes
        recorder.fail_next(url, 429, retry_after="5")
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await destination.reply(MESSAGE)
        assert len(recorder.posts(url)) == 1
        assert clock.delays == []
        assert "30 min" in caplog.text

    async def test_nothing_is_posted_past_thirty_minutes(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An answer ready only after the response_url expired (it waited in the queue, VCC
        was slow) is not posted at all, not even once; the destination says it has expired,
        and the drop is logged without the URL's path."""
        url, clock = recorder.response_url(), Clock()
        destination = self._to(clients, url, clock)
        clock.now = LIFETIME - 1
        assert not destination.expired()
        clock.now = LIFETIME
        assert destination.expired()
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await destination.reply(MESSAGE)
        assert recorder.posts(url) == []
        assert "30 min" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_a_closed_client_is_a_logged_drop(
        self, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A post made after stopping closed the response_url client (a late notice) returns
        False with a warning, not a RuntimeError traceback."""
        url, clock = recorder.response_url(), Clock()
        closed = httpx.AsyncClient()
        await closed.aclose()
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await ResponseUrl(closed, url, sleep=clock.sleep, now=clock).post(MESSAGE)
        assert "client is closed" in caplog.text
        assert urlsplit(url).path not in caplog.text
        assert recorder.posts(url) == []
        assert clock.delays == []

    async def test_a_wait_longer_than_half_a_minute_is_not_sat_out(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A Retry-After past 30 s drops the post (logged) rather than tie up a worker or
        retry sooner than asked."""
        url, clock = recorder.response_url(), Clock()
        recorder.fail_next(url, 429, retry_after="120")
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await self._to(clients, url, clock).reply(MESSAGE)
        assert len(recorder.posts(url)) == 1
        assert clock.delays == []
        assert "asked to wait 120 s" in caplog.text

    @pytest.mark.parametrize("status", [400, 403, 404, 410])
    async def test_a_refusal_is_not_retried(
        self, clients: Clients, recorder: Recorder, status: int
    ) -> None:
        """Slack refusing the post itself (bad blocks, an expired URL) is final: one try."""
        url, clock = recorder.response_url(), Clock()
        recorder.fail_next(url, status)
        assert not await self._to(clients, url, clock).reply(MESSAGE)
        assert len(recorder.posts(url)) == 1
        assert clock.delays == []


@shared_loop
class TestOpening:
    """Only Slack's own response_urls are posted to: hooks.slack.com over https, or the host
    of the configured SLACK_API_URL (a local Web API in tests and staging)."""

    async def test_the_configured_api_host_is_posted_to(
        self, clients: Clients, recorder: Recorder
    ) -> None:
        urls = ResponseUrls(clients.app, api_url=recorder.api_url, sleep=Sleeps())
        url = recorder.response_url()
        assert await urls.open(url).reply(MESSAGE)
        assert len(recorder.posts(url)) == 1

    @pytest.mark.parametrize(
        "bad",
        [
            "",
            "not a url",
            "https://evil.example/commands/T1/2/s3cr3t",
            "http://hooks.slack.com/commands/T1/2/s3cr3t",
            "https://hooks.slack.com.evil.example/commands/T1/2/s3cr3t",
            "https://user@hooks.slack.com/commands/T1/2/s3cr3t",
            "{local}",
        ],
    )
    async def test_anything_else_is_refused_before_a_request(
        self, clients: Clients, recorder: Recorder, caplog: pytest.LogCaptureFixture, bad: str
    ) -> None:
        """A response_url elsewhere (another host, http to Slack, another port on the local
        host) is refused without a request, and logged without its path."""
        elsewhere = recorder.base_url.replace("127.0.0.1", "localhost") + "/commands/T1/2/s3cr3t"
        url = bad.format(local=elsewhere)
        urls = ResponseUrls(clients.app, api_url=recorder.api_url, sleep=Sleeps())
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await urls.open(url).reply(MESSAGE)
        assert recorder.requests == []
        assert "refused" in caplog.text
        assert "s3cr3t" not in caplog.text

    async def test_slacks_own_host_is_accepted(self, clients: Clients) -> None:
        """hooks.slack.com over https is opened as a ResponseUrl (no request made here)."""
        urls = ResponseUrls(clients.app, api_url="https://slack.com/api/", sleep=Sleeps())
        assert isinstance(urls.open("https://hooks.slack.com/commands/T1/2/x"), ResponseUrl)


class RefuseFirstConnection(httpx.AsyncBaseTransport):
    """A transport whose first request fails before it is sent (no connection made)."""

    def __init__(self) -> None:
        self._real = httpx.AsyncHTTPTransport()
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.refused:
            self.refused += 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()


@shared_loop
class TestPublicPosts:
    """A public post is a new message in the channel: tried again only when Slack cannot have
    taken it (no connection was made, or 429), never after it may have posted it (a timeout
    waiting for the answer, a 5xx), which would post it in the channel twice."""

    def _to(self, http: httpx.AsyncClient, url: str, clock: Clock) -> ResponseUrl:
        return ResponseUrl(http, url, sleep=clock.sleep, now=clock)

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    @pytest.mark.parametrize("how", ["post", "reply"])
    async def test_a_server_error_is_not_retried(
        self,
        clients: Clients,
        recorder: Recorder,
        caplog: pytest.LogCaptureFixture,
        status: int,
        how: str,
    ) -> None:
        """A 5xx to a public post (Share) is not tried again: one post, False, logged why."""
        url, clock = recorder.response_url("actions"), Clock()
        recorder.fail_next(url, status)
        destination = self._to(clients.app, url, clock)
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await getattr(destination, how)(MESSAGE, public=True)
        assert len(recorder.posts(url)) == 1
        assert clock.delays == []
        assert f"HTTP {status}; not tried again" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_a_read_timeout_is_not_retried(
        self, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A public post Slack received but did not answer in time is not posted again."""
        url, clock = recorder.response_url("actions"), Clock()
        release = recorder.hold_next(url)
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            async with httpx.AsyncClient(timeout=0.2) as impatient:
                assert not await self._to(impatient, url, clock).post(MESSAGE, public=True)
        release.set()
        assert len(recorder.posts(url)) == 1
        assert clock.delays == []
        assert "ReadTimeout; not tried again" in caplog.text

    async def test_429_is_retried(self, clients: Clients, recorder: Recorder) -> None:
        """A 429 means Slack did not post it: the public post is tried again, as asked."""
        url, clock = recorder.response_url("actions"), Clock()
        recorder.fail_next(url, 429, retry_after="2")
        assert await self._to(clients.app, url, clock).post(MESSAGE, public=True)
        assert len(recorder.posts(url)) == 2
        assert clock.delays == [2.0]

    async def test_a_refused_connection_is_retried(self, recorder: Recorder) -> None:
        """No connection made means nothing sent: the public post is tried again."""
        url, clock = recorder.response_url("actions"), Clock()
        transport = RefuseFirstConnection()
        async with httpx.AsyncClient(transport=transport) as http:
            assert await self._to(http, url, clock).post(MESSAGE, public=True)
        assert transport.refused == 1
        assert len(recorder.posts(url)) == 1
        assert len(clock.delays) == 1

    async def test_a_private_answer_is_still_retried_after_a_timeout(
        self, recorder: Recorder
    ) -> None:
        """A private reply, a replace or a delete may be tried again after a timeout: a repeat
        shows the asker nothing new."""
        url, clock = recorder.response_url("actions"), Clock()
        release = recorder.hold_next(url)
        async with httpx.AsyncClient(timeout=0.2) as impatient:
            assert await self._to(impatient, url, clock).replace(MESSAGE)
        release.set()
        assert len(recorder.posts(url)) == 2


def _nothing_listening() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@shared_loop
class TestOverAiohttp:
    """The answers' own client (`answer_client`: aiohttp's, a tenth of httpx's CPU a post)
    behaves as httpx's does: the same bytes, the same failures, the same retries."""

    def _to(self, http: aiohttp.ClientSession, url: str, clock: Clock) -> ResponseUrl:
        return ResponseUrl(http, url, sleep=clock.sleep, now=clock)

    async def test_the_same_bytes_as_httpx(self, clients: Clients, recorder: Recorder) -> None:
        """A reply posts exactly the body httpx posts (compact UTF-8 JSON), as JSON."""
        ours, theirs = recorder.response_url(), recorder.response_url()
        async with answer_session(2) as http:
            assert await self._to(http, ours, Clock()).reply(MESSAGE)
        assert await ResponseUrl(clients.app, theirs, sleep=Sleeps()).reply(MESSAGE)
        expected = {"response_type": "ephemeral", "blocks": BLOCKS, "text": MESSAGE.text}
        assert recorder.raw_posts(ours) == recorder.raw_posts(theirs) == [_wire(expected)]
        (sent,) = [r for r in recorder.requests if r.path == urlsplit(ours).path]
        assert sent.headers["Content-Type"] == "application/json"

    async def test_429_and_5xx_are_retried(self, recorder: Recorder) -> None:
        """A 500, then a 429 with Retry-After: tried again after a backoff, then as asked."""
        url, clock = recorder.response_url(), Clock()
        recorder.fail_next(url, 500)
        recorder.fail_next(url, 429, retry_after="3")
        async with answer_session(2) as http:
            assert await self._to(http, url, clock).reply(MESSAGE)
        assert len(recorder.posts(url)) == 3
        backoff, asked = clock.delays
        assert 0 <= backoff <= 0.5
        assert asked == 3.0

    async def test_a_refusal_is_logged_with_slacks_words(
        self, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An expired response_url (404) is not tried again; Slack's words are logged."""
        url, clock = recorder.response_url(), Clock()
        recorder.refuse(url, 404, "expired_url")
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            async with answer_session(2) as http:
                assert not await self._to(http, url, clock).reply(MESSAGE)
        assert clock.delays == []
        assert "HTTP 404 expired_url" in caplog.text
        assert urlsplit(url).path not in caplog.text

    async def test_a_timeout_is_retried_when_private_only(
        self, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """No answer in time: a private reply is tried again; a public post (Slack may have
        taken it) is not, and the log says so."""
        private, public, clock = recorder.response_url(), recorder.response_url(), Clock()
        releases = [recorder.hold_next(private), recorder.hold_next(public)]
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            async with answer_session(2, timeout=0.2) as http:
                assert await self._to(http, private, clock).reply(MESSAGE)
                assert not await self._to(http, public, clock).post(MESSAGE, public=True)
        for release in releases:
            release.set()
        assert (len(recorder.posts(private)), len(recorder.posts(public))) == (2, 1)
        assert len(clock.delays) == 1
        assert "SocketTimeoutError; not tried again" in caplog.text

    async def test_no_connection_is_retried_even_when_public(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A refused connection sent nothing: even a public post is tried again, up to the
        response_url's 5 uses, then dropped with why."""
        url, clock = f"http://127.0.0.1:{_nothing_listening()}/actions/T1/1/s3cr3t", Clock()
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            async with answer_session(2) as http:
                assert not await self._to(http, url, clock).post(MESSAGE, public=True)
        assert len(clock.delays) == USES - 1
        assert "ClientConnectorError; dropped (all 5 uses spent)" in caplog.text
        assert "s3cr3t" not in caplog.text

    async def test_a_closed_session_is_a_logged_drop(
        self, recorder: Recorder, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A post after stopping closed the session is dropped with a line, not raised."""
        url, clock = recorder.response_url(), Clock()
        http = answer_session(2)
        await http.close()
        with caplog.at_level(logging.WARNING, logger="bot.slack.destinations"):
            assert not await self._to(http, url, clock).post(MESSAGE)
        assert "client is closed" in caplog.text
        assert recorder.posts(url) == []
        assert clock.delays == []
