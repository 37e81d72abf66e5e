"""commands.parse: the text after /agentstate becomes a typed command or a friendly UserError."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.commands import (
    COMMANDS,
    AgentCmd,
    Help,
    HistoryCmd,
    TeamCmd,
    Teams,
    Who,
    parse,
)
from bot.errors import UserError
from bot.query.window import DaysAgo, LastSpan, OnDate
from bot.vcc.models import State


class TestParse:
    @pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?"])
    def test_help(self, text: str) -> None:
        """Nothing, or help in any case, asks for help."""
        assert parse(text) == Help()

    def test_teams_and_team(self) -> None:
        """`teams` lists teams; `team <name>` keeps the whole name, spaces folded."""
        assert parse("teams") == Teams()
        assert parse("team   Billing   Support") == TeamCmd("Billing Support")

    def test_agent_by_name_or_id(self) -> None:
        """Anything else is an agent: a name with spaces, or an ID."""
        assert parse("Priya Natarajan") == AgentCmd("Priya Natarajan")
        assert parse("1104") == AgentCmd("1104")

    def test_history_default_is_no_window(self) -> None:
        """`<agent> history` with no window leaves the window to the default (last 4 hours)."""
        assert parse("Priya history") == HistoryCmd("Priya", None)

    @pytest.mark.parametrize(
        ("window", "expected"),
        [
            ("2h", LastSpan(timedelta(hours=2))),
            ("90m", LastSpan(timedelta(minutes=90))),
            ("3 days", LastSpan(timedelta(days=3))),
            ("today", DaysAgo(0)),
            ("Yesterday", DaysAgo(1)),
            ("2026-03-10", OnDate(date(2026, 3, 10))),
        ],
    )
    def test_history_windows(self, window: str, expected: object) -> None:
        """Each documented window form parses to its window."""
        command = parse(f"Zoë Brontë history {window}")
        assert isinstance(command, HistoryCmd)
        assert command.agent == "Zoë Brontë"
        assert command.window == expected

    def test_who(self) -> None:
        """`who away` means Away and Extended away; a team may follow."""
        assert parse("who away") == Who((State.AWAY, State.EXTENDED_AWAY), "away")
        assert parse("who Wrap tech support") == Who((State.WRAP,), "wrap", "tech support")

    @pytest.mark.parametrize(
        ("text", "states", "team"),
        [
            ("who extended away", (State.EXTENDED_AWAY,), None),
            ("who Logged out billing", (State.LOGGED_OUT,), "billing"),
            ("who ready (outbound)", (State.READY_RFO,), None),
            ("who logged-out", (State.LOGGED_OUT,), None),
            ("who away extended", (State.AWAY, State.EXTENDED_AWAY), "extended"),
        ],
    )
    def test_who_takes_states_as_the_bot_prints_them(
        self, text: str, states: tuple[State, ...], team: str | None
    ) -> None:
        """Two- and three-word state names parse; the rest is the team."""
        command = parse(text)
        assert isinstance(command, Who)
        assert (command.states, command.team) == (states, team)

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("history", "Whose history"),
            ("team", "Which team"),
            ("who", "Who is in which state"),
            ("who sleeping", "don't know the state"),
            ("Priya history tomorrowish", "don't understand the window"),
            ("Priya history 2026-02-30", "isn't a date"),
            ("Priya history 0h", "longer than zero"),
            ("x" * 500, "longer than any command"),
        ],
    )
    def test_bad_input_is_a_friendly_user_error(self, text: str, says: str) -> None:
        """Bad input raises UserError whose message says what was wrong, with a hint."""
        with pytest.raises(UserError) as caught:
            parse(text)
        assert says in caught.value.message
        assert caught.value.hint

    def test_help_table_covers_every_command(self) -> None:
        """Each command form appears in help with at least one example that parses."""
        usages = " ".join(entry.usage for entry in COMMANDS)
        for word in ("history", "team <team>", "teams", "who", "help", "<agent>"):
            assert word in usages
        for entry in COMMANDS:
            for example in entry.examples:
                parse(example)


class TestText:
    @pytest.mark.parametrize(
        ("command", "text"),
        [
            (Help(), "help"),
            (Teams(), "teams"),
            (TeamCmd("Billing Support"), "team Billing Support"),
            (Who((State.AWAY, State.EXTENDED_AWAY), "away"), "who away"),
            (Who((State.EXTENDED_AWAY,), "extendedaway", "Tech"), "who extendedaway Tech"),
            (AgentCmd("1104"), "1104"),
            (HistoryCmd("1104"), "1104 history"),
            (HistoryCmd("1104", LastSpan(timedelta(minutes=90))), "1104 history 90m"),
            (HistoryCmd("1104", LastSpan(timedelta(hours=2))), "1104 history 2h"),
            (HistoryCmd("1104", LastSpan(timedelta(days=3))), "1104 history 3d"),
            (HistoryCmd("1104", DaysAgo(1)), "1104 history yesterday"),
            (HistoryCmd("1104", OnDate(date(2026, 3, 10))), "1104 history 2026-03-10"),
        ],
    )
    def test_written_back_as_text(self, command: object, text: str) -> None:
        """Each command writes itself as a supervisor would type it, and that parses back."""
        assert command.text() == text  # type: ignore[attr-defined]
        assert parse(text) == command

    def test_days_ago_is_today_or_yesterday(self) -> None:
        """A DaysAgo has words only for today and yesterday; others are refused when built."""
        with pytest.raises(ValueError, match="today"):
            DaysAgo(2)
