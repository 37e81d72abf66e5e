"""The simulated floor: deterministic, stable over time, consistent with itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from bot.sim import Floor
from bot.vcc.models import AgentState, AgentStatus
from tests.support.sim import SIM_DAY_START, SIM_NOW, at, by_agent, end_of, floor_at

PRESENCE_CATEGORY = {
    "Ready": "Ready",
    "ReadyRFO": "Ready",
    "Away": "Away",
    "ExtendedAway": "ExtendedAway",
    "LoggedOut": "LoggedOut",
}
WORK = {"Busy", "Wrap", "Unexpected", "Failed"}


class TestDeterminism:
    def test_same_seed_and_time_give_identical_answers(self) -> None:
        """Two floors with one seed answer byte for byte the same."""
        one, two = floor_at(SIM_NOW), floor_at(SIM_NOW)
        rows = [f.select(SIM_DAY_START, SIM_NOW, "StartedOrEnded").wire() for f in (one, two)]
        assert json.dumps(rows[0]) == json.dumps(rows[1])
        assert json.dumps(one.status()) == json.dumps(two.status())
        assert one.directory_json() == two.directory_json()

    def test_asking_twice_gives_the_same_answer(self, sim_floor: Floor) -> None:
        """Cached days and selections answer as the first computation did."""
        first = sim_floor.select(SIM_DAY_START, SIM_NOW, "Started").wire()
        assert sim_floor.select(SIM_DAY_START, SIM_NOW, "Started").wire() == first
        assert sim_floor.status() == sim_floor.status()

    def test_another_seed_gives_another_floor(self) -> None:
        """The seed changes the rows and the names."""
        one, other = floor_at(SIM_NOW), floor_at(SIM_NOW, seed=8)
        assert (
            one.select(SIM_DAY_START, SIM_NOW).wire() != other.select(SIM_DAY_START, SIM_NOW).wire()
        )
        assert [a.name for a in one.agents] != [a.name for a in other.agents]

    def test_rows_are_wire_shaped(self, sim_floor: Floor) -> None:
        """Rows and status items parse with the bot's own wire models."""
        for row in sim_floor.select(SIM_DAY_START, SIM_NOW, "StartedOrEnded").wire():
            assert list(row) == ["agentId", "start", "duration", "state", "description"]
            AgentState.model_validate(row)
        for item in sim_floor.status():
            AgentStatus.model_validate(item)


class TestHistory:
    def test_history_does_not_change_as_time_moves_on(self) -> None:
        """Rows before t1 read the same at t2; only the row current at t1 gains a duration."""
        t1, t2 = SIM_NOW, SIM_NOW + timedelta(hours=3, minutes=17)
        floor = floor_at(t1)
        early = floor.select(SIM_DAY_START, t1, "StartedOrEnded", now=t1).wire()
        late = floor.select(SIM_DAY_START, t1, "StartedOrEnded", now=t2).wire()
        assert [(r["agentId"], r["start"]) for r in early] == [
            (r["agentId"], r["start"]) for r in late
        ]
        gained = 0
        for before, after in zip(early, late, strict=True):
            if before["duration"] is None:
                gained += after["duration"] is not None
                assert after["duration"] is None or end_of(after) > t1  # type: ignore[operator]
                assert {**after, "duration": None} == before
            else:
                assert after == before
        assert gained > 30  # most agents have moved on within three hours

    @pytest.mark.parametrize("shifts", ["around-the-clock", "day"])
    def test_a_fresh_floor_later_agrees_about_the_past(self, shifts: str) -> None:
        """A floor built at t2 (no shared cache) tells the same story about the morning: the
        same rows, and those still going on at SIM_NOW (a night worker's logout) go on or
        ended after it. Asked as of SIM_NOW, it answers exactly as then."""
        t2 = SIM_NOW + timedelta(days=1)
        morning = SIM_NOW - timedelta(hours=2)
        early = floor_at(SIM_NOW, shifts=shifts).select(SIM_DAY_START, morning).wire()
        late_floor = floor_at(t2, shifts=shifts)
        late = late_floor.select(SIM_DAY_START, morning).wire()
        for before, after in zip(early, late, strict=True):
            if before["duration"] is None:
                end = end_of(after)
                assert end is None or end > SIM_NOW
                assert {**after, "duration": None} == before
            else:
                assert after == before
        assert late_floor.select(SIM_DAY_START, morning, now=SIM_NOW).wire() == early

    def test_rows_after_now_do_not_exist(self, sim_floor: Floor) -> None:
        """A window reaching into the future holds nothing that starts after now."""
        rows = sim_floor.select(
            SIM_DAY_START, SIM_NOW + timedelta(hours=5), "StartedOrEnded"
        ).wire()
        assert rows
        assert all(at(r["start"]) <= SIM_NOW for r in rows)
        assert all(end_of(r) is None or end_of(r) <= SIM_NOW for r in rows)  # type: ignore[operator]
        assert (
            sim_floor.select(SIM_NOW + timedelta(seconds=1), SIM_NOW + timedelta(hours=1)).wire()
            == []
        )


