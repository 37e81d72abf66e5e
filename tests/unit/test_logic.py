"""query.logic: pure answers from VCC rows, statuses and "now"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import LastSpan, OnDay
from bot.directory import Agent, Team
from bot.errors import UserError
from bot.query import logic
from bot.query.logic import Snapshot, Thresholds
from bot.vcc.models import AgentState, AgentStatus, State

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)
T = Thresholds()


def row(agent: str, start: str, minutes: float | None, state: str, desc: str = "") -> AgentState:
    """A wire row; `start` is HH:MM on 2026-03-11 UTC (or a full ISO time)."""
    iso = start if "T" in start else f"2026-03-11T{start}:00.000Z"
    duration = None if minutes is None else int(minutes * 60_000)
    return AgentState.model_validate(
        {"agentId": agent, "start": iso, "duration": duration, "state": state, "description": desc}
    )


def status(agent: str, presence: str, since: str, desc: str = "", **extra: Any) -> AgentStatus:
    return AgentStatus.model_validate(
        {
            "agentId": agent,
            "presence": {
                "since": since,
                "name": presence,
                "description": desc or presence,
                "eligibleForRouting": extra.get("eligible", presence == "Ready"),
            },
            "workload": {"since": since, "calls": 0},
            "interaction": extra.get("interaction", []),
        }
    )


def snap(
    rows: Sequence[AgentState], statuses: Sequence[AgentStatus] = (), now: datetime = NOW
) -> Snapshot:
    return Snapshot.build(rows, statuses, today=logic.day_start(now, LONDON), as_of=now, now=now)


# A call the agent connected at 11:20, as /agent-status lists it.
CALL = {
    "guid": "g",
    "channelGuid": None,
    "since": "2026-03-11T11:20:00.000Z",
    "medium": "Phone",
    "mediumManager": "CC",
    "direction": "Inbound",
    "state": "Connected",
    "reason": None,
}

DAY = [
    row("1", "08:00", 60, "Ready", "Ready"),
    row("1", "09:00", 30, "Busy", "Live"),
    row("1", "09:30", 10, "Wrap", "Live"),
    row("1", "09:40", 20, "Away", "Break"),
    row("1", "10:00", 60, "Ready", "Ready"),
    row("1", "11:00", None, "Away", "Break"),
]


class TestCurrentState:
    def test_open_row_is_current(self) -> None:
        """The row with duration null is the current state, with its reason and start."""
        now = logic.agent_now(snap(DAY), Agent("1", "A"), [], T)
        assert (now.state, now.reason) == (State.AWAY, "Break")
        assert now.since == datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
        assert now.elapsed == timedelta(minutes=30)

    def test_away_past_threshold_is_flagged(self) -> None:
        """Away for 30 min with a 15 min threshold is flagged; under it is not."""
        assert logic.agent_now(snap(DAY), Agent("1", "A"), [], T).flag == "Away over 15 min"
        lenient = Thresholds(away=timedelta(minutes=45))
        assert logic.agent_now(snap(DAY), Agent("1", "A"), [], lenient).flag is None

    @pytest.mark.parametrize(
        ("state", "minutes", "flagged"),
        [
            (State.WRAP, 6, True),
            (State.WRAP, 4, False),
            (State.UNEXPECTED, 0, True),
            (State.FAILED, 0, True),
            (State.EXTENDED_AWAY, 90, False),
            (State.BUSY, 60, False),
        ],
    )
    def test_flags(self, state: State, minutes: int, flagged: bool) -> None:
        """Wrap over 5 min, any Unexpected or Failed are flagged; lunch and calls are not."""
        assert (logic.flag(state, timedelta(minutes=minutes), T) is not None) is flagged

    def test_status_fills_in_when_no_open_row(self) -> None:
        """Logged out since yesterday: no row today, agent-status gives state and since."""
        st = status("2", "LoggedOut", "2026-03-10T17:31:12.450Z", "Logged Out")
        now = logic.agent_now(snap([], [st]), Agent("2", "B"), [], T)
        assert now.state is State.LOGGED_OUT
        assert now.since == datetime(2026, 3, 10, 17, 31, 12, 450000, tzinfo=UTC)
        assert now.today.logged_in == timedelta()

    def test_status_interaction_means_busy(self) -> None:
        """Ready presence while connected on a call is Busy, with the live interaction shown."""
        st = status("3", "Ready", "2026-03-11T08:00:00.000Z", interaction=[CALL])
        now = logic.agent_now(snap([], [st]), Agent("3", "C"), [], T)
        assert now.state is State.BUSY
        assert now.elapsed == timedelta(minutes=10)
        assert now.interactions[0].medium == "Phone"
        assert now.interactions[0].direction == "Inbound"

    def test_ready_not_routable_is_ready_rfo(self) -> None:
        """A Ready presence that is not eligible for routing is ReadyRFO."""
        st = status("4", "Ready", "2026-03-11T08:00:00.000Z", eligible=False)
        assert logic.agent_now(snap([], [st]), Agent("4", "D"), [], T).state is State.READY_RFO

    def test_no_data_at_all(self) -> None:
        """An agent VCC says nothing about is Unknown, not a crash."""
        assert logic.agent_now(snap([]), Agent("5", "E"), [], T).state is State.UNKNOWN


class TestTotals:
    def test_today_totals_and_occupancy(self) -> None:
        """Totals add each state's time today; occupancy = (Busy+Wrap)/(logged in - away)."""
        today = logic.agent_now(snap(DAY), Agent("1", "A"), [], T).today
        assert today.ready == timedelta(minutes=120)
        assert today.busy == timedelta(minutes=30)
        assert today.wrap == timedelta(minutes=10)
        assert today.away == timedelta(minutes=50)
        assert today.occupancy == pytest.approx(40 / (210 - 50))

    def test_rows_clipped_at_midnight(self) -> None:
        """A state that began before local midnight counts only from midnight."""
        rows = [row("1", "2026-03-10T23:00:00.000Z", 120, "ExtendedAway", "Night")]
        totals = logic.agent_now(snap(rows), Agent("1", "A"), [], T).today
        assert totals.away == timedelta(minutes=60)

    def test_occupancy_none_when_never_available(self) -> None:
        """Nobody available means no occupancy figure, not a division by zero."""
        rows = [row("1", "09:00", None, "ExtendedAway", "Lunch")]
        assert logic.agent_now(snap(rows), Agent("1", "A"), [], T).today.occupancy is None


