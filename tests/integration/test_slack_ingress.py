"""What reaches /slack/events before any listener runs, on the real HTTP app on loopback:
garbage (unsigned or malformed), replays and Slack's retries, other workspaces, empty clicks.

The served app and the fixtures are tests/support/slack_app.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.app import App
from bot.slack.register import SHARE
from bot.slack.workspaces import Workspaces
from tests.support.slack import FORM, TEAM_ID, Recorder, Signer, action_body, command_body
from tests.support.slack_app import SECRET, Clients, Slack, aimed_at, start

# One event loop for the module's async tests, so the App (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")

JSON = "application/json"
GARBAGE = [
    pytest.param(b"\xff\xfe\xfa not utf-8", FORM, id="invalid-utf-8"),
    pytest.param(b"{not json", JSON, id="bad-json"),
    pytest.param(b"[1, 2, 3]", JSON, id="json-array"),
    pytest.param(b"payload=%7Bnot-json", FORM, id="payload-not-json"),
    pytest.param(b"payload=%5B1%5D", FORM, id="payload-an-array"),
]
MALFORMED = [p for p in GARBAGE if p.id != "invalid-utf-8"]


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ERROR (and worse) lines logged, with whether each carried a traceback."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def settle(slack: Slack) -> None:
    """Wait until a fresh command is answered: anything sent before it has been answered by
    then too, so a test can count what did not arrive."""
    await slack.ask("help")


class Heard(logging.Handler):
    """A log handler whose `event` is set once a record containing `words` is logged."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()


