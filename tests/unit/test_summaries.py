"""query.summaries: answers about an agent, a team, teams and who, from one read of the floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.directory import Agent, Team
from bot.query import summaries
from bot.query.flags import Flag, FlagKind, Thresholds, flag
from bot.vcc.models import State
from tests.support.builders import CALL, DAY, NOW, row, snap, status

T = Thresholds()


class TestCurrentState:
    def test_open_row_is_current(self) -> None:
        """The row with duration null is the current state, with its reason and start."""
        now = summaries.agent_now(snap(DAY), Agent("1", "A"), [], T)
        assert (now.state, now.reason) == (State.AWAY, "Break")
        assert now.since == datetime(2026, 3, 11, 11, 0, tzinfo=UTC)
        assert now.elapsed == timedelta(minutes=30)

    def test_away_past_threshold_is_flagged(self) -> None:
        """Away for 30 min with a 15 min threshold is flagged; under it is not."""
        assert summaries.agent_now(snap(DAY), Agent("1", "A"), [], T).flag == Flag(
            FlagKind.AWAY_TOO_LONG, timedelta(minutes=15)
        )
        lenient = Thresholds(away=timedelta(minutes=45))
        assert summaries.agent_now(snap(DAY), Agent("1", "A"), [], lenient).flag is None

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
        assert (flag(state, timedelta(minutes=minutes), T) is not None) is flagged

    def test_status_fills_in_when_no_open_row(self) -> None:
        """Logged out since yesterday: no row today, agent-status gives state and since."""
        st = status("2", "LoggedOut", "2026-03-10T17:31:12.450Z", "Logged Out")
        now = summaries.agent_now(snap([], [st]), Agent("2", "B"), [], T)
        assert now.state is State.LOGGED_OUT
        assert now.since == datetime(2026, 3, 10, 17, 31, 12, 450000, tzinfo=UTC)
        assert now.today.logged_in == timedelta()

    def test_status_interaction_means_busy(self) -> None:
        """Ready presence while connected on a call is Busy, with the live interaction shown."""
        st = status("3", "Ready", "2026-03-11T08:00:00.000Z", interaction=[CALL])
        now = summaries.agent_now(snap([], [st]), Agent("3", "C"), [], T)
        assert now.state is State.BUSY
        assert now.elapsed == timedelta(minutes=10)
        assert now.interactions[0].medium == "Phone"
        assert now.interactions[0].direction == "Inbound"

    def test_ready_not_routable_is_ready_rfo(self) -> None:
        """A Ready presence that is not eligible for routing is ReadyRFO."""
        st = status("4", "Ready", "2026-03-11T08:00:00.000Z", eligible=False)
        assert summaries.agent_now(snap([], [st]), Agent("4", "D"), [], T).state is State.READY_RFO

    def test_no_data_at_all(self) -> None:
        """An agent VCC says nothing about is Unknown, not a crash."""
        assert summaries.agent_now(snap([]), Agent("5", "E"), [], T).state is State.UNKNOWN


class TestTotals:
    def test_today_totals_and_occupancy(self) -> None:
        """Totals add each state's time today; occupancy = (Busy+Wrap)/(logged in - away)."""
        today = summaries.agent_now(snap(DAY), Agent("1", "A"), [], T).today
        assert today.ready == timedelta(minutes=120)
        assert today.busy == timedelta(minutes=30)
        assert today.wrap == timedelta(minutes=10)
        assert today.away == timedelta(minutes=50)
        assert today.occupancy == pytest.approx(40 / (210 - 50))

    def test_rows_clipped_at_midnight(self) -> None:
        """A state that began before local midnight counts only from midnight."""
        rows = [row("1", "2026-03-10T23:00:00.000Z", 120, "ExtendedAway", "Night")]
        totals = summaries.agent_now(snap(rows), Agent("1", "A"), [], T).today
        assert totals.away == timedelta(minutes=60)

    def test_occupancy_none_when_never_available(self) -> None:
        """Nobody available means no occupancy figure, not a division by zero."""
        rows = [row("1", "09:00", None, "ExtendedAway", "Lunch")]
        assert summaries.agent_now(snap(rows), Agent("1", "A"), [], T).today.occupancy is None


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
        summary = summaries.team_summary(snap(rows), team, agents, T)
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
        result = summaries.who(
            snap(rows), (State.AWAY, State.EXTENDED_AWAY), "away", None, agents, T
        )
        assert [line.agent.id for line in result.agents] == ["2", "1"]

    def test_teams_list(self) -> None:
        """Each team counts its logged-in, ready and flagged agents."""
        rows = [
            row("1", "11:00", None, "Away", "Break"),
            row("2", "11:00", None, "Ready", "Ready"),
            row("3", "07:00", None, "LoggedOut", "Logged Out"),
        ]
        result = summaries.teams_list(snap(rows), [Team("t", "T", ("1", "2", "3"))], T)
        line = result.teams[0]
        assert (line.logged_in, line.ready, line.flagged) == (2, 1, 1)


class TestFreshness:
    def test_stale_when_older_than_threshold(self) -> None:
        """Data older than the stale threshold is marked stale."""
        assert summaries.freshness(NOW - timedelta(minutes=3), NOW, T).stale
        assert not summaries.freshness(NOW - timedelta(seconds=10), NOW, T).stale


class TestLiveStatusWins:
    def test_status_newer_than_open_row_wins(self) -> None:
        """WFM still says Ready since 11:00, agent-status has a call since 11:20: Busy, 10 min;
        the Ready period is cut where the call began."""
        rows = [row("1", "11:00", None, "Ready", "Ready")]
        st = status("1", "Ready", "2026-03-11T11:00:00.000Z", interaction=[CALL])
        snapshot = snap(rows, [st])
        now = summaries.agent_now(snapshot, Agent("1", "A"), [], T)
        assert (now.state, now.elapsed) == (State.BUSY, timedelta(minutes=10))
        assert now.today.ready == timedelta(minutes=20)
        assert now.today.busy == timedelta(minutes=10)

    def test_open_row_newer_than_status_stays(self) -> None:
        """Presence Ready since 08:00 says nothing newer than the open Wrap row: Wrap stays."""
        rows = [row("1", "11:25", None, "Wrap", "Live")]
        st = status("1", "Ready", "2026-03-11T08:00:00.000Z")
        now = summaries.agent_now(snap(rows, [st]), Agent("1", "A"), [], T)
        assert (now.state, now.reason) == (State.WRAP, "Live")
