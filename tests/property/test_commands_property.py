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

    @given(command_text)
    def test_text_parses_back_to_the_same_command(self, text: str) -> None:
        """Any command parsed from text writes itself back as text that parses to it again,
        so a button can carry a finished command."""
        try:
            command = parse(text)
        except UserError:
            return
        assert parse(command.text()) == command
