"""query.timeline and summaries.history: an agent's periods over a window, totals and the bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.directory import Agent
from bot.query import summaries
from bot.query.flags import Thresholds
from bot.query.timeline import BAR_SLOTS
from bot.query.window import Span
from bot.vcc.models import State
from tests.support.builders import DAY, NOW, read, row, status

T = Thresholds()


class TestHistory:
    def test_timeline_and_bar(self) -> None:
        """The timeline lists each state in the window; the bar's slots follow it."""
        span = Span(datetime(2026, 3, 11, 9, 0, tzinfo=UTC), NOW, "last 2.5 hours")
        result = summaries.history(read(DAY), Agent("1", "A"), span, NOW, T)
        assert [p.state for p in result.periods] == [
            State.BUSY,
            State.WRAP,
            State.AWAY,
            State.READY,
            State.AWAY,
        ]
        assert result.periods[-1].ongoing
        assert result.totals.busy == timedelta(minutes=30)
        assert len(result.bar) == BAR_SLOTS
        assert result.bar[0] is State.BUSY
        assert result.bar[-1] is State.AWAY

    def test_closed_day_has_no_current(self) -> None:
        """Yesterday's history ends at midnight; today's state is not added to it."""
        yesterday = [row("1", "2026-03-10T09:00:00.000Z", 60, "Ready", "Ready")]
        st = status("1", "Away", "2026-03-11T11:00:00.000Z", "Break")
        start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        span = Span(start, start + timedelta(days=1), "yesterday")
        result = summaries.history(read(yesterday, [st]), Agent("1", "A"), span, NOW, T)
        assert [p.state for p in result.periods] == [State.READY]
        assert result.bar.count(None) == BAR_SLOTS - 1


class TestClosedHistory:
    def test_state_spanning_the_whole_window(self) -> None:
        """Logged out from Friday evening to Monday morning fills all of Sunday."""
        rows = [row("1", "2026-03-06T17:00:00.000Z", 63 * 60, "LoggedOut", "Logged Out")]
        start = datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
        span = Span(start, start + timedelta(days=1), "Sun 08 Mar 2026")
        result = summaries.history(read(rows), Agent("1", "A"), span, NOW, T)
        assert [(p.state, p.duration) for p in result.periods] == [
            (State.LOGGED_OUT, timedelta(days=1))
        ]
        assert None not in result.bar

    def test_closed_window_is_never_stale(self) -> None:
        """Yesterday's timeline read long ago is history, not stale data."""
        start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        span = Span(start, start + timedelta(days=1), "yesterday")
        old = NOW - timedelta(hours=1)
        assert not summaries.history(
            read([], as_of=old), Agent("1", "A"), span, NOW, T
        ).freshness.stale
