"""The whole bot on the simulated floor at night: around the clock, whoever runs it then sees
agents at work; AGENTSTATE_SIM_SHIFTS=day brings back the day-shift floor, empty at night."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FrozenClock
from bot.handle import handle
from bot.query.results import TeamsList, WhoList
from tests.support.app import simulated_app


@pytest.mark.parametrize(
    ("zone", "now"),
    [
        ("Europe/London", datetime(2026, 3, 15, 3, tzinfo=UTC)),  # Sunday 03:00 local
        ("America/New_York", datetime(2026, 3, 11, 21, 30, tzinfo=UTC)),  # Wednesday 17:30
        ("UTC", datetime(2026, 3, 11, 21, 30, tzinfo=UTC)),  # the bot's default zone
    ],
)
async def test_the_bot_at_night_sees_agents_at_work(zone: str, now: datetime) -> None:
    """`teams` counts agents logged in, and `who ready` or `who busy` names some, on the
    default floor."""
    async with simulated_app(FrozenClock(now), AGENTSTATE_TIMEZONE=zone) as app:
        assert app.sim is not None
        assert app.sim.floor.config.shifts == "around-the-clock"
        teams = (await handle("teams", app.query)).answer
        ready = (await handle("who ready", app.query)).answer
        busy = (await handle("who busy", app.query)).answer
    assert isinstance(teams, TeamsList)
    assert isinstance(ready, WhoList)
    assert isinstance(busy, WhoList)
    assert sum(t.logged_in for t in teams.teams) >= 3
    assert ready.agents + busy.agents


async def test_the_day_floor_is_empty_at_night() -> None:
    """With AGENTSTATE_SIM_SHIFTS=day the floor is the day-shift one: nobody in at 03:00."""
    now = datetime(2026, 3, 11, 3, tzinfo=UTC)
    async with simulated_app(FrozenClock(now), AGENTSTATE_SIM_SHIFTS="day") as app:
        assert app.sim is not None
        assert app.sim.floor.config.shifts == "day"
        teams = (await handle("teams", app.query)).answer
    assert isinstance(teams, TeamsList)
    assert sum(t.logged_in for t in teams.teams) == 0