@shared_loop
class TestGarbage:
    @pytest.mark.parametrize(("body", "content_type"), GARBAGE)
    async def test_unsigned_garbage_is_401_without_a_traceback(
        self, slack: Slack, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Unsigned bodies Bolt cannot parse are refused for their missing signature (401),
        before anything parses them: no 500, no ERROR line."""
        with caplog.at_level(logging.INFO):
            unsigned = await slack.send.post(body, {"Content-Type": content_type})
            forged = await slack.send.post(
                body,
                {**Signer("not-the-secret").headers(""), "Content-Type": content_type},
            )
        assert (unsigned.status_code, forged.status_code) == (401, 401)
        assert errors(caplog) == []

    @pytest.mark.parametrize(("body", "content_type"), MALFORMED)
    async def test_signed_but_malformed_is_400_without_a_traceback(
        self, slack: Slack, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A correctly signed body that is not a Slack payload (an object) is a bad request:
        400, one line, no traceback."""
        text = body.decode()
        headers = {**Signer(SECRET).headers(text), "Content-Type": content_type}
        with caplog.at_level(logging.INFO):
            response = await slack.send.post(text, headers)
        assert response.status_code == 400
        assert errors(caplog) == []
        assert not any(r.exc_info for r in caplog.records)

    async def test_a_client_leaving_mid_body_is_not_an_error(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A client that promises 1000 bytes, sends 10 and hangs up is noted, not an ERROR."""
        host, port = slack.base_url.removeprefix("http://").split(":")
        heard = Heard("mid-body")
        logging.getLogger("bot.slack").addHandler(heard)
        with caplog.at_level(logging.DEBUG):
            _, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\n0123456789"
            )
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            try:
                await asyncio.wait_for(heard.event.wait(), 1.0)
            finally:
                logging.getLogger("bot.slack").removeHandler(heard)
        assert errors(caplog) == []

    async def test_over_a_mebibyte_is_413(self, slack: Slack) -> None:
        """A body over 1 MiB is refused before it is read whole, signed or not."""
        body = "text=" + "x" * (1024 * 1024 + 1)
        response = await slack.send.post(body)
        assert response.status_code == 413

    async def test_only_a_form_body_is_an_ssl_check(self, slack: Slack) -> None:
        """Slack's certificate probe is a form body; an unsigned JSON body that happens to
        hold "&ssl_check=1&" is no probe, so it is refused for its missing signature."""
        body = b'{"a": "&ssl_check=1&"}'
        response = await slack.send.post(body, {"Content-Type": JSON})
        probe = await slack.send.post(b"ssl_check=1&token=x", {"Content-Type": FORM})
        assert (response.status_code, probe.status_code) == (401, 200)


@shared_loop
class TestReplays:
    async def test_the_same_signed_bytes_twice_are_answered_once(self, slack: Slack) -> None:
        """A signed command resent byte for byte within the 5 minutes is acked (200) and not
        run again: one answer reaches the response_url."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        headers = Signer(SECRET).headers(body)
        first = await slack.send.post(body, headers)
        again = await slack.send.post(body, headers)
        assert (first.status_code, again.status_code) == (200, 200)
        await slack.recorder.wait_for(url)
        await settle(slack)
        assert len(slack.recorder.posts(url)) == 1

    async def test_a_replayed_share_posts_to_the_channel_once(self, slack: Slack) -> None:
        """The same signed Share click twice posts to the channel once."""
        url = slack.recorder.response_url("actions")
        body = action_body(SHARE, "teams", response_url=url)
        headers = Signer(SECRET).headers(body)
        for _ in range(2):
            assert (await slack.send.post(body, headers)).status_code == 200
        await slack.recorder.wait_for(url, 2)  # posted in the channel, private copy deleted
        await settle(slack)
        public = [p for p in slack.recorder.posts(url) if p.get("response_type") == "in_channel"]
        assert len(public) == 1

    async def test_a_slack_retry_is_acked_without_running(self, slack: Slack) -> None:
        """A request Slack marks as a retry (X-Slack-Retry-Num) gets 200 and runs nothing:
        the first delivery is the one that runs."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        headers = {
            **Signer(SECRET).headers(body),
            "X-Slack-Retry-Num": "1",
            "X-Slack-Retry-Reason": "http_timeout",
        }
        response = await slack.send.post(body, headers)
        assert response.status_code == 200
        await settle(slack)
        assert slack.recorder.posts(url) == []


@shared_loop
class TestWorkspaces:
    async def _command_from(
        self, slack: Slack, team_id: str, enterprise_id: str | None = None
    ) -> tuple[int, str, str]:
        """Send a signed `/agentstate who away` from a workspace; (status, ack body, url)."""
        url = slack.recorder.response_url()
        body = command_body(
            "who away", response_url=url, team_id=team_id, enterprise_id=enterprise_id
        )
        response = await slack.send.post(body)
        return response.status_code, response.text, url

    async def test_another_workspace_gets_a_polite_refusal(self, slack: Slack) -> None:
        """A signed command from a workspace that is neither the bot token's nor allowed is
        told so, privately, and learns nothing about the floor."""
        status, ack, url = await self._command_from(slack, "T0OTHER")
        assert status == 200
        refusal = json.loads(ack)
        assert refusal["response_type"] == "ephemeral"
        assert "workspace" in refusal["text"]
        assert "blocks" not in refusal
        await settle(slack)
        assert slack.recorder.posts(url) == []

    async def test_a_click_from_another_workspace_runs_nothing(self, slack: Slack) -> None:
        """A Share click from another workspace is refused at the ack and posts nothing to
        any channel."""
        url = slack.recorder.response_url("actions")
        body = action_body(SHARE, "teams", response_url=url, team_id="T0OTHER")
        response = await slack.send.post(body)
        assert response.status_code == 200
        assert "workspace" in response.json()["text"]
        await settle(slack)
        assert slack.recorder.posts(url) == []

    @pytest.mark.parametrize(
        ("team_id", "enterprise_id"),
        [("T0ALLOWED", None), ("T0INGRID", "E0ALLOWED")],
        ids=["allowed-team", "allowed-enterprise"],
    )
    async def test_the_allow_list_is_answered(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        team_id: str,
        enterprise_id: str | None,
    ) -> None:
        """Workspaces in AGENTSTATE_ALLOWED_TEAMS, by team or by Enterprise Grid id, are
        answered like the bot token's own."""
        allowed = Workspaces(("T0ALLOWED", "E0ALLOWED"), own=TEAM_ID)
        async with start(aimed_at(app, recorder), recorder, clients, workspaces=allowed) as slack:
            status, ack, url = await self._command_from(slack, team_id, enterprise_id)
            assert (status, ack) == (200, "")
            (answer,) = await recorder.wait_for(url)
        assert answer["response_type"] == "ephemeral"
        assert "blocks" in answer

    async def test_until_auth_test_answers_only_the_allow_list(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """Before auth.test has said which workspace the token is for, even that workspace is
        asked to try again (nothing about the floor), while the allow-list is answered."""
        unsure = Workspaces(("T0ALLOWED",), own=None)
        async with start(aimed_at(app, recorder), recorder, clients, workspaces=unsure) as slack:
            status, ack, url = await self._command_from(slack, TEAM_ID)
            assert status == 200
            assert "try again" in json.loads(ack)["text"]
            allowed = await self._command_from(slack, "T0ALLOWED")
            assert allowed[:2] == (200, "")
            await recorder.wait_for(allowed[2])
        assert recorder.posts(url) == []


@shared_loop
class TestEmptyClick:
    async def test_a_click_without_actions_gets_200_and_nothing(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A block_actions payload with an empty `actions` list is acked and ignored."""
        url = slack.recorder.response_url("actions")
        body = action_body(SHARE, "teams", response_url=url, actions=[])
        with caplog.at_level(logging.INFO):
            response = await slack.send.post(body)
            assert (response.status_code, response.text) == (200, "")
            await settle(slack)
        assert slack.recorder.posts(url) == []
        assert errors(caplog) == []

    async def test_a_click_with_a_non_object_action_gets_200_and_nothing(
        self, slack: Slack
    ) -> None:
        """An `actions` list holding something other than objects is ignored the same way."""
        url = slack.recorder.response_url("actions")
        payload = json.loads(dict(parse_qsl(action_body(SHARE, "x", response_url=url)))["payload"])
        payload["actions"] = ["share"]
        response = await slack.send.post(urlencode({"payload": json.dumps(payload)}))
        assert response.status_code == 200
        await settle(slack)
        assert slack.recorder.posts(url) == []
