"""Properties of the pure core: periods and totals over any rows, status and window."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.query.source import FloorRead
from bot.query.timeline import current_state, periods, totals
from tests.strategies import agent_rows, agent_statuses, windows
from tests.support.builders import NOW


class TestPeriods:
    @given(agent_rows(), agent_statuses(), windows())
    def test_sorted_disjoint_inside_the_window(self, rows, status, window) -> None:  # type: ignore[no-untyped-def]
        """Periods are sorted, never overlap, lie inside the window and sum to at most its
        length, whatever the rows (gaps, overlaps, re-deliveries, open rows) and status."""
        start, end = window
        ordered = FloorRead.of(rows, [status] if status else [], NOW).rows_of("1")
        current = current_state(ordered, status, NOW)
        spans = periods(ordered, current, start, end, NOW)
        for p in spans:
            assert start <= p.start < p.end <= end
        for a, b in itertools.pairwise(spans):
            assert a.end <= b.start
        assert sum((p.duration for p in spans), timedelta()) <= end - start

    @given(agent_rows(), agent_statuses(), windows())
    def test_occupancy_is_a_fraction(self, rows, status, window) -> None:  # type: ignore[no-untyped-def]
        """Occupancy is None or within [0, 1]; totals never exceed the window."""
        start, end = window
        ordered = FloorRead.of(rows, [], NOW).rows_of("1")
        spans = periods(ordered, current_state(ordered, status, NOW), start, end, NOW)
        day = totals(spans)
        assert day.occupancy is None or 0.0 <= day.occupancy <= 1.0
        assert day.logged_in <= end - start

    @given(st.data())
    def test_only_the_last_period_is_ongoing(self, data: st.DataObject) -> None:
        """At most one period is ongoing, and it is the last."""
        rows = data.draw(agent_rows())
        status = data.draw(agent_statuses())
        start, end = data.draw(windows())
        ordered = FloorRead.of(rows, [], NOW).rows_of("1")
        spans = periods(ordered, current_state(ordered, status, NOW), start, end, NOW)
        ongoing = [n for n, p in enumerate(spans) if p.ongoing]
        assert ongoing in ([], [len(spans) - 1])
