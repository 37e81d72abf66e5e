"""The composition root: built once, services running beside the front door in one TaskGroup."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from bot.app import open_app
from bot.clock import FrozenClock
from bot.console import repl
from bot.settings import load_settings
from tests.support.app import simulated_app


class Ticker:
    """A service that ticks until cancelled, and says when it has ticked and when it stopped."""

    name = "ticker"

    def __init__(self) -> None:
        self.ticks = 0
        self.ticked = asyncio.Event()
        self.stopped = False

    async def run(self) -> None:
        try:
            while True:
                self.ticks += 1
                self.ticked.set()
                await asyncio.sleep(0)
        finally:
            self.stopped = True


class Broken:
    """A service that fails at once."""

    name = "broken"

    async def run(self) -> None:
        raise RuntimeError("the poller broke")


def lines_after(event: asyncio.Event, *lines: str) -> Callable[[], Awaitable[str | None]]:
    """A console input that gives `lines` once `event` is set, then ends."""
    pending = list(lines)

    async def read_line() -> str | None:
        await event.wait()
        return pending.pop(0) if pending else None

    return read_line


class TestServices:
    async def test_console_answers_while_services_run_and_they_stop_after(
        self, sim_clock: FrozenClock
    ) -> None:
        """A service runs beside the console; the console still answers every line; when
        the console ends, the service is cancelled and App.run returns the console's code."""
        ticker = Ticker()
        out: list[str] = []
        async with simulated_app(sim_clock) as built:
            app = dataclasses.replace(built, services=(ticker,))

            async def console() -> int:
                await repl(app, lines_after(ticker.ticked, "help", "teams"), out.append)
                return 7

            assert await app.run(console) == 7
        assert ticker.ticks > 0
        assert ticker.stopped
        assert len(out) == 2
        assert "teams" in out[0]
        assert "Billing Support" in out[1]

    async def test_a_failing_service_stops_the_front_door(self, sim_clock: FrozenClock) -> None:
        """A service that fails cancels the front door and its error comes out of run()."""
        door_cancelled = asyncio.Event()
        async with simulated_app(sim_clock) as built:
            app = dataclasses.replace(built, services=(Broken(),))

            async def forever() -> int:
                try:
                    await asyncio.Event().wait()
                finally:
                    door_cancelled.set()
                return 0

            with pytest.raises(ExceptionGroup) as caught:
                await app.run(forever)
        assert caught.group_contains(RuntimeError, match="poller broke")
        assert door_cancelled.is_set()


class TestSlackClient:
    async def test_no_slack_token_no_client(self, sim_clock: FrozenClock) -> None:
        """Without SLACK_BOT_TOKEN nothing talks to Slack."""
        async with simulated_app(sim_clock) as app:
            assert app.slack is None

    async def test_one_client_with_the_token_and_retries_decided_here(
        self, sim_clock: FrozenClock
    ) -> None:
        """With a bot token, the one Web API client carries it, points at SLACK_API_URL and
        retries a rate limit; a test can give it other retry handlers."""
        env = {
            "AGENTSTATE_TIMEZONE": "Europe/London",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
        async with open_app(load_settings(env), sim_clock) as app:
            assert app.slack is not None
            assert app.slack.token == "xoxb-test"
            assert app.slack.base_url == "http://127.0.0.1:9/api/"
            kinds = {type(h) for h in app.slack.retry_handlers}
            assert AsyncRateLimitErrorRetryHandler in kinds
        async with open_app(load_settings(env), sim_clock, slack_retry_handlers=[]) as app:
            assert app.slack is not None
            assert app.slack.retry_handlers == []
