"""format.mrkdwn: escaping, mentions, the markup of state words and Slack date tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.format.mrkdwn import (
    as_of,
    escape,
    inline,
    mention,
    plain_label,
    slack_date,
    slack_time,
    state_text,
    state_words,
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

    def test_plain_label_has_no_raw_specials(self) -> None:
        """Button text gets look-alikes for & < >, which read the same decoded or not."""
        assert plain_label("A&B <@U1>", 75) == "A＆B ‹@U1›"


class TestMention:
    def test_a_user_id_becomes_a_mention(self) -> None:
        """A Slack user id (U… or W…) is mentioned as <@id>."""
        assert mention("U123ABC") == "<@U123ABC>"
        assert mention("W0X") == "<@W0X>"

    @pytest.mark.parametrize("bad", ["<!channel>", "u123", "U1", "U123\n", "C123ABC", ""])
    def test_anything_else_is_not(self, bad: str) -> None:
        """Anything but a user id gives None: it could ping a channel or fake markup."""
        assert mention(bad) is None


class TestStates:
    def test_unknown_state_shows_its_wire_label_escaped(self) -> None:
        """A state VCC added later shows its own text, escaped on the way into mrkdwn."""
        assert state_text(State.UNKNOWN, "<!here>") == "❔ &lt;!here&gt;"
        assert state_text(State.AWAY) == "☕ Away"

    def test_state_words_say_state_reason_and_how_long(self) -> None:
        """ "State · reason · duration"; a reason that repeats the state is left out; outside
        text is escaped and a long reason cut to 40 characters."""
        assert state_words(State.EXTENDED_AWAY, "ExtendedAway", "Lunch", timedelta(minutes=47)) == (
            "Extended away · Lunch · 47 min"
        )
        assert state_words(State.READY, "Ready", "Ready", timedelta(seconds=5)) == "Ready · 5 s"
        words = state_words(State.UNKNOWN, "<x>", "&" * 50, timedelta())
        assert words == "&lt;x&gt; · " + "&amp;" * 39 + "… · 0 s"


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

    def test_slack_time_adds_the_day_only_when_it_changes(self) -> None:
        """A time on the reference's day is just {time}; another day leads with the day."""
        assert slack_time(AT, AT + timedelta(hours=1), ZONE).endswith("^{time}|14:02 CET>")
        other = slack_time(AT, AT + timedelta(days=1), ZONE)
        assert other.endswith("^{date_short_pretty} {time}|Tue 10 Mar 14:02 CET>")

    def test_as_of_fresh_and_stale(self) -> None:
        """ "as of" with a seconds token; stale data says since when, as a token too."""
        assert as_of(Freshness(AT), ZONE).startswith("as of <!date^")
        stale = as_of(Freshness(AT, stale=True), ZONE)
        stamp = int(AT.timestamp())
        assert stale == (
            f"⚠️ Stale since <!date^{stamp}^{{time}}|14:02 CET> — no answer from VCC since then"
            f" · as of <!date^{stamp}^{{time_secs}}|14:02:11 CET>"
        )
