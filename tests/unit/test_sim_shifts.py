"""The simulated floor's shifts: around the clock by default, days only as the floor first was.

Around the clock, agents are at work at any hour (fewer at night and at weekends), a night
shift runs on past midnight as one unbroken run of rows, and clocks changing for daylight
saving open no gap. The `day` profile gives the very rows the floor gave before profiles
existed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.sim.day
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.sim import Floor
from bot.sim.day import MAX_OVERRUN, Days
from bot.sim.shifts import draw_profiles
from tests.support.sim import at, by_agent, end_of, floor_at

ZONES = ["Europe/London", "America/New_York"]
THURSDAY_MIDNIGHT = datetime(2026, 3, 12, tzinfo=UTC)  # London is on UTC until 29 March

# Captured from the floor before shift profiles existed (commit 9f365ba), seed 7, 60 agents:
# `_digest` of its rows, statuses, last logins and directory at each clock.
FIRST_FLOOR = [
    ("Europe/London", datetime(2026, 3, 11, 11, 30, tzinfo=UTC), "ac6a75f404c4aab3"),
    ("Europe/London", datetime(2026, 3, 15, 3, 0, tzinfo=UTC), "f1f2eaf62aa96a1d"),
    ("Europe/London", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "89d166311c1caa15"),
    ("Europe/London", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "fa49bf2c582bc72e"),
    ("America/New_York", datetime(2026, 3, 13, 22, 15, tzinfo=UTC), "3f58fc44f239b7a8"),
]


def _digest(floor: Floor, now: datetime) -> str:
    h = hashlib.sha256()
    for include in ("Started", "StartedOrEnded"):
        h.update(json.dumps(floor.select(now - timedelta(days=2), now, include).wire()).encode())
    h.update(json.dumps(floor.status(now)).encode())
    h.update(json.dumps([str(floor.last_login(a.agent_id, now)) for a in floor.agents]).encode())
    h.update(json.dumps(floor.directory_json()).encode())
    return h.hexdigest()[:16]


def _logged_in(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["presence"]["name"] != "LoggedOut"]


def _shifts(agent_rows: list[dict[str, Any]]) -> list[tuple[datetime, datetime]]:
    """(login, logout) of each shift in one agent's rows (in wire order) whose login follows
    a logout row and whose logout row is there too."""
    shifts = []
    login = None
    for before, row in pairwise(agent_rows):
        if before["state"] == "LoggedOut":
            login = at(row["start"])
        elif row["state"] == "LoggedOut" and login is not None:
            shifts.append((login, at(row["start"])))
    return shifts


class TestDayProfile:
    @pytest.mark.parametrize(("zone", "now", "expected"), FIRST_FLOOR)
    def test_the_day_profile_is_the_first_floor_row_for_row(
        self, zone: str, now: datetime, expected: str
    ) -> None:
        """Same rows, statuses, logins and roster as the floor before shift profiles."""
        assert _digest(floor_at(now, timezone=zone, shifts="day"), now) == expected

    def test_around_the_clock_is_another_floor_on_the_same_roster(self) -> None:
        """The default floor keeps the agents and teams but not the day floor's rows."""
        zone, now, expected = FIRST_FLOOR[0]
        floor, day = floor_at(now, timezone=zone), floor_at(now, timezone=zone, shifts="day")
        assert floor.config.shifts == "around-the-clock"
        assert _digest(floor, now) != expected
        assert floor.directory_json() == day.directory_json()

    def test_an_unknown_profile_is_refused(self) -> None:
        with pytest.raises(ValueError, match="shifts"):
            floor_at(THURSDAY_MIDNIGHT, shifts="nights")