class TestTimeline:
    def test_each_agent_has_exactly_one_current_row_containing_now(self, sim_floor: Floor) -> None:
        """The last row of every agent is its only current row, and it began by now."""
        rows = sim_floor.select(SIM_NOW - timedelta(days=7), SIM_NOW, "StartedOrEnded").wire()
        grouped = by_agent(rows)
        assert set(grouped) == {a.agent_id for a in sim_floor.agents}
        for agent_rows in grouped.values():
            current = [r for r in agent_rows if r["duration"] is None]
            assert current == [agent_rows[-1]]
            assert at(current[0]["start"]) <= SIM_NOW

    def test_rows_are_contiguous_and_do_not_overlap(self, sim_floor: Floor) -> None:
        """Each row ends where the agent's next row starts, over days and a DST change."""
        now = datetime(2026, 3, 31, 12, tzinfo=UTC)  # London moved to BST on 29 March
        rows = sim_floor.select(datetime(2026, 3, 26, tzinfo=UTC), now, "Started", now=now).wire()
        for agent_rows in by_agent(rows).values():
            for row, after in pairwise(agent_rows):
                assert row["duration"] is not None
                assert row["duration"] > 0
                assert end_of(row) == at(after["start"])
                assert (row["state"], row["description"]) != (after["state"], after["description"])

    def test_rows_are_sorted_by_start_then_agent(self, sim_floor: Floor) -> None:
        """Wire order: start ascending, then agentId."""
        rows = sim_floor.select(SIM_DAY_START, SIM_NOW, "StartedOrEnded").wire()
        keys = [(r["start"], r["agentId"]) for r in rows]
        assert keys == sorted(keys)

    def test_one_agent_alone(self, sim_floor: Floor) -> None:
        """agentId narrows to that agent's rows; an unknown id gives nothing."""
        everyone = sim_floor.select(SIM_DAY_START, SIM_NOW, "StartedOrEnded").wire()
        alone = sim_floor.select(SIM_DAY_START, SIM_NOW, "StartedOrEnded", "1007").wire()
        assert alone == [r for r in everyone if r["agentId"] == "1007"]
        assert sim_floor.select(SIM_DAY_START, SIM_NOW, "Started", "9999").wire() == []


class TestInclude:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (SIM_NOW - timedelta(minutes=20), SIM_NOW - timedelta(minutes=5)),
            (SIM_NOW - timedelta(minutes=15), SIM_NOW),
            (SIM_NOW - timedelta(hours=20), SIM_NOW - timedelta(hours=17)),
        ],
    )
    def test_include_selects_as_documented(
        self, sim_floor: Floor, start: datetime, end: datetime
    ) -> None:
        """Started: start in [start, end). StartedOrEnded, Processed: or ended in it."""
        everything = sim_floor.select(start - timedelta(days=3), SIM_NOW, "Started").wire()
        started = [r for r in everything if start <= at(r["start"]) < end]
        ended = [r for r in everything if (e := end_of(r)) is not None and start <= e < end]
        either = sorted(
            {json.dumps(r, sort_keys=True): r for r in started + ended}.values(),
            key=lambda r: (r["start"], r["agentId"]),
        )
        assert sim_floor.select(start, end, "Started").wire() == started
        assert sim_floor.select(start, end, "StartedOrEnded").wire() == either
        assert sim_floor.select(start, end, "Processed").wire() == either
        assert len(either) > len(started)

    def test_an_ongoing_row_has_not_ended(self, sim_floor: Floor) -> None:
        """A current row that began before the window is not selected by StartedOrEnded."""
        start = SIM_NOW - timedelta(seconds=30)
        rows = sim_floor.select(start, SIM_NOW, "StartedOrEnded").wire()
        assert all(at(r["start"]) >= start for r in rows if r["duration"] is None)

    def test_unknown_include_is_refused(self, sim_floor: Floor) -> None:
        with pytest.raises(ValueError, match="include"):
            sim_floor.select(SIM_DAY_START, SIM_NOW, "Everything").wire()  # type: ignore[arg-type]


