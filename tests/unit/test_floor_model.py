"""The floor model's storage rules (shared/vcc/API.md §3-4), on rows built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.errors import ConfigError
from bot.floor import FloorModel, Poller, read_model
from bot.query.source import ReadScope
from bot.settings import load_settings
from bot.vcc.models import AgentState, Include, StateRows, StatusSnapshot

T0 = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def row(agent: str, minute: int, minutes: int | None, state: str = "Ready") -> AgentState:
    return AgentState.model_validate(
        {
            "agentId": agent,
            "start": (T0 + timedelta(minutes=minute)).isoformat(),
            "duration": None if minutes is None else minutes * 60_000,
            "state": state,
            "description": state,
        }
    )


def rows_of(model: FloorModel, agent: str) -> list[tuple[int, int | None, str]]:
    end = T0 + timedelta(days=1)
    read = read_model(model, ReadScope(model.origin, end, agent), end)
    return [
        ((r.start - T0) // timedelta(minutes=1), r.duration_ms, r.raw_state)
        for r in read.rows_of(agent)
    ]


class TestApply:
    def test_a_redelivered_row_replaces_and_never_doubles(self) -> None:
        """The open row, then the same row closed: one row, the closed copy."""
        model = FloorModel(T0)
        model.apply([row("1", 0, None)], T0, T0 + timedelta(minutes=5))
        model.apply([row("1", 0, 7), row("1", 7, None, "Busy")], T0, T0 + timedelta(minutes=9))
        assert rows_of(model, "1") == [(0, 420_000, "Ready"), (7, None, "Busy")]

    def test_a_late_row_lands_in_place(self) -> None:
        """A row that starts before rows already held is inserted in start order."""
        model = FloorModel(T0)
        model.apply([row("1", 10, None, "Busy")], T0, T0 + timedelta(minutes=11))
        model.apply(
            [row("1", 4, 6, "Away")], T0 + timedelta(minutes=11), T0 + timedelta(minutes=12)
        )
        assert rows_of(model, "1") == [(4, 360_000, "Away"), (10, None, "Busy")]

    def test_rows_of_the_window_not_returned_are_dropped_older_ones_kept(self) -> None:
        """For an agent in the answer, a held row starting inside the window but not returned
        was re-cut and goes; one starting before the window stays; other agents untouched."""
        model = FloorModel(T0)
        first = [row("1", 0, 10), row("1", 10, 5), row("1", 15, None), row("2", 12, None)]
        model.apply(first, T0, T0 + timedelta(minutes=20))
        model.apply(
            [row("1", 10, None, "Busy")], T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)
        )
        assert rows_of(model, "1") == [(0, 600_000, "Ready"), (10, None, "Busy")]
        assert rows_of(model, "2") == [(12, None, "Ready")]

    def test_a_read_keeps_what_it_saw(self) -> None:
        """A read made before an apply still shows the rows as they were."""
        model = FloorModel(T0)
        model.apply([row("1", 0, None)], T0, T0 + timedelta(minutes=5))
        end = T0 + timedelta(hours=1)
        before = read_model(model, ReadScope(T0, end, "1"), end)
        model.apply([row("1", 0, 3), row("1", 3, None, "Busy")], T0, end)
        assert [r.duration_ms for r in before.rows_of("1")] == [None]
        assert [r.duration_ms for r in before.open_rows_of("1")] == [None]


class TestOrigin:
    def test_a_new_day_forgets_rows_that_ended_before_it_and_keeps_the_open_one(self) -> None:
        model = FloorModel(T0)
        rows = [row("1", 0, 40), row("1", 40, 20), row("1", 60, None), row("2", 0, 30)]
        model.apply(rows, T0, T0 + timedelta(hours=2))
        model.move_origin(T0 + timedelta(minutes=45))
        assert rows_of(model, "1") == [(40, 1_200_000, "Ready"), (60, None, "Ready")]
        assert list(model.agents()) == ["1"]

    def test_rows_that_ended_before_the_origin_are_not_taken(self) -> None:
        model = FloorModel(T0 + timedelta(hours=1))
        model.apply([row("1", 0, 30), row("1", 30, None)], T0, T0 + timedelta(hours=2))
        assert model.row_count == 1


class TestPollSetting:
    def test_the_poll_interval_defaults_to_15_s_and_is_never_below_vcc_cache(self) -> None:
        assert load_settings({}).poll_seconds == 15
        assert load_settings({"AGENTSTATE_POLL_SECONDS": "5"}).poll_seconds == 5
        with pytest.raises(ConfigError, match="AGENTSTATE_POLL_SECONDS"):
            load_settings({"AGENTSTATE_POLL_SECONDS": "4"})


class _BehindVcc:
    """A VCC whose clock is `lag` behind ours: every upTo is that much earlier."""

    def __init__(self, now: datetime, lag: timedelta) -> None:
        self.upto = now - lag
        self.reads: list[tuple[datetime, datetime]] = []

    async def agent_status(self) -> StatusSnapshot:
        return StatusSnapshot((), self.upto)

    async def agent_states(
        self,
        start: datetime,
        end: datetime,
        *,
        agent_id: str | None = None,
        include: Include = "StartedOrEnded",
    ) -> StateRows:
        self.reads.append((start, end))
        return StateRows((), self.upto)


class TestCursor:
    async def test_the_cursor_is_vccs_upto_and_a_clock_behind_ours_ends_the_cycle(self) -> None:
        """The next start is the previous upTo; when VCC's clock is behind ours, the cursor
        stops at its upTo and the cycle ends instead of asking for the same window again."""
        now = T0 + timedelta(hours=3)
        vcc = _BehindVcc(now, timedelta(minutes=2))
        model = FloorModel(T0)
        poller = Poller(vcc, model, FrozenClock(now), zone=ZoneInfo("UTC"), interval=15)
        poller.cursor = T0 + timedelta(hours=2)
        await poller.cycle()
        assert vcc.reads == [(T0 + timedelta(hours=2), now), (now - timedelta(minutes=2), now)]
        assert poller.cursor == now - timedelta(minutes=2)
        assert model.rows_as_of == poller.cursor