class TestTeamSummary:
    def test_counts_order_and_flags(self) -> None:
        """Flagged agents come first, then the longest in state; logged-out agents last."""
        rows = [
            *DAY,
            row("2", "11:25", None, "Ready", "Ready"),
            row("3", "10:00", None, "Busy", "Live"),
            row("4", "11:29", None, "Unexpected", "Live"),
            row("5", "07:00", 120, "Ready", "Ready"),
            row("5", "09:00", None, "LoggedOut", "Logged Out"),
        ]
        team = Team("t", "Billing", ("1", "2", "3", "4", "5"))
        agents = [Agent(i, f"Agent {i}") for i in team.agent_ids]
        summary = logic.team_summary(snap(rows), team, agents, T)
        assert [line.agent.id for line in summary.agents] == ["1", "4", "3", "2", "5"]
        assert dict(summary.counts) == {
            State.READY: 1,
            State.BUSY: 1,
            State.UNEXPECTED: 1,
            State.AWAY: 1,
            State.LOGGED_OUT: 1,
        }
        assert summary.agents[0].away_today == timedelta(minutes=50)
        assert summary.away_today == timedelta(minutes=50)

    def test_who_filters_and_sorts(self) -> None:
        """`who` keeps only agents in the states asked, longest first."""
        rows = [
            row("1", "11:00", None, "Away", "Break"),
            row("2", "10:00", None, "ExtendedAway", "Lunch"),
            row("3", "10:00", None, "Ready", "Ready"),
        ]
        agents = [Agent(i, i) for i in "123"]
        result = logic.who(snap(rows), (State.AWAY, State.EXTENDED_AWAY), "away", None, agents, T)
        assert [line.agent.id for line in result.agents] == ["2", "1"]

    def test_teams_list(self) -> None:
        """Each team counts its logged-in, ready and flagged agents."""
        rows = [
            row("1", "11:00", None, "Away", "Break"),
            row("2", "11:00", None, "Ready", "Ready"),
            row("3", "07:00", None, "LoggedOut", "Logged Out"),
        ]
        result = logic.teams_list(snap(rows), [Team("t", "T", ("1", "2", "3"))], T)
        line = result.teams[0]
        assert (line.logged_in, line.ready, line.flagged) == (2, 1, 1)