class TestAroundTheClock:
    @pytest.mark.parametrize("zone", ZONES)
    @pytest.mark.parametrize(
        "now",
        [
            datetime(2026, 3, 11, 3, tzinfo=UTC),  # a Wednesday
            datetime(2026, 3, 11, 21, 30, tzinfo=UTC),
            datetime(2026, 3, 15, 3, tzinfo=UTC),  # a Sunday
            datetime(2026, 3, 15, 21, 30, tzinfo=UTC),
        ],
        ids=["wed-0300", "wed-2130", "sun-0300", "sun-2130"],
    )
    def test_agents_are_at_work_at_night_and_on_sundays(self, zone: str, now: datetime) -> None:
        """Someone is logged in, and some are Ready or on a call, whatever the hour and day."""
        items = _logged_in(floor_at(now, timezone=zone).status())
        ready = [i for i in items if i["presence"]["name"] == "Ready" and not i["interaction"]]
        busy = [
            i for i in items if i["interaction"] and i["interaction"][0]["state"] == "Connected"
        ]
        assert len(items) >= 3
        assert len(ready) + len(busy) >= 2

    @pytest.mark.parametrize("zone", ZONES)
    def test_every_hour_of_a_week_is_staffed(self, zone: str) -> None:
        """Hour by hour over a week, at least a few of the 60 agents are logged in."""
        floor = floor_at(datetime(2026, 3, 16, tzinfo=UTC), timezone=zone)
        monday = datetime(2026, 3, 9, tzinfo=UTC)
        counts = [len(_logged_in(floor.status(monday + timedelta(hours=h)))) for h in range(168)]
        assert min(counts) >= 3
        assert max(counts) >= 25

    @pytest.mark.parametrize("zone", ZONES)
    def test_fewer_agents_at_night_and_at_weekends(self, zone: str) -> None:
        """Local 03:00 has well under half of midday's agents; Sunday midday fewer than
        Wednesday's, but still a crew."""

        def logged_in(day: date, hour: int) -> int:
            local = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone))
            return len(_logged_in(floor_at(local.astimezone(UTC), timezone=zone).status()))

        wednesday, sunday = date(2026, 3, 11), date(2026, 3, 15)
        assert 0 < logged_in(wednesday, 3) < logged_in(wednesday, 12) / 2
        assert 0 < logged_in(sunday, 12) < logged_in(wednesday, 12)

    def test_day_evening_and_night_shifts_in_every_team(self) -> None:
        """About 60% of agents work days, 25% evenings, 15% nights, each team a mix of all."""
        ids = [str(1001 + i) for i in range(1000)]
        shares = Counter(p.shift for p in draw_profiles(7, ids, "around-the-clock"))
        assert shares["day"] == pytest.approx(600, abs=20)
        assert shares["evening"] == pytest.approx(250, abs=20)
        assert shares["night"] == pytest.approx(150, abs=20)
        floor = floor_at(THURSDAY_MIDNIGHT)
        days = Days(7, ZoneInfo("Europe/London"), [a.agent_id for a in floor.agents])
        for team in floor.teams:
            members = [floor.agents.index(a) for a in floor.members(team.team_id)]
            assert {days.profile(i).shift for i in members} == {"day", "evening", "night"}


class TestMidnight:
    def test_a_night_shift_is_one_run_across_midnight(self) -> None:
        """A shift begun before midnight runs on unbroken past it, 3.5-10 hours long."""
        floor = floor_at(THURSDAY_MIDNIGHT + timedelta(hours=12))
        rows = by_agent(
            floor.select(
                THURSDAY_MIDNIGHT - timedelta(hours=12),
                THURSDAY_MIDNIGHT + timedelta(hours=12),
                "StartedOrEnded",
            ).wire()
        )
        crossing = 0
        for agent_rows in rows.values():
            for row, after in pairwise(agent_rows):
                assert end_of(row) == at(after["start"])
            for login, logout in _shifts(agent_rows):
                assert 3.5 <= (logout - login) / timedelta(hours=1) <= 10
                crossing += login < THURSDAY_MIDNIGHT < logout
        assert crossing >= 8

    def test_the_halves_of_a_night_join_at_midnight(self) -> None:
        """Rows selected before and after midnight together are the rows of the whole night,
        the row going on at midnight the same in both."""
        floor = floor_at(THURSDAY_MIDNIGHT + timedelta(hours=12))
        evening = THURSDAY_MIDNIGHT - timedelta(hours=6)
        morning = THURSDAY_MIDNIGHT + timedelta(hours=9)
        whole = floor.select(evening, morning, "StartedOrEnded").wire()
        halves = [
            *floor.select(evening, THURSDAY_MIDNIGHT, "StartedOrEnded").wire(),
            *floor.select(THURSDAY_MIDNIGHT, morning, "StartedOrEnded").wire(),
        ]
        joined = {(r["agentId"], r["start"]): r for r in halves}
        assert len(joined) < len(halves)  # rows going on at midnight are in both halves
        for row in halves:
            assert joined[row["agentId"], row["start"]] == row
        assert sorted(joined.values(), key=lambda r: (r["start"], r["agentId"])) == whole

    def test_status_after_midnight_reads_the_shift_begun_before_it(self) -> None:
        """At 00:20 the night crew is in; each status agrees with the agent's rows (presence
        since the row that began it, possibly before midnight) and last login."""
        now = THURSDAY_MIDNIGHT + timedelta(minutes=20)
        floor = floor_at(now)
        rows = by_agent(floor.select(now - timedelta(days=1), now, "StartedOrEnded").wire())
        items = _logged_in(floor.status())
        assert len(items) >= 8
        before_midnight = {"presence": 0, "login": 0}
        for item in items:
            agent_rows, presence = rows[item["agentId"]], item["presence"]
            since = [r for r in agent_rows if r["start"] == presence["since"]]
            assert [r["description"] for r in since] == [presence["description"]]
            later = agent_rows[agent_rows.index(since[0]) :]
            assert {r["description"] for r in later if r["state"] not in WORK} == {
                presence["description"]
            }
            login = floor.last_login(item["agentId"])
            assert login == [lo for lo, _ in _shifts([*agent_rows, LOGOUT])][-1]
            before_midnight["presence"] += at(presence["since"]) < THURSDAY_MIDNIGHT
            before_midnight["login"] += login < THURSDAY_MIDNIGHT
        assert before_midnight["presence"] >= 1
        assert before_midnight["login"] >= 5


