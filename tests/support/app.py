"""The whole bot for tests, built by the production composition root on the simulated floor.

Retries never sleep for real: VCC's `sleep` is a recording `Sleeps`, and the Slack Web API
client has no retry handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App, open_app
from bot.clock import Clock
from bot.settings import load_settings
from tests.fakes import Sleeps

__all__ = ["simulated_app"]


@asynccontextmanager
async def simulated_app(clock: Clock, **env: str) -> AsyncIterator[App]:
    """`open_app` on the simulated contact center at `clock`; `env` holds settings by their
    variable names (AGENTSTATE_TIMEZONE defaults to the floor's, Europe/London)."""
    settings = load_settings({"AGENTSTATE_TIMEZONE": "Europe/London", **env})
    async with open_app(settings, clock, sleep=Sleeps(), slack_retry_handlers=[]) as app:
        yield app
