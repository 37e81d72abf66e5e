"""Any text parses to a command or a friendly UserError; never another exception."""

from __future__ import annotations

from hypothesis import given

from bot.commands import Command, parse
from bot.errors import UserError
from tests.strategies import command_text


class TestParseProperty:
    @given(command_text)
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