class TestStatus:
    def test_status_agrees_with_the_current_rows(self, sim_floor: Floor) -> None:
        """Presence, interaction and workload follow from the agent's current WFM row."""
        rows = by_agent(
            sim_floor.select(SIM_NOW - timedelta(days=7), SIM_NOW, "StartedOrEnded").wire()
        )
        items = sim_floor.status()
        assert [i["agentId"] for i in items] == sorted(a.agent_id for a in sim_floor.agents)
        for item in items:
            agent_rows = rows[item["agentId"]]
            current = agent_rows[-1]
            presence, work = item["presence"], item["interaction"]
            if current["state"] in WORK:
                assert work[0]["state"] == {"Busy": "Connected"}.get(
                    current["state"], current["state"]
                )
                medium = {"Live": "Phone", "Semi-Live": "Chat", "Non-Live": "Email"}
                assert work[0]["medium"] == medium[current["description"]]
            else:
                assert work == []
                assert PRESENCE_CATEGORY[current["state"]] == presence["name"]
                assert presence["description"] == current["description"]
            loaded = sum(item["workload"][k] for k in ("calls", "semiLive", "nonLive"))
            assert loaded == (current["state"] in {"Busy", "Unexpected", "Failed"})
            self._presence_began_at_since(presence, agent_rows)

    @staticmethod
    def _presence_began_at_since(
        presence: dict[str, Any], agent_rows: list[dict[str, Any]]
    ) -> None:
        """The presence row at `since` has the presence's label, and no other presence follows."""
        since = [r for r in agent_rows if r["start"] == presence["since"]]
        assert len(since) == 1
        assert since[0]["description"] == presence["description"]
        later = agent_rows[agent_rows.index(since[0]) :]
        assert {r["description"] for r in later if r["state"] not in WORK} == {
            presence["description"]
        }

    def test_a_ready_agent_on_a_call_is_ready_since_before_the_call(self) -> None:
        """presence.since is when the Ready presence began, not when the call did."""
        floor = floor_at(SIM_NOW)
        busy = [i for i in floor.status() if i["interaction"]]
        assert busy
        assert any(i["presence"]["since"] < i["interaction"][0]["since"] for i in busy)
        assert all(i["presence"]["since"] <= i["interaction"][0]["since"] for i in busy)

    def test_ready_outbound_is_ready_but_not_routable(self) -> None:
        """In ReadyRFO the presence is Ready (Outbound) with eligibleForRouting false."""
        floor = floor_at(SIM_NOW)
        rfo = next(
            r for r in floor.select(SIM_DAY_START, SIM_NOW).wire() if r["state"] == "ReadyRFO"
        )
        moment = at(rfo["start"]) + timedelta(seconds=1)
        item = next(i for i in floor.status(moment) if i["agentId"] == rfo["agentId"])
        assert item["presence"] == {
            "since": rfo["start"],
            "name": "Ready",
            "description": "Ready (Outbound)",
            "eligibleForRouting": False,
        }

    def test_status_pages(self, sim_floor: Floor) -> None:
        """offset and limit cut the same list."""
        whole = sim_floor.status()
        assert sim_floor.status(offset=10, limit=7) == whole[10:17]


class TestTeamsFor:
    def test_teams_of_about_forty_never_fewer_than_four(self) -> None:
        """A big floor has many teams of about 40 (so a team answer is a team's worth);
        the default 60-agent floor keeps its 4; the count stays within the cap."""
        from bot.sim.floor import teams_for

        assert teams_for(60) == 4
        assert teams_for(5_000) == 125
        assert teams_for(20_000) == 200
        assert all(4 <= teams_for(n) <= 200 for n in range(1, 20_001, 97))
