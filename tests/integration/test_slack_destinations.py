"""`ResponseUrl` as a `Destination`: the exact bodies it POSTs to a loopback response_url, and
how it fails (False, logged without the URL's path, never raised)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.slack.destinations import Destination, Message, ResponseUrl
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
        destination: Destination = ResponseUrl(clients.app, url)  # mypy: the protocol fits
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
