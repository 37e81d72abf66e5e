"""The simulated days: realistic shifts, states, breaks and call lengths."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from bot.sim import Floor
from tests.support.sim import SIM_DAY_START, SIM_NOW, at, by_agent, floor_at


class TestRealism:
    def test_a_working_day_shows_every_kind_of_state(self) -> None:
        """A weekday shows work, wrap, breaks, lunch, logouts, and now and then a fault."""
        evening = datetime(2026, 3, 11, 22, tzinfo=UTC)
        rows = floor_at(evening).select(SIM_DAY_START, evening, "Started").wire()
        states = Counter(r["state"] for r in rows)
        assert {"Busy", "Wrap", "Ready", "Away", "ExtendedAway", "LoggedOut"} <= set(states)
        assert states["Unexpected"] + states["Failed"] > 0
        labels = {r["description"] for r in rows}
        assert {"Break", "Lunch", "Live", "Ready", "Logged Out"} <= labels
        assert states["Busy"] > states["Away"] > 0

    def test_most_agents_are_in_at_mid_morning(self, sim_floor: Floor) -> None:
        """At SIM_NOW most agents are logged in, and many are on an interaction."""
        items = sim_floor.status()
        logged_in = [i for i in items if i["presence"]["name"] != "LoggedOut"]
        assert len(logged_in) >= 0.8 * len(items)
        assert sum(bool(i["interaction"]) for i in items) >= 0.4 * len(items)

    def test_shifts_start_in_the_morning_and_last_about_a_working_day(self) -> None:
        """Logins fall 06:30-11:30 local; a full-time day is 7-10 hours, a part-time one 3.5-6."""
        evening = datetime(2026, 3, 11, 22, tzinfo=UTC)
        rows = by_agent(floor_at(evening).select(SIM_DAY_START, evening, "Started").wire())
        for agent_rows in rows.values():
            login, logout = agent_rows[0], agent_rows[-1]
            assert login["state"] == "Ready"
            assert logout["state"] == "LoggedOut"
            begin = at(login["start"])
            hours = (at(logout["start"]) - begin) / timedelta(hours=1)
            assert 6.5 <= begin.hour + begin.minute / 60 <= 11.5
            assert 3.5 <= hours <= 10

    def test_some_agents_have_a_weekday_off_and_weekends_are_mostly_off(self) -> None:
        """A week has agents off on weekdays; on Saturday most of the floor is logged out."""
        floor = floor_at(datetime(2026, 3, 16, tzinfo=UTC))
        week = floor.select(
            datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 14, tzinfo=UTC)
        ).wire()
        worked = Counter(r["agentId"] for r in week if r["state"] == "Ready")
        days_in = Counter(
            (r["agentId"], r["start"][:10]) for r in week if r["state"] != "LoggedOut"
        )
        assert len(days_in) < 5 * len(floor.agents)
        assert len(worked) == len(floor.agents)
        saturday = floor.status(datetime(2026, 3, 14, 12, tzinfo=UTC))
        out = [i for i in saturday if i["presence"]["name"] == "LoggedOut"]
        assert len(out) >= 0.7 * len(saturday)

    def test_call_and_wrap_lengths(self, sim_floor: Floor) -> None:
        """Busy lasts 2-12 min, wrap 20 s-4 min with the call's type, unexpected about 10 s."""
        rows = sim_floor.select(SIM_DAY_START, SIM_NOW, "Started").wire()
        for agent_rows in by_agent(rows).values():
            for row, after in pairwise(agent_rows):
                seconds = row["duration"] / 1000
                if row["state"] == "Busy":
                    assert 120 <= seconds <= 720
                    assert after["state"] == "Wrap"
                    assert after["description"] == row["description"]
                elif row["state"] == "Wrap":
                    assert 20 <= seconds <= 240
                elif row["state"] == "Unexpected":
                    assert 9 <= seconds <= 11
