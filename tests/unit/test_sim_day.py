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

    def test_most_agents_are_in_at_mid_morning_on_the_day_floor(self) -> None:
        """At SIM_NOW most of the day-shift floor is logged in, and many are on an interaction
        (around the clock, the evening and night crews are off then)."""
        items = floor_at(SIM_NOW, shifts="day").status()
        logged_in = [i for i in items if i["presence"]["name"] != "LoggedOut"]
        assert len(logged_in) >= 0.8 * len(items)
        assert sum(bool(i["interaction"]) for i in items) >= 0.4 * len(items)

    def test_about_half_are_in_at_mid_morning_around_the_clock(self, sim_floor: Floor) -> None:
        """At SIM_NOW the day crew is in (about 60% of the floor, less days off), many of them
        on an interaction."""
        items = sim_floor.status()
        logged_in = [i for i in items if i["presence"]["name"] != "LoggedOut"]
        assert 0.4 * len(items) <= len(logged_in) <= 0.7 * len(items)
        assert sum(bool(i["interaction"]) for i in items) >= 0.5 * len(logged_in)

    def test_day_shifts_start_in_the_morning_and_last_about_a_working_day(self) -> None:
        """On the day floor logins fall 06:30-11:30 local; a full-time day is 7-10 hours, a
        part-time one 3.5-6."""
        evening = datetime(2026, 3, 11, 22, tzinfo=UTC)
        floor = floor_at(evening, shifts="day")
        rows = by_agent(floor.select(SIM_DAY_START, evening, "Started").wire())
        for agent_rows in rows.values():
            login, logout = agent_rows[0], agent_rows[-1]
            assert login["state"] == "Ready"
            assert logout["state"] == "LoggedOut"
            begin = at(login["start"])
            hours = (at(logout["start"]) - begin) / timedelta(hours=1)
            assert 6.5 <= begin.hour + begin.minute / 60 <= 11.5
            assert 3.5 <= hours <= 10

    def test_shifts_around_the_clock_start_morning_afternoon_or_late_evening(self) -> None:
        """Logins fall 05:30-11:30 (days), 12:30-17:00 (evenings) or 21:00-23:30 (nights,
        ending next morning); a shift lasts 3.5-10 hours, a night shift at least 7.5."""
        thursday = datetime(2026, 3, 12, tzinfo=UTC)  # London is on UTC in early March
        now = thursday + timedelta(days=1, hours=12)
        rows = by_agent(floor_at(now).select(thursday, now, "StartedOrEnded").wire())
        kinds = Counter[str]()
        for agent_rows in rows.values():
            for k, (before, row) in enumerate(pairwise(agent_rows), 1):
                login = at(row["start"])
                if before["state"] != "LoggedOut" or login.date() != thursday.date():
                    continue
                assert row["state"] == "Ready"
                logout = next(at(r["start"]) for r in agent_rows[k:] if r["state"] == "LoggedOut")
                hour, hours = login.hour + login.minute / 60, (logout - login) / timedelta(hours=1)
                if 5.5 <= hour <= 11.5:
                    kinds["day"] += 1
                elif 12.5 <= hour <= 17:
                    kinds["evening"] += 1
                else:
                    assert 21 <= hour <= 23.5
                    assert hours >= 7.5
                    assert logout.date() > login.date()
                    kinds["night"] += 1
                assert 3.5 <= hours <= 10
        assert kinds["day"] > kinds["evening"] > kinds["night"] > 0

    def test_some_agents_have_a_weekday_off_and_weekends_are_mostly_off(self) -> None:
        """A week has agents off on weekdays; on Saturday most of the day floor is logged out
        (around the clock, weekends are staffed: see test_sim_shifts)."""
        floor = floor_at(datetime(2026, 3, 16, tzinfo=UTC), shifts="day")
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
