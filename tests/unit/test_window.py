"""query.window: windows as asked, resolved against the clock in the floor's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import UserError
from bot.query.window import DaysAgo, LastSpan, OnDate, Span, Window, resolve_window
from tests.support.builders import LONDON, NOW


class TestWindows:
    def test_last_span(self) -> None:
        """`2h` is the two hours up to now."""
        span = resolve_window(LastSpan(timedelta(hours=2)), NOW, LONDON, 7)
        assert span == Span(NOW - timedelta(hours=2), NOW, "last 2 hours")

    def test_today_starts_at_local_midnight(self) -> None:
        """In summer London, today starts at 23:00 UTC the day before."""
        summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        span = resolve_window(DaysAgo(0), summer, LONDON, 7)
        assert span == Span(datetime(2026, 6, 30, 23, 0, tzinfo=UTC), summer, "today")

    @pytest.mark.parametrize(
        ("day", "hours"),
        [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 11), 24)],
    )
    def test_days_across_dst_changes(self, day: date, hours: int) -> None:
        """A whole local day is 23 h when clocks go forward and 25 h when they go back."""
        later = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        span = resolve_window(OnDate(day), later, LONDON, 365)
        assert span.end - span.start == timedelta(hours=hours)

    @pytest.mark.parametrize(
        ("window", "says"),
        [
            (OnDate(date(2026, 3, 12)), "hasn't happened"),
            (OnDate(date(2026, 2, 1)), "at most 7 days"),
            (LastSpan(timedelta(days=8)), "at most 7 days"),
        ],
    )
    def test_windows_out_of_reach(self, window: Window, says: str) -> None:
        """A future day or one older than the history limit is a friendly UserError."""
        with pytest.raises(UserError) as caught:
            resolve_window(window, NOW, LONDON, 7)
        assert says in caught.value.message