WORK = {"Busy", "Wrap", "Unexpected", "Failed"}
# Closes a shift still going on, for `_shifts`.
LOGOUT = {"agentId": "", "start": "2100-01-01T00:00:00.000Z", "state": "LoggedOut"}


class TestDaylightSaving:
    @pytest.mark.parametrize("night", [date(2026, 3, 29), date(2026, 10, 25)])
    def test_a_clock_change_night_has_no_gap_or_overlap(self, night: date) -> None:
        """Over the night London's clocks change, every agent's rows run end to start, and
        a shift across the change lasts its hours of real time."""
        start = datetime(night.year, night.month, night.day, tzinfo=UTC) - timedelta(hours=12)
        now = start + timedelta(days=2)
        change = datetime(night.year, night.month, night.day, 1, tzinfo=UTC)
        rows = by_agent(floor_at(now).select(start, now, "StartedOrEnded").wire())
        across = 0
        for agent_rows in rows.values():
            for row, after in pairwise(agent_rows):
                assert row["duration"] is not None
                assert row["duration"] > 0
                assert end_of(row) == at(after["start"])
                assert (row["state"], row["description"]) != (after["state"], after["description"])
            for login, logout in _shifts(agent_rows):
                assert 3.5 <= (logout - login) / timedelta(hours=1) <= 10
                across += login < change < logout
        assert across >= 3


class TestShiftEnds:
    def test_around_the_clock_agents_log_out_as_planned(self) -> None:
        """A shift's first row is its planned login and its logout row the planned logout, so
        a previous logout is known without drawing the shift."""
        days = Days(7, ZoneInfo("Europe/London"), [str(1001 + i) for i in range(300)])
        worked = 0
        for i in range(300):
            for day in (date(2026, 3, 11), date(2026, 3, 15)):
                plan, rows = days.plan(i, day), days.worked(i, day)
                assert (plan is None) == (rows is None)
                if plan is not None and rows is not None:
                    worked += 1
                    assert (rows.starts[0], rows.starts[-1]) == plan
        assert worked > 300

    def test_day_shifts_end_within_the_overrun_allowed_for(self) -> None:
        """On the day floor the last call is finished first: a shift ends after its plan,
        but well within MAX_OVERRUN (which decides whether yesterday's rows are read)."""
        days = Days(7, ZoneInfo("Europe/London"), [str(1001 + i) for i in range(300)], "day")
        late = []
        for i in range(300):
            for day in (date(2026, 3, 10), date(2026, 3, 11)):
                plan, rows = days.plan(i, day), days.worked(i, day)
                if plan is not None and rows is not None:
                    assert rows.starts[0] == plan[0]
                    late.append(rows.starts[-1] - plan[1])
        assert max(late) > 0
        assert max(late) < MAX_OVERRUN / 2

    def test_a_status_and_a_day_of_rows_draw_under_one_shift_per_agent(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Cost grows with the agents, not more: every status and a whole day's rows draw at
        most one shift per agent (logouts come from the plans)."""
        drawn = Counter[str]()
        build = bot.sim.day._DayBuilder.build

        def counting(builder: Any, login: int, logout: int) -> Any:
            drawn["shifts"] += 1
            return build(builder, login, logout)

        monkeypatch.setattr(bot.sim.day._DayBuilder, "build", counting)
        now = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
        floor = floor_at(now, agents=600)
        floor.status()
        floor.select(datetime(2026, 3, 11, tzinfo=UTC), now, "StartedOrEnded")
        assert 300 < drawn["shifts"] <= 600


class TestSetting:
    def test_the_profile_is_a_setting(self) -> None:
        """AGENTSTATE_SIM_SHIFTS picks it, around-the-clock unless told; others are refused."""
        assert load_settings({}).sim_shifts == "around-the-clock"
        assert load_settings({"AGENTSTATE_SIM_SHIFTS": "day"}).sim_shifts == "day"
        with pytest.raises(ConfigError, match="AGENTSTATE_SIM_SHIFTS"):
            load_settings({"AGENTSTATE_SIM_SHIFTS": "nights"})

    def test_up_to_20000_agents(self) -> None:
        assert load_settings({"AGENTSTATE_SIM_AGENTS": "20000"}).sim_agents == 20_000
        with pytest.raises(ConfigError, match="AGENTSTATE_SIM_AGENTS"):
            load_settings({"AGENTSTATE_SIM_AGENTS": "20001"})
