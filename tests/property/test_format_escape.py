"""Properties of the formatters: outside text never becomes mrkdwn, and replies fit Slack."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.format import BlockRenderer, TextRenderer
from bot.format.mrkdwn import escape, inline
from bot.query.results import FLOOR_ANSWERS, Answer, Freshness, Reply
from tests.strategies import agent_nows, answers, histories, nasty_text, team_summaries
from tests.support.answers import ZONE
from tests.support.checks import assert_valid, texts

# The only `<…>` we emit ourselves: date tokens, and the sharer's mention.
OWN_TOKENS = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>|<@[UW][A-Z0-9]{2,20}>")
ENTITY = re.compile(r"&(amp|lt|gt);")
user_ids = st.from_regex(r"\A[UW][A-Z0-9]{2,20}\Z")
BLOCKS = {s: BlockRenderer(ZONE, simulated=s) for s in (False, True)}
TEXT = {s: TextRenderer(ZONE, simulated=s) for s in (False, True)}
SLOW = settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_no_raw_markup(text: str) -> None:
    """Apart from our own tokens, no `<`, `>`, or `&` that does not start an entity."""
    bare = OWN_TOKENS.sub("", text)
    assert "<" not in bare, text
    assert ">" not in bare, text
    assert "&" not in ENTITY.sub("", bare), text


def still_loading(answer: Answer, stale: bool) -> Answer:
    """The answer as a bot still reading today's rows would give it (floor answers only)."""
    if not isinstance(answer, FLOOR_ANSWERS):
        return answer
    return replace(answer, freshness=Freshness(answer.freshness.as_of, stale, loading=True))


def render(
    answer: Answer, shared_by: str | None = None, *, simulated: bool = False
) -> tuple[list[dict[str, Any]], str]:
    blocks, fallback = BLOCKS[simulated].render(Reply(answer, "cmd"), shared_by=shared_by)
    assert_valid(blocks)
    assert len(fallback) <= 40_000
    return blocks, fallback


class TestEscape:
    @given(st.text())
    def test_leaves_no_raw_specials(self, text: str) -> None:
        """After escape the only & start &amp; &lt; &gt;, and there is no < or >."""
        assert_no_raw_markup(escape(text))

    @given(st.text())
    def test_is_reversible(self, text: str) -> None:
        """Undoing the three entities (&amp; last) gives the text back: nothing else changed."""
        back = escape(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert back == text

    @given(nasty_text, st.integers(1, 300))
    def test_inline_is_one_safe_line(self, text: str, limit: int) -> None:
        """inline() output is one line, escaped, cut to the limit before escaping."""
        out = inline(text, limit)
        assert "\n" not in out
        assert_no_raw_markup(out)
        assert len(ENTITY.sub("_", out)) <= limit


class TestBlocks:
    @SLOW
    @given(answers, st.none() | user_ids, st.booleans())
    def test_every_answer_is_valid_escaped_and_within_limits(
        self, answer: Answer, shared_by: str | None, simulated: bool
    ) -> None:
        """Any answer with any names, simulated or not: valid blocks, within limits, no raw
        markup of user text."""
        blocks, fallback = render(answer, shared_by, simulated=simulated)
        for text in [*texts(blocks), fallback]:
            assert "<!" not in OWN_TOKENS.sub("", text)
            assert "<@" not in OWN_TOKENS.sub("", text)
            assert_no_raw_markup(text)
        ids = [e["action_id"] for b in blocks for e in b.get("elements", ()) if "action_id" in e]
        assert len(ids) == len(set(ids))
        if shared_by is not None:
            assert not ids

    @SLOW
    @given(answers, st.booleans(), st.none() | user_ids)
    def test_loading_answers_are_valid_escaped_and_show_no_totals(
        self, answer: Answer, stale: bool, shared_by: str | None
    ) -> None:
        """Any answer while today's totals load (stale or not): valid, within limits, no raw
        markup, and no totals fields or occupancy shown."""
        blocks, fallback = render(still_loading(answer, stale), shared_by)
        for text in [*texts(blocks), fallback]:
            assert_no_raw_markup(text)
        if isinstance(answer, FLOOR_ANSWERS):
            assert not any("fields" in b for b in blocks)
            assert "ccupancy" not in "\n".join(texts(blocks))

    @SLOW
    @given(team_summaries(max_agents=400))
    def test_team_of_any_size_fits(self, answer: Any) -> None:
        """Teams of 0..400 agents fit in 45 blocks; when cut, the rest is counted."""
        blocks, _ = render(answer)
        assert len(blocks) <= 45
        shown = sum(b["text"]["text"].count("\n") + 1 for b in blocks[1:] if b["type"] == "section")
        if len(answer.agents) > shown:
            assert f"…and {len(answer.agents) - shown} more." in "\n".join(texts(blocks))

    @SLOW
    @given(histories(max_periods=500))
    def test_history_of_any_length_fits(self, answer: Any) -> None:
        """Histories of 0..500 periods fit; hidden earlier periods are counted."""
        blocks, _ = render(answer)
        assert len(blocks) <= 45
        if len(answer.periods) > 50:
            assert re.search(r"… \d+ earlier periods? not shown", "\n".join(texts(blocks)))

    @SLOW
    @given(agent_nows())
    def test_agent_name_is_shown_escaped(self, answer: Any) -> None:
        """The agent's name appears, escaped, in the headline."""
        blocks, _ = render(answer)
        assert f"*{inline(answer.agent.name, 100) or '(no name)'}*" in blocks[0]["text"]["text"]


class TestConsole:
    @SLOW
    @given(answers, st.booleans())
    def test_any_answer_prints_without_control_characters(
        self, answer: Answer, simulated: bool
    ) -> None:
        """Any answer renders as text; outside text cannot smuggle escape sequences in."""
        text = TEXT[simulated].render(Reply(answer, "cmd"))
        assert all(c == "\n" or unicodedata.category(c) != "Cc" for c in text)

    @SLOW
    @given(answers, st.booleans())
    def test_any_loading_answer_prints_without_totals(self, answer: Answer, stale: bool) -> None:
        """Any answer while today's totals load: clean text, and no occupancy anywhere."""
        text = TEXT[False].render(Reply(still_loading(answer, stale), "cmd"))
        assert all(c == "\n" or unicodedata.category(c) != "Cc" for c in text)
        assert "Occupancy" not in text
        assert "Occ." not in text
