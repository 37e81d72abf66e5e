"""Any text through the whole stack gives a Reply: never an exception, never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings

from bot.app import App
from bot.clock import FrozenClock
from bot.format import check_limits
from bot.handle import handle
from bot.query.results import Reply
from tests.strategies import command_text
from tests.support.app import simulated_app


@pytest.fixture
async def app(sim_clock: FrozenClock) -> AsyncIterator[App]:
    async with simulated_app(sim_clock) as built:
        yield built


class TestHandleProperty:
    @settings(
        max_examples=40,
        deadline=None,
        # One simulator for all examples: each example only reads from it.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(text=command_text)
    async def test_any_text_gets_a_reply_within_slack_limits(self, app: App, text: str) -> None:
        """handle() answers any text with a Reply whose Block Kit is within Slack's limits."""
        reply = await handle(text, app.query)
        assert isinstance(reply, Reply)
        blocks, fallback = app.blocks.render(reply)
        check_limits(blocks)
        assert fallback
        assert "Traceback" not in fallback
