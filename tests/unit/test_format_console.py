"""format.console: each answer as terminal text with the key facts, times in the floor zone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import COMMANDS
from bot.errors import Choice
from bot.format import TextRenderer
from bot.query.flags import Flag, FlagKind
from bot.query.results import ErrorAnswer, Freshness, HelpAnswer, LiveInteraction, Offer, Reply
from bot.vcc.models import State
from tests.support.answers import (
    NOW,
    ZONE,
    agent_now,
    error,
    history,
    team_summary,
    teams_list,
    who_list,
)

LIVE = TextRenderer(ZONE, simulated=False)
SIMULATED = TextRenderer(ZONE, simulated=True)


def render(answer: Any, *, simulated: bool = False) -> str:
    return (SIMULATED if simulated else LIVE).render(Reply(answer, "Priya"))


class TestAgentNow:
    def test_state_reason_duration_since_and_totals(self) -> None:
        """Name and id, state · reason · duration, since HH:MM, teams, today's totals."""
        text = render(agent_now())
        lines = text.split("\n")
        assert lines[0] == "Priya Natarajan (1101) — Extended away · Lunch · 47 min"
        assert lines[1] == "since 13:15"
        assert "teams: Billing" in lines
        assert "Ready      2 h 10 min" in text
        assert "Occupancy  47%" in text

    def test_flag_and_live_interaction(self) -> None:
        """A flag line, and live interactions as a table."""
        live = LiveInteraction("Voice", "Inbound", "Connected", NOW - timedelta(minutes=3))
        wrap = Flag(FlagKind.WRAP_TOO_LONG, timedelta(minutes=5))
        text = render(agent_now(state=State.BUSY, flag=wrap, interactions=(live,)))
        assert "flag: Wrap over 5 min" in text
        assert "Voice     Inbound      Connected  13:59" in text

    def test_freshness_stale_and_simulated(self) -> None:
        """Ends with "as of HH:MM:SS", a stale warning when old, and the simulated note."""
        assert render(agent_now()).endswith("as of 14:02:11 GMT")
        stale = render(agent_now(freshness=Freshness(NOW, stale=True)), simulated=True)
        assert stale.endswith("as of 14:02:11 GMT — data may be stale\nsimulated contact center")

    def test_no_slack_markup(self) -> None:
        """No mrkdwn, date tokens or entities: names print as they are, on one line."""
        text = render(agent_now(name="A&B <!channel>\x1b[31m\nX"))
        assert text.startswith("A&B <!channel> [31m X (1101)")
        assert "<!date" not in text
        assert "\x1b" not in text


class TestHistory:
    def test_bar_legend_timeline_and_totals(self) -> None:
        """The bar as characters with a legend, a timeline table, and totals."""
        text = render(history(6))
        assert text.startswith("Priya Natarajan (1101) · last 4 hours (10:02 – 14:02)")
        assert "|............RBRBRBRBRBRB|" in text
        assert ". no data  R Ready  B Busy" in text
        assert "13:02    Ready    Break     10 min" in text
        assert "10 min (now)" in text
        assert "Occupancy  50%" in text

    def test_every_period_is_listed(self) -> None:
        """The console has no block limit: a long timeline is listed in full."""
        text = render(history(300))
        assert text.count("Break") == 300

    def test_empty(self) -> None:
        """No periods: says so."""
        assert "No state changes in this window." in render(history(0, bar=()))


class TestTeamSummary:
    def test_counts_occupancy_and_agents_flagged_first(self) -> None:
        """Counts line, occupancy and away today; a table of agents, flagged ones marked first."""
        text = render(team_summary(12))
        lines = text.split("\n")
        assert lines[:3] == [
            "Billing · 12 agents",
            "Ready 10 · Away 2",
            "Occupancy 83% · away today 3 h 20 min",
        ]
        rows = [line for line in lines if "Agent " in line][1:]  # after the header
        assert rows[0].startswith("!    Agent 0 ")
        assert rows[1].startswith("!    Agent 10")
        assert "Away over 15 min" in rows[0]
        assert len(rows) == 12

    def test_empty_team(self) -> None:
        """An empty team says so."""
        assert "Nobody in this team." in render(team_summary(0))


class TestListsHelpErrors:
    def test_teams_list(self) -> None:
        """A table: team, logged in, ready, flagged."""
        text = render(teams_list())
        assert "Tech     12           8        1" in text

    def test_who_list(self) -> None:
        """The states, the team, the count, then the agents."""
        text = render(who_list())
        assert text.startswith("Away or Extended away in Billing · 2 agents")
        assert "Agent 1" in text

    def test_help(self) -> None:
        """Every usage, summary and example."""
        text = render(HelpAnswer(COMMANDS))
        for entry in COMMANDS:
            assert entry.usage in text
            assert entry.summary in text
        assert "e.g. Priya history, Priya history today" in text

    def test_error_with_suggestions_and_choices(self) -> None:
        """Buttons become text: each choice with the command that asks for it."""
        text = render(
            error(
                suggestions=(Choice("1101", "Priya Natarajan"),),
                choices=(Choice("1102", "Priya Shah"), Choice("billing", "billing")),
            )
        )
        assert text.split("\n") == [
            "I couldn't find an agent called “Pria”.",
            "Try `teams` to see who is on each team.",
            "Did you mean…? Type one of:",
            "  Priya Natarajan (1101)  → 1101",
            "Which one? Type one of:",
            "  Priya Shah (1102)  → 1102",
            "  billing            → billing",
        ]

    def test_each_choice_shows_its_offers_own_command(self) -> None:
        """The command after "→" is the offer's finished command, whatever the choice's id."""
        answer = ErrorAnswer(
            "Which team?",
            choices=(
                Offer(Choice("T1", "Billing"), "team billing"),
                Offer(Choice("T2", "Tech"), "team tech"),
            ),
        )
        assert render(answer).split("\n")[-2:] == [
            "  Billing (T1)  → team billing",
            "  Tech (T2)     → team tech",
        ]

    def test_ids_print_as_given(self) -> None:
        """Ids that look like numbers keep their zeros."""
        assert "0042" in render(who_list(1, name="0042"))


class TestRenderer:
    def test_simulated_is_decided_when_the_renderer_is_built(self) -> None:
        """The same reply ends with the simulated note from a renderer built for the simulated
        floor and never from one built for VCC; help and errors never carry it."""
        for answer in (agent_now(), history(), team_summary(), teams_list(), who_list()):
            reply = Reply(answer, "x")
            assert SIMULATED.render(reply).endswith("\nsimulated contact center")
            assert "simulated" not in LIVE.render(reply)
        for answer in (HelpAnswer(COMMANDS), error()):
            assert "simulated" not in SIMULATED.render(Reply(answer, "help"))

    def test_zone_is_decided_when_the_renderer_is_built(self) -> None:
        """Times print in the renderer's zone: 15:02:11 CET in Berlin, 14:02:11 GMT in London."""
        berlin = TextRenderer(ZoneInfo("Europe/Berlin"), simulated=False)
        assert berlin.render(Reply(agent_now(), "x")).endswith("as of 15:02:11 CET")
        assert LIVE.render(Reply(agent_now(), "x")).endswith("as of 14:02:11 GMT")
