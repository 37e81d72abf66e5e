"""The simulated wire: times written exactly as the bot's own models write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.sim.wire import iso_ms
from bot.vcc.models import format_time


class TestTimeFormat:
    @given(st.integers(min_value=0, max_value=4_102_444_800_000))
    def test_iso_ms_is_format_time(self, ms: int) -> None:
        """The fast formatter writes exactly what format_time writes."""
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
        assert iso_ms(ms) == format_time(moment)