class TestWindows:
    def test_last_span(self) -> None:
        """`2h` is the two hours up to now."""
        start, end, label = logic.resolve_window(LastSpan(timedelta(hours=2)), NOW, LONDON, 7)
        assert (start, end, label) == (NOW - timedelta(hours=2), NOW, "last 2 hours")

    def test_today_starts_at_local_midnight(self) -> None:
        """In summer London, today starts at 23:00 UTC the day before."""
        summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        start, end, label = logic.resolve_window(OnDay(days_ago=0), summer, LONDON, 7)
        assert start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
        assert end == summer
        assert label == "today"

    @pytest.mark.parametrize(
        ("day", "hours"),
        [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 11), 24)],
    )
    def test_days_across_dst_changes(self, day: date, hours: int) -> None:
        """A whole local day is 23 h when clocks go forward and 25 h when they go back."""
        later = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        start, end, _ = logic.resolve_window(OnDay(day=day), later, LONDON, 365)
        assert end - start == timedelta(hours=hours)

    @pytest.mark.parametrize(
        ("window", "says"),
        [
            (OnDay(day=date(2026, 3, 12)), "hasn't happened"),
            (OnDay(day=date(2026, 2, 1)), "at most 7 days"),
            (LastSpan(timedelta(days=8)), "at most 7 days"),
        ],
    )
    def test_windows_out_of_reach(self, window: object, says: str) -> None:
        """A future day or one older than the history limit is a friendly UserError."""
        with pytest.raises(UserError) as caught:
            logic.resolve_window(window, NOW, LONDON, 7)  # type: ignore[arg-type]
        assert says in caught.value.message


class TestHistory:
    def test_timeline_and_bar(self) -> None:
        """The timeline lists each state in the window; the bar's slots follow it."""
        window = (datetime(2026, 3, 11, 9, 0, tzinfo=UTC), NOW, "last 2.5 hours")
        result = logic.history(DAY, None, Agent("1", "A"), window, NOW, NOW, T)
        assert [p.state for p in result.periods] == [
            State.BUSY,
            State.WRAP,
            State.AWAY,
            State.READY,
            State.AWAY,
        ]
        assert result.periods[-1].ongoing
        assert result.totals.busy == timedelta(minutes=30)
        assert len(result.bar) == logic.BAR_SLOTS
        assert result.bar[0] is State.BUSY
        assert result.bar[-1] is State.AWAY

    def test_closed_day_has_no_current(self) -> None:
        """Yesterday's history ends at midnight; today's state is not added to it."""
        yesterday = [row("1", "2026-03-10T09:00:00.000Z", 60, "Ready", "Ready")]
        st = status("1", "Away", "2026-03-11T11:00:00.000Z", "Break")
        start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        window = (start, start + timedelta(days=1), "yesterday")
        result = logic.history(yesterday, st, Agent("1", "A"), window, NOW, NOW, T)
        assert [p.state for p in result.periods] == [State.READY]
        assert result.bar.count(None) == logic.BAR_SLOTS - 1


class TestFreshness:
    def test_stale_when_older_than_threshold(self) -> None:
        """Data older than the stale threshold is marked stale."""
        assert logic.freshness(NOW - timedelta(minutes=3), NOW, T).stale
        assert not logic.freshness(NOW - timedelta(seconds=10), NOW, T).stale


class TestLiveStatusWins:
    def test_status_newer_than_open_row_wins(self) -> None:
        """WFM still says Ready since 11:00, agent-status has a call since 11:20: Busy, 10 min;
        the Ready period is cut where the call began."""
        rows = [row("1", "11:00", None, "Ready", "Ready")]
        st = status("1", "Ready", "2026-03-11T11:00:00.000Z", interaction=[CALL])
        snapshot = snap(rows, [st])
        now = logic.agent_now(snapshot, Agent("1", "A"), [], T)
        assert (now.state, now.elapsed) == (State.BUSY, timedelta(minutes=10))
        assert now.today.ready == timedelta(minutes=20)
        assert now.today.busy == timedelta(minutes=10)

    def test_open_row_newer_than_status_stays(self) -> None:
        """Presence Ready since 08:00 says nothing newer than the open Wrap row: Wrap stays."""
        rows = [row("1", "11:25", None, "Wrap", "Live")]
        st = status("1", "Ready", "2026-03-11T08:00:00.000Z")
        now = logic.agent_now(snap(rows, [st]), Agent("1", "A"), [], T)
        assert (now.state, now.reason) == (State.WRAP, "Live")


class TestClosedHistory:
    def test_state_spanning_the_whole_window(self) -> None:
        """Logged out from Friday evening to Monday morning fills all of Sunday."""
        rows = [row("1", "2026-03-06T17:00:00.000Z", 63 * 60, "LoggedOut", "Logged Out")]
        start = datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
        window = (start, start + timedelta(days=1), "Sun 08 Mar 2026")
        result = logic.history(rows, None, Agent("1", "A"), window, NOW, NOW, T)
        assert [(p.state, p.duration) for p in result.periods] == [
            (State.LOGGED_OUT, timedelta(days=1))
        ]
        assert None not in result.bar

    def test_closed_window_is_never_stale(self) -> None:
        """Yesterday's timeline read long ago is history, not stale data."""
        start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        window = (start, start + timedelta(days=1), "yesterday")
        old = NOW - timedelta(hours=1)
        assert not logic.history([], None, Agent("1", "A"), window, old, NOW, T).freshness.stale
