"""The simulated wire: times and rows written exactly as the bot's own models and json write
them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sim.wire import iso_ms
from bot.vcc.models import format_time
from tests.support.sim import floor_at


class TestTimeFormat:
    @given(st.integers(min_value=0, max_value=4_102_444_800_000))
    def test_iso_ms_is_format_time(self, ms: int) -> None:
        """The fast formatter writes exactly what format_time writes."""
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
        assert iso_ms(ms) == format_time(moment)


class TestRowsAsJson:
    @pytest.mark.parametrize("shifts", ["around-the-clock", "day"])
    @pytest.mark.parametrize(("start", "stop"), [(0, None), (7, 2000), (5, 5), (10**6, None)])
    def test_wire_json_is_what_json_dumps_writes(
        self, shifts: str, start: int, stop: int | None
    ) -> None:
        """The fast writer gives json.dumps's compact text of the same rows, open rows
        (null durations), outbound calls and empty pages included."""
        now = datetime(2026, 3, 12, 0, 40, tzinfo=UTC)
        selection = floor_at(now, shifts=shifts).select(
            now - timedelta(hours=30), now, "StartedOrEnded"
        )
        rows = selection.wire(start, stop)
        text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        assert selection.wire_json(start, stop) == text[1:-1]
        if start == 0 and stop is None:
            assert any(r["duration"] is None for r in rows)
            assert any(r["description"] == "Ready (Outbound)" for r in rows)
