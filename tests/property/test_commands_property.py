"""Any text parses to a command or a friendly UserError; never another exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.commands import Command, parse, state_words
from bot.errors import UserError

WORDS = st.sampled_from(
    [
        "history",
        "team",
        "teams",
        "who",
        "help",
        "today",
        "yesterday",
        "2h",
        "90m",
        "0h",
        "2026-03-10",
        "2026-13-45",
        "<!channel>",
        "<@U123>",
        "&amp;",
        "Zoë",
        "ł",
        "",
        " ",
        *state_words(),
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=8).map(" ".join),
)


class TestParseProperty:
    @given(TEXT)
    def test_command_or_friendly_error(self, text: str) -> None:
        """parse() returns a Command or raises UserError with a non-empty message."""
        try:
            result: Command | str = parse(text)
        except UserError as exc:
            result = exc.message
        if isinstance(result, str):
            assert result.strip()
        else:
            assert isinstance(result, Command)
