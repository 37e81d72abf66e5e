"""The reply buttons end to end, on loopback (Refresh, Share, the "which one" choices), and
what the user sees when answering fails: a bug, a malformed click, VCC down.

The served app and the fixtures are tests/support/slack_app.py.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.app import App
from bot.format import escape
from bot.handle import UNAVAILABLE
from bot.query.results import Reply
from bot.slack.register import REFRESH, RUN, SHARE
from tests.support.slack import TEAM_ID, USER_ID, Recorder, all_text, buttons
from tests.support.slack_app import Clients, Names, Slack, aimed_at, no_traceback, start

# One event loop for the module's async tests, so the App (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")


class _BrokenRenderer:
    """A block renderer with a bug: every render raises."""

    def render(self, reply: Reply, *, shared_by: str | None = None) -> Any:
        raise RuntimeError("a bug in the layout")


@shared_loop
class TestButtons:
    async def _answer_with_buttons(self, slack: Slack, names: Names) -> dict[str, Any]:
        answer = await slack.ask(names.agents[0].name)
        ids = {b["action_id"] for b in buttons(answer)}
        assert {REFRESH, SHARE} <= ids
        return answer

    async def test_refresh_replaces_the_answer(self, slack: Slack, names: Names) -> None:
        """Refresh re-runs the command and the answer replaces the message in place."""
        answer = await self._answer_with_buttons(slack, names)
        (refresh,) = [b for b in buttons(answer) if b["action_id"] == REFRESH]
        response, url = await slack.send.click(REFRESH, refresh["value"])
        assert (response.status_code, response.text) == (200, "")
        (replaced,) = await slack.recorder.wait_for(url)
        assert list(replaced) == ["replace_original", "blocks", "text"]
        assert replaced["replace_original"] is True
        assert escape(names.agents[0].name) in all_text(replaced)
        assert "as of" in all_text(replaced)

    async def test_share_posts_in_channel_then_deletes_the_private_copy(
        self, slack: Slack, names: Names
    ) -> None:
        """Share posts the answer for everyone, says who shared it, without buttons; then the
        ephemeral copy is deleted."""
        answer = await self._answer_with_buttons(slack, names)
        (share,) = [b for b in buttons(answer) if b["action_id"] == SHARE]
        response, url = await slack.send.click(SHARE, share["value"], user_id="U0SHARER")
        assert (response.status_code, response.text) == (200, "")
        shared, deleted = await slack.recorder.wait_for(url, 2)
        assert list(shared) == ["response_type", "replace_original", "blocks", "text"]
        assert shared["response_type"] == "in_channel"
        assert shared["replace_original"] is False
        assert "<@U0SHARER>" in all_text(shared)
        assert re.search(r"[Ss]hared by <@U0SHARER>", all_text(shared))
        assert buttons(shared) == []
        assert escape(names.agents[0].name) in all_text(shared)
        assert deleted == {"delete_original": True}

    async def test_a_refused_share_keeps_the_private_copy(self, slack: Slack, names: Names) -> None:
        """If Slack refuses the channel post, the ephemeral answer is not deleted."""
        answer = await self._answer_with_buttons(slack, names)
        (share,) = [b for b in buttons(answer) if b["action_id"] == SHARE]
        url = slack.recorder.response_url()
        slack.recorder.refuse(url, 403, "not_in_channel")
        await slack.send.click(SHARE, share["value"], response_url=url)
        await slack.stop()  # waits for the click's answer to finish
        posts = slack.recorder.posts(url)
        assert posts[0]["response_type"] == "in_channel"
        assert {"delete_original": True} not in posts

    async def test_a_choice_runs_the_chosen_agent(self, slack: Slack, names: Names) -> None:
        """Clicking one of the "which one" buttons answers for that agent, in place."""
        first = names.shared_first_name()
        answer = await slack.ask(first)
        choice = [b for b in buttons(answer) if RUN.match(b["action_id"])][-1]
        chosen = next(a for a in names.agents if a.id == choice["value"])
        response, url = await slack.send.click(choice["action_id"], choice["value"])
        assert response.status_code == 200
        (replaced,) = await slack.recorder.wait_for(url)
        assert replaced["replace_original"] is True
        assert escape(chosen.name) in all_text(replaced)
        assert "as of" in all_text(replaced)

    async def test_the_clicking_user_is_who_shared(self, slack: Slack) -> None:
        """The share names the user who clicked, not who first ran the command."""
        response, url = await slack.send.click(SHARE, "teams", user_id="U0CLICKER")
        assert response.status_code == 200
        shared, _ = await slack.recorder.wait_for(url, 2)
        assert "<@U0CLICKER>" in all_text(shared)
        assert f"<@{USER_ID}>" not in all_text(shared)


@shared_loop
class TestFailures:
    async def test_a_failing_answer_is_logged_and_apologised_for(
        self,
        app: App,
        recorder: Recorder,
        clients: Clients,
        names: Names,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A bug while answering (here: a block renderer that raises) is logged with its
        traceback, and the user gets an apology, not silence (Bolt would swallow it) and not
        the traceback."""
        broken = dataclasses.replace(aimed_at(app, recorder), blocks=_BrokenRenderer())
        with caplog.at_level(logging.ERROR, logger="bot.slack"):
            async with start(broken, recorder, clients) as slack:
                answer = await slack.ask(names.agents[0].name)
        assert "went wrong" in answer["text"]
        assert list(answer) == ["response_type", "replace_original", "text"]
        assert answer["response_type"] == "ephemeral"
        no_traceback(answer)
        (logged,) = [r for r in caplog.records if r.name.startswith("bot.slack.")]
        assert logged.exc_info is not None

    async def test_a_malformed_click_is_apologised_for(self, slack: Slack) -> None:
        """A click whose payload lacks what Slack always sends (here the user's id) gets an
        apology on its response_url, not silence."""
        url = slack.recorder.response_url()
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},  # from our workspace: others are refused before this
            "user": {},
            "actions": [{"action_id": SHARE, "type": "button", "block_id": "b", "value": "teams"}],
            "response_url": url,
        }
        response = await slack.send.post(urlencode({"payload": json.dumps(payload)}))
        assert response.status_code == 200
        (answer,) = await slack.recorder.wait_for(url)
        assert "went wrong" in answer["text"]


@shared_loop
class TestVccDown:
    async def test_vcc_not_answering_is_said_plainly(self, slack: Slack, names: Names) -> None:
        """When VCC fails (503s), the answer says so in words, not a traceback; once VCC is
        back, so are the answers."""
        sim = slack.app.sim
        assert sim is not None
        name = names.agents[0].name
        # Retry-After: 0 keeps the client's retries immediate; every one fails.
        sim.fail_next(100, 503, retry_after="0")
        try:
            down = await slack.ask(name)
        finally:
            sim.reset_faults()
        assert down["response_type"] == "ephemeral"
        assert UNAVAILABLE in all_text(down)
        no_traceback(down)
        assert "as of" in all_text(await slack.ask(name))
