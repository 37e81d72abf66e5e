"""format.console: each answer as terminal text with the key facts, times in the floor zone."""

from __future__ import annotations

from dataclasses import replace
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
TODAY_LOADING = "Today's totals are still loading — ask again in a minute."
HISTORY_LOADING = (
    "Totals are still loading and this timeline may be incomplete — ask again in a minute."
)


def render(answer: Any, *, simulated: bool = False) -> str:
    return (SIMULATED if simulated else LIVE).render(Reply(answer, "Priya"))


def loading(answer: Any, *, stale: bool = False) -> Any:
    """The same answer from a bot still reading today's rows."""
    return replace(answer, freshness=Freshness(NOW, stale=stale, loading=True))


def no_totals(text: str) -> None:
    """No totals anywhere: no occupancy, no time per state, no away time today."""
    for word in ("Occupancy", "Occ.", "Away today", "away today", "Today:", "Totals:"):
        assert word not in text


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
        """Ends with "as of HH:MM:SS"; stale data says since when (the last good poll), in
        the floor's zone; then the simulated note."""
        assert render(agent_now()).endswith("\n\nas of 14:02:11 GMT")
        stale = render(agent_now(freshness=Freshness(NOW, stale=True)), simulated=True)
        assert stale.endswith(
            "\n\nStale since 14:02 GMT — no answer from VCC since then · as of 14:02:11 GMT"
            "\nsimulated contact center"
        )

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


class TestLoading:
    def test_agent_now_says_todays_totals_are_loading(self) -> None:
        """Instead of "Today:" and its table, the note; the lines above are the same."""
        before = render(agent_now()).split("\n")
        lines = render(loading(agent_now())).split("\n")
        cut = before.index("Today:")
        assert lines[:cut] == before[:cut]
        assert lines[cut:] == [TODAY_LOADING, "", "as of 14:02:11 GMT"]
        no_totals("\n".join(lines))

    def test_team_summary_says_totals_are_loading_and_agents_have_none(self) -> None:
        """The occupancy line becomes the note; the table loses "Away today" and "Occ."."""
        text = render(loading(team_summary(12)))
        lines = text.split("\n")
        assert lines[:4] == ["Billing · 12 agents", "Ready 10 · Away 2", TODAY_LOADING, ""]
        header = lines[4].split()
        assert header == ["!", "Agent", "ID", "State", "Reason", "For", "Flag"]
        rows = [line for line in lines if "Agent " in line][1:]
        assert len(rows) == 12
        assert rows[0].rstrip().endswith("Away over 15 min")
        assert "30 min" not in text
        assert "80%" not in text
        no_totals(text)

    def test_empty_team_loading(self) -> None:
        """An empty team while loading: the note, then nobody."""
        text = render(loading(team_summary(0)))
        assert TODAY_LOADING in text
        assert "Nobody in this team." in text
        no_totals(text)

    def test_history_shows_known_periods_and_no_totals(self) -> None:
        """The bar and the timeline so far; the totals give way to the note."""
        before = render(history(6)).split("\n")
        lines = render(loading(history(6))).split("\n")
        cut = before.index("Totals:")
        assert lines[:cut] == before[:cut]
        assert lines[cut:] == [HISTORY_LOADING, "", "as of 14:02:11 GMT"]
        assert "10 min (now)" in lines[cut - 2]
        no_totals("\n".join(lines))

    def test_empty_history_loading_says_none_known_yet(self) -> None:
        """No periods while loading: none known yet, not "none in this window"."""
        text = render(loading(history(0, bar=())))
        assert "No state changes known yet." in text
        assert "in this window" not in text

    def test_answers_without_todays_totals_are_unchanged(self) -> None:
        """Teams and who lists carry no totals: loading changes nothing in them."""
        for answer in (teams_list(), who_list(), who_list(0, team=None)):
            assert render(loading(answer)) == render(answer)

    def test_stale_and_loading_say_both(self) -> None:
        """Loading and stale together: the note and the stale warning."""
        text = render(loading(agent_now(), stale=True))
        assert TODAY_LOADING in text
        assert text.endswith(
            "Stale since 14:02 GMT — no answer from VCC since then · as of 14:02:11 GMT"
        )

    def test_stale_wording_on_every_floor_answer(self) -> None:
        """Every floor answer, stale, says since when; fresh ones never say stale."""
        stale = Freshness(NOW, stale=True)
        for answer in (agent_now(), history(), team_summary(), teams_list(), who_list()):
            assert "\nStale since 14:02 GMT — " in render(replace(answer, freshness=stale))
            assert "Stale" not in render(answer)


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
        stale = Reply(agent_now(freshness=Freshness(NOW, stale=True)), "x")
        assert berlin.render(stale).endswith(
            "Stale since 15:02 CET — no answer from VCC since then · as of 15:02:11 CET"
        )
