"""format.mrkdwn: escaping, durations, state words and Slack date tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.format.mrkdwn import (
    STATE_EMOJI,
    as_of,
    clip,
    duration,
    escape,
    inline,
    percent,
    plain_label,
    reason_for,
    slack_date,
    state_name,
    state_text,
)
from bot.query.results import Freshness
from bot.vcc.models import State

ZONE = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 3, 10, 13, 2, 11, tzinfo=UTC)  # 14:02:11 in Berlin


class TestEscape:
    def test_escapes_the_three_characters_slack_asks_for(self) -> None:
        """&, < and > become entities; & first, so nothing is escaped twice."""
        assert escape("A&B <!channel> >x") == "A&amp;B &lt;!channel&gt; &gt;x"

    def test_leaves_everything_else_alone(self) -> None:
        """Quotes, markup and unicode are not entity-encoded: they show as typed."""
        assert escape('Zoë "O\'Neil" *x*') == 'Zoë "O\'Neil" *x*'

    def test_inline_keeps_one_line_and_cuts_before_escaping(self) -> None:
        """Line breaks and control characters become spaces; a cut never splits an entity."""
        assert inline("a\nb\x1b  c", 80) == "a b c"
        assert inline("&&&&", 3) == "&amp;&amp;…"

    def test_clip_marks_the_cut(self) -> None:
        """A cut text ends with an ellipsis and keeps within the limit."""
        assert clip("abcdef", 4) == "abc…"
        assert clip("abc", 4) == "abc"

    def test_plain_label_has_no_raw_specials(self) -> None:
        """Button text gets look-alikes for & < >, which read the same decoded or not."""
        assert plain_label("A&B <@U1>", 75) == "A＆B ‹@U1›"


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


class TestStates:
    def test_every_state_has_an_emoji_and_a_name(self) -> None:
        """Each State maps to a fixed emoji and a supervisor's word for it."""
        assert set(STATE_EMOJI) == set(State)
        assert state_name(State.EXTENDED_AWAY) == "Extended away"
        assert state_name(State.READY_RFO) == "Ready (outbound)"
        assert state_name(State.FAILED, "Fault") == "Failed"

    def test_unknown_state_shows_its_wire_label_escaped(self) -> None:
        """A state VCC added later shows its own text, escaped on the way into mrkdwn."""
        assert state_name(State.UNKNOWN, "Coaching") == "Coaching"
        assert state_text(State.UNKNOWN, "<!here>") == "❔ &lt;!here&gt;"
        assert state_name(State.UNKNOWN, "") == "Unknown"

    def test_percent(self) -> None:
        """Whole percentages; a dash when there is no occupancy."""
        assert percent(0.834) == "83%"
        assert percent(None) == "—"


class TestSlackDate:
    def test_token_with_floor_zone_fallback(self) -> None:
        """`<!date^UNIX^{token}|fallback>`, the fallback in the floor's zone."""
        assert slack_date(AT, "{time_secs}", ZONE) == (
            f"<!date^{int(AT.timestamp())}^{{time_secs}}|14:02:11 CET>"
        )

    def test_day_tokens(self) -> None:
        """Date tokens fall back to the date in the floor's zone."""
        text = slack_date(AT, "{date_short_pretty} {time}", ZONE)
        assert text.endswith("|Tue 10 Mar 14:02 CET>")

    def test_naive_time_or_bad_token_is_refused(self) -> None:
        """A naive time or an unknown/unsafe token is a programming error."""
        with pytest.raises(ValueError, match="aware"):
            slack_date(AT.replace(tzinfo=None), "{time}", ZONE)
        with pytest.raises(ValueError, match="format"):
            slack_date(AT, "{nope}", ZONE)
        with pytest.raises(ValueError, match="format"):
            slack_date(AT, "{time}|x", ZONE)

    def test_as_of_fresh_and_stale(self) -> None:
        """ "as of" with a seconds token; a warning leads when the data is stale."""
        assert as_of(Freshness(AT), ZONE).startswith("as of <!date^")
        stale = as_of(Freshness(AT, stale=True), ZONE)
        assert stale.startswith("⚠️ data may be stale — as of <!date^")


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
