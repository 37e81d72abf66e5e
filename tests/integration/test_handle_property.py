"""Any text through the whole stack gives a Reply: never an exception, never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings

from bot.clock import FrozenClock
from bot.format.blocks import check_limits, render_blocks
from bot.handle import handle
from bot.query.results import Reply
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from tests.strategies import command_text


@pytest.fixture
async def runtime(sim_clock: FrozenClock) -> AsyncIterator[Runtime]:
    settings = load_settings({"AGENTSTATE_TIMEZONE": "Europe/London"})
    async with open_runtime(settings, sim_clock) as rt:
        yield rt


class TestHandleProperty:
    @settings(
        max_examples=40,
        deadline=None,
        # One simulator for all examples: each example only reads from it.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(text=command_text)
    async def test_any_text_gets_a_reply_within_slack_limits(
        self, runtime: Runtime, text: str
    ) -> None:
        """handle() answers any text with a Reply whose Block Kit is within Slack's limits."""
        reply = await handle(text, runtime.query, simulated=runtime.simulated)
        assert isinstance(reply, Reply)
        blocks, fallback = render_blocks(reply, zone=runtime.zone)
        check_limits(blocks)
        assert fallback
        assert "Traceback" not in fallback
