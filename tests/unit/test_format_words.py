"""format.words: the plain vocabulary: durations, percentages, counts, states, flags, clip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.format.words import (
    BAR_SQUARES,
    STATE_EMOJI,
    clip,
    count,
    duration,
    flag_text,
    labelled,
    percent,
    reason_for,
    same_day,
    state_name,
)
from bot.query.flags import Flag, FlagKind
from bot.vcc.models import State


class TestClip:
    def test_clip_marks_the_cut(self) -> None:
        """A cut text ends with an ellipsis and keeps within the limit."""
        assert clip("abcdef", 4) == "abc…"
        assert clip("abc", 4) == "abc"

    def test_one_line_without_control_characters(self) -> None:
        """Line breaks, tabs and escapes become single spaces; no markup is added."""
        assert clip("a\nb\x1b  c & <d>", 80) == "a b c & <d>"

    @pytest.mark.parametrize(
        "control",
        [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)],
    )
    def test_bidi_controls_are_stripped(self, control: str) -> None:
        """A bidi control (an override, embedding, isolate or mark) in outside text is removed,
        so a name cannot reorder what is shown after it; the letters around it stay."""
        assert clip(f"Ann{control}Lee", 80) == "AnnLee"

    def test_a_right_to_left_override_cannot_disguise_a_name(self) -> None:
        """ "evil\u202egnp.exe" shows as typed, not reversed; right-to-left letters stay."""
        assert clip("evil\u202egnp.exe \u2067שלום\u2069", 80) == "evilgnp.exe שלום"

    def test_labelled_shows_the_id_only_when_it_says_more(self) -> None:
        """ "Label (id)", or the label alone when the id is the same text."""
        assert labelled("Priya Shah", "1102", 40, 30) == "Priya Shah (1102)"
        assert labelled("billing", "billing", 40, 30) == "billing"
        assert labelled("Ö" * 50, "1" * 50, 10, 5) == "ÖÖÖÖÖÖÖÖÖ… (1111…)"


class TestDuration:
    @pytest.mark.parametrize(
        ("td", "text"),
        [
            (timedelta(seconds=-5), "0 s"),
            (timedelta(seconds=12), "12 s"),
            (timedelta(minutes=47, seconds=59), "47 min"),
            (timedelta(hours=1, minutes=5), "1 h 05 min"),
            (timedelta(hours=23, minutes=59), "23 h 59 min"),
            (timedelta(days=2, hours=3, minutes=10), "2 d 3 h"),
        ],
    )
    def test_short_phone_friendly(self, td: timedelta, text: str) -> None:
        """Seconds, minutes, hours with two-digit minutes, then days and hours."""
        assert duration(td) == text


class TestNumbers:
    def test_percent(self) -> None:
        """Whole percentages; a dash when there is no occupancy."""
        assert percent(0.834) == "83%"
        assert percent(None) == "—"

    def test_count_is_plural_unless_one(self) -> None:
        """ "1 agent", but "0 agents" and "12 agents"."""
        assert [count(n, "agent") for n in (0, 1, 12)] == ["0 agents", "1 agent", "12 agents"]


class TestStates:
    def test_every_state_has_an_emoji_a_square_and_a_name(self) -> None:
        """Each State maps to a fixed emoji, a bar square and a supervisor's word for it."""
        assert set(STATE_EMOJI) == set(State)
        assert set(BAR_SQUARES) == {*State, None}
        assert state_name(State.EXTENDED_AWAY) == "Extended away"
        assert state_name(State.READY_RFO) == "Ready (outbound)"
        assert state_name(State.FAILED, "Fault") == "Failed"

    def test_unknown_state_shows_its_wire_label(self) -> None:
        """A state VCC added later shows its own text (plain: escaping is mrkdwn's job)."""
        assert state_name(State.UNKNOWN, "Coaching") == "Coaching"
        assert state_name(State.UNKNOWN, "<!here>") == "<!here>"
        assert state_name(State.UNKNOWN, "") == "Unknown"


class TestFlags:
    @pytest.mark.parametrize(
        ("flag", "text"),
        [
            (Flag(FlagKind.AWAY_TOO_LONG, timedelta(minutes=15)), "Away over 15 min"),
            (Flag(FlagKind.WRAP_TOO_LONG, timedelta(minutes=5)), "Wrap over 5 min"),
            (Flag(FlagKind.AWAY_TOO_LONG, timedelta(seconds=90)), "Away over 1 min"),
            (Flag(FlagKind.WRAP_TOO_LONG), "Wrap too long"),
            (Flag(FlagKind.UNEXPECTED), "Unexpected"),
            (Flag(FlagKind.FAILED), "Failed"),
        ],
    )
    def test_a_flag_in_a_supervisors_words(self, flag: Flag, text: str) -> None:
        """Each kind of flag has its words; a limit is said in whole minutes."""
        assert flag_text(flag) == text


class TestReasonFor:
    @pytest.mark.parametrize(
        ("state", "label", "reason", "shown"),
        [
            (State.READY, "Ready", "Ready", ""),
            (State.LOGGED_OUT, "LoggedOut", "Logged Out", ""),
            (State.EXTENDED_AWAY, "ExtendedAway", "Lunch", "Lunch"),
            (State.BUSY, "Busy", "Live", "Live"),
            (State.READY_RFO, "ReadyRFO", "Ready (Outbound)", ""),
            (State.READY_RFO, "ReadyRFO", "Ready (Offline)", "Ready (Offline)"),
            (State.UNKNOWN, "Snoozing", "Snoozing", ""),
        ],
    )
    def test_reason_only_when_it_says_more(
        self, state: State, label: str, reason: str, shown: str
    ) -> None:
        """A reason that only repeats the state's name is dropped; a real one is kept."""
        assert reason_for(state, label, reason) == shown


def test_same_day_is_the_floors_day() -> None:
    """22:30 and 23:30 UTC are one day in New York, but two in Berlin (23:30 and 00:30)."""
    evening, night = (datetime(2026, 3, 10, h, 30, tzinfo=UTC) for h in (22, 23))
    assert same_day(evening, night, ZoneInfo("America/New_York"))
    assert not same_day(evening, night, ZoneInfo("Europe/Berlin"))
