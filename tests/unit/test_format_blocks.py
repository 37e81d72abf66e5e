"""format.blocks: each answer as Block Kit for a phone, valid and within Slack's limits."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import COMMANDS
from bot.errors import Choice
from bot.format import ACTION_REFRESH, ACTION_SHARE, BlockRenderer
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
from tests.support.checks import all_text, assert_valid, texts

LOADING = Freshness(NOW, loading=True)
TODAY_LOADING = "⏳ Today's totals are still loading — ask again in a minute"
HISTORY_LOADING = (
    "⏳ Totals are still loading and this timeline may be incomplete — ask again in a minute"
)

DATE_TOKEN = re.compile(r"<!date\^\d+\^\{[a-z_]+\}( \{[a-z_]+\})?\|[^<>]*>")
LIVE = BlockRenderer(ZONE, simulated=False)
SIMULATED = BlockRenderer(ZONE, simulated=True)


def render(
    answer: Any, *, command: str = "Priya", simulated: bool = False, shared_by: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    renderer = SIMULATED if simulated else LIVE
    blocks, text = renderer.render(Reply(answer, command), shared_by=shared_by)
    assert_valid(blocks)
    return blocks, text


AWAY_15 = Flag(FlagKind.AWAY_TOO_LONG, timedelta(minutes=15))


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


class TestAgentNow:
    def test_headline_state_reason_duration_and_since(self) -> None:
        """The first line: emoji, bold name, state · reason · how long; then a since token."""
        blocks, text = render(agent_now())
        first = blocks[0]["text"]["text"].split("\n")
        assert first[0] == "🍽️ *Priya Natarajan* — Extended away · Lunch · 47 min"
        assert first[1].startswith("since ")
        assert DATE_TOKEN.search(first[1])
        assert "👥 Billing" in first
        assert text == "Priya Natarajan — Extended away · Lunch · 47 min"

    def test_flag_is_shown(self) -> None:
        """Why a supervisor should look is its own line."""
        blocks, _ = render(agent_now(state=State.AWAY, flag=AWAY_15))
        assert "⚠️ Away over 15 min" in blocks[0]["text"]["text"]

    def test_interaction_when_busy(self) -> None:
        """A live interaction shows medium, direction, state and since."""
        live = LiveInteraction("Voice", "Inbound", "Connected", NOW - timedelta(minutes=3))
        blocks, _ = render(agent_now(state=State.BUSY, reason="Live", interactions=(live,)))
        line = blocks[1]["text"]["text"]
        assert line.startswith("📞 Voice · Inbound · Connected · since <!date^")
        assert line.endswith("(3 min)")

    def test_todays_totals_as_two_column_fields(self) -> None:
        """Ready, Busy, Wrap, Away as four fields (two rows on a phone), occupancy above."""
        blocks, _ = render(agent_now())
        totals = blocks[-3]
        assert totals["text"]["text"].startswith("*Today* · occupancy ")
        fields = [f["text"] for f in totals["fields"]]
        assert fields == [
            "🟢 *Ready*\n2 h 10 min",
            "📞 *Busy*\n1 h 35 min",
            "📝 *Wrap*\n20 min",
            "☕ *Away*\n1 h 02 min",
        ]

    def test_unknown_state_shows_wire_label(self) -> None:
        """A state VCC added later shows its label, escaped."""
        blocks, _ = render(agent_now(state=State.UNKNOWN, label="Coach<ing>", reason=""))
        assert "❔ *Priya Natarajan* — Coach&lt;ing&gt; · 47 min" in all_text(blocks)


class TestHistory:
    def test_bar_rows_of_twelve_with_legend(self) -> None:
        """The bar: rows of 12 squares each led by a time token, then a legend."""
        blocks, _ = render(history(5))
        lines = blocks[0]["text"]["text"].split("\n")
        assert lines[0] == "🕘 *Priya Natarajan* · last 4 hours"
        assert lines[1].endswith(" " + "⬜" * 12)
        assert lines[2].endswith(" " + "🟩🟥" * 6)
        assert DATE_TOKEN.match(lines[1])
        assert lines[3] == "⬜ no data · 🟩 Ready · 🟥 Busy"

    def test_timeline_lines(self) -> None:
        """One line per period: time token, emoji, state · reason · duration; now marked."""
        blocks, text = render(history(5))
        timeline = blocks[2]["text"]["text"].split("\n")
        assert len(timeline) == 5
        assert re.fullmatch(
            r"<!date\^\d+\^\{time\}\|\d\d:\d\d GMT> 🟢 Ready · Break · 10 min", timeline[0]
        )
        assert timeline[-1].endswith("(now)")
        assert text == "Priya Natarajan · last 4 hours: 5 periods"

    def test_totals(self) -> None:
        """Totals are the same two-column fields as an agent's today."""
        blocks, _ = render(history(5))
        assert blocks[1]["text"]["text"].startswith("*Totals* · occupancy")
        assert len(blocks[1]["fields"]) == 4

    def test_long_history_shows_most_recent_and_says_how_many_are_hidden(self) -> None:
        """500 periods: the latest 50 are listed, and "… 450 earlier periods not shown"."""
        blocks, _ = render(history(500))
        assert "… 450 earlier periods not shown" in all_text(blocks)
        timeline = [b for b in blocks[3:] if b["type"] == "section"]
        last = timeline[-1]["text"]["text"].split("\n")[-1]
        assert last.endswith("(now)")
        assert sum(t["text"]["text"].count("\n") + 1 for t in timeline) == 50

    def test_long_reasons_split_into_sections_within_limits(self) -> None:
        """Lines with long reasons fill several sections, none over 3000 characters."""
        blocks, _ = render(history(50, reason="&" * 200))
        sections = [b for b in blocks if b["type"] == "section"]
        assert len(sections) > 3
        assert all(len(b["text"]["text"]) <= 3000 for b in sections)

    def test_empty_window(self) -> None:
        """No periods: says so instead of an empty section."""
        blocks, _ = render(history(0, bar=()))
        assert "No state changes in this window." in all_text(blocks)


class TestTeamSummary:
    def test_counts_occupancy_and_away(self) -> None:
        """Team name, one compact counts line, occupancy and away today."""
        blocks, text = render(team_summary(12))
        head = blocks[0]["text"]["text"].split("\n")
        assert head == [
            "👥 *Billing* · 12 agents",
            "🟢 Ready 10 · ☕ Away 2",
            "Occupancy 83% · away today 3 h 20 min",
        ]
        assert text == "Billing: 10 Ready, 2 Away"

    def test_flagged_first_one_line_each(self) -> None:
        """Agents in the given order (flagged first), each with why it is flagged and its
        away time and occupancy today."""
        blocks, _ = render(team_summary(12))
        lines = blocks[1]["text"]["text"].split("\n")
        today = "today away 30 min, occ 80%"
        assert lines[:3] == [
            f"⚠️ Agent 0 — Away · Break · 23 min · _Away over 15 min_ · {today}",
            f"⚠️ Agent 10 — Away · Break · 23 min · _Away over 15 min_ · {today}",
            f"🟢 Agent 1 — Ready · 23 min · {today}",
        ]

    @pytest.mark.parametrize(("size", "hidden"), [(300, 250), (10_000, 9_950)])
    def test_big_team_ends_with_and_n_more(self, size: int, hidden: int) -> None:
        """A 300- or 10,000-agent team lists 50 and says how many more there are."""
        blocks, _ = render(team_summary(size))
        assert len(blocks) <= 45
        assert f"…and {hidden} more." in all_text(blocks)

    def test_empty_team(self) -> None:
        """No agents: a plain sentence."""
        blocks, _ = render(team_summary(0))
        assert "Nobody in this team." in all_text(blocks)


class TestListsAndHelp:
    def test_teams_list(self) -> None:
        """One line per team: logged in, ready, and flagged when any."""
        blocks, text = render(teams_list())
        assert blocks[1]["text"]["text"].split("\n") == [
            "*Billing* — 12 logged in · 8 ready",
            "*Tech* — 12 logged in · 8 ready · ⚠️ 1",
        ]
        assert text == "2 teams"

    def test_who_list(self) -> None:
        """The states asked for, the team, and one line per agent."""
        blocks, _ = render(who_list())
        assert blocks[0]["text"]["text"] == ("☕🍽️ *Away or Extended away* in *Billing* · 2 agents")
        assert blocks[1]["text"]["text"].startswith("☕ Agent 0 — Away · Break · 23 min")

    def test_who_nobody(self) -> None:
        """An empty answer says nobody."""
        blocks, _ = render(who_list(0, team=None))
        assert "Nobody right now." in all_text(blocks)

    def test_help_usage_summary_and_examples_in_code(self) -> None:
        """Each command: usage in code (escaped), summary, examples as code spans; no buttons."""
        blocks, _ = render(HelpAnswer(COMMANDS), command="help")
        text = all_text(blocks)
        assert "*`&lt;agent&gt; history [2h | today | yesterday | YYYY-MM-DD]`*" in text
        assert "`/agentstate Priya history today`" in text
        assert actions(blocks) == []
        assert not any("as of" in t for t in texts(blocks))


class TestErrors:
    def test_message_hint_and_buttons(self) -> None:
        """Message, hint, then "Did you mean…?" and "Which one?" buttons running each offer's
        command."""
        answer = error(
            suggestions=(Choice("1101", "Priya Natarajan"),),
            choices=(Choice("1102", "Priya Shah"), Choice("1103", "Priya Rao")),
            template="{id} history today",
        )
        blocks, text = render(answer)
        assert blocks[0]["text"]["text"] == (
            "I couldn't find an agent called “Pria”.\nTry `teams` to see who is on each team."
        )
        assert text == "I couldn't find an agent called “Pria”."
        buttons = actions(blocks)
        assert [b["text"]["text"] for b in buttons] == [
            "Priya Natarajan (1101)",
            "Priya Shah (1102)",
            "Priya Rao (1103)",
        ]
        assert [b["value"] for b in buttons] == [
            "1101 history today",
            "1102 history today",
            "1103 history today",
        ]
        assert [b["action_id"] for b in buttons] == [f"agentstate_run_{n}" for n in range(3)]
        assert "Did you mean…?" in texts(blocks)
        assert "Which one?" in texts(blocks)

    def test_long_labels_are_cut_to_75_keeping_the_id(self) -> None:
        """A button's text is at most 75 characters, cut with "…", the id kept visible."""
        blocks, _ = render(error(choices=(Choice("1101", "Ö" * 200),)))
        label = actions(blocks)[0]["text"]["text"]
        assert len(label) == 75
        assert label.endswith("… (1101)")

    def test_many_choices_spread_over_actions_blocks_of_25(self) -> None:
        """60 choices: no actions block over 25 buttons, every action_id unique."""
        many = tuple(Choice(str(n), f"Agent {n}") for n in range(60))
        blocks, _ = render(error(choices=many))
        rows = [b for b in blocks if b["type"] == "actions"]
        assert all(len(r["elements"]) <= 25 for r in rows)
        ids = [b["action_id"] for b in actions(blocks)]
        assert len(ids) == 60
        assert len(set(ids)) == len(ids)

    def test_each_button_runs_its_offers_own_command(self) -> None:
        """A button's value is its offer's finished command; one too long for a button value
        (over 2000) gets no button, and the rest are still numbered from 0."""
        answer = ErrorAnswer(
            "Which one?",
            choices=(
                Offer(Choice("billing", "Billing"), "team billing"),
                Offer(Choice("1101", "Priya"), "x" * 2001),
                Offer(Choice("1102", "Priya Shah"), "1102 history today"),
            ),
        )
        blocks, _ = render(answer)
        assert [(b["action_id"], b["value"]) for b in actions(blocks)] == [
            ("agentstate_run_0", "team billing"),
            ("agentstate_run_1", "1102 history today"),
        ]

    def test_user_text_in_message_is_escaped(self) -> None:
        """A typed query quoted in the message cannot ping."""
        blocks, _ = render(error("I couldn't find “<!channel>”.", hint="Not <@U1> & co"))
        assert blocks[0]["text"]["text"] == (
            "I couldn't find “&lt;!channel&gt;”.\nNot &lt;@U1&gt; &amp; co"
        )


def loading(answer: Any, *, stale: bool = False) -> Any:
    """The same answer from a bot still reading today's rows."""
    return replace(answer, freshness=Freshness(NOW, stale=stale, loading=True))


def no_totals(blocks: list[dict[str, Any]]) -> None:
    """No totals anywhere: no fields, no occupancy, no away time today."""
    assert not any("fields" in b for b in blocks)
    text = all_text(blocks)
    for word in ("occupancy", "Occupancy", "away today", "today away", "occ ", "*Today*"):
        assert word not in text


class TestLoading:
    def test_agent_now_says_todays_totals_are_loading(self) -> None:
        """Instead of today's totals (zeros so far), a note; everything else is the same."""
        live = LiveInteraction("Voice", "Inbound", "Connected", NOW - timedelta(minutes=3))
        answer = agent_now(state=State.BUSY, reason="Live", interactions=(live,))
        before, text = render(answer)
        blocks, loading_text = render(loading(answer))
        assert blocks[-3] == {"type": "section", "text": {"type": "mrkdwn", "text": TODAY_LOADING}}
        no_totals(blocks)
        assert blocks[:-3] == before[:-3]
        assert blocks[-2:] == before[-2:]
        assert loading_text == text

    def test_team_summary_says_totals_are_loading_and_agents_have_none(self) -> None:
        """The occupancy and away-today line becomes the note; agent lines lose their
        "today away …, occ …" but keep state, reason, time and flag."""
        blocks, text = render(loading(team_summary(12)))
        assert blocks[0]["text"]["text"].split("\n") == [
            "👥 *Billing* · 12 agents",
            "🟢 Ready 10 · ☕ Away 2",
            TODAY_LOADING,
        ]
        lines = blocks[1]["text"]["text"].split("\n")
        assert lines[:2] == [
            "⚠️ Agent 0 — Away · Break · 23 min · _Away over 15 min_",
            "⚠️ Agent 10 — Away · Break · 23 min · _Away over 15 min_",
        ]
        assert len(lines) == 12
        no_totals(blocks)
        assert text == "Billing: 10 Ready, 2 Away"

    @pytest.mark.parametrize(("size", "hidden"), [(0, 0), (300, 250), (10_000, 9_950)])
    def test_big_team_loading_fits(self, size: int, hidden: int) -> None:
        """Any size of team, loading, stays within the limits and counts the rest."""
        blocks, _ = render(loading(team_summary(size), stale=True))
        assert len(blocks) <= 45
        no_totals(blocks)
        if hidden:
            assert f"…and {hidden} more." in all_text(blocks)

    def test_history_shows_known_periods_and_no_totals(self) -> None:
        """The bar and the periods known so far; the totals give way to a note that says the
        timeline may be incomplete."""
        before, text = render(history(5))
        blocks, loading_text = render(loading(history(5)))
        assert blocks[1] == {"type": "section", "text": {"type": "mrkdwn", "text": HISTORY_LOADING}}
        assert blocks[0] == before[0]
        assert blocks[2:] == before[2:]
        assert len(blocks[2]["text"]["text"].split("\n")) == 5
        no_totals(blocks)
        assert loading_text == text

    def test_long_history_loading_fits(self) -> None:
        """500 periods while loading: within limits, the earlier ones counted."""
        blocks, _ = render(loading(history(500)))
        assert len(blocks) <= 45
        assert "… 450 earlier periods not shown" in all_text(blocks)
        no_totals(blocks)

    def test_empty_history_loading_says_none_known_yet(self) -> None:
        """No periods while loading: none known yet, not "none in this window"."""
        blocks, _ = render(loading(history(0, bar=())))
        assert "No state changes known yet." in texts(blocks)
        assert "in this window" not in all_text(blocks)

    def test_answers_without_todays_totals_are_unchanged(self) -> None:
        """Teams and who lists carry no totals: loading changes nothing in them."""
        for answer in (teams_list(), who_list(), who_list(0, team=None)):
            assert render(loading(answer)) == render(answer)

    def test_stale_and_loading_say_both(self) -> None:
        """Loading and stale together: the note and the stale warning."""
        blocks, _ = render(loading(agent_now(), stale=True), simulated=True)
        notes = [e["text"] for e in blocks[-2]["elements"]]
        assert notes[0].startswith("⚠️ Stale since <!date^")
        assert notes[1] == "🧪 simulated contact center"
        assert TODAY_LOADING in texts(blocks)

    def test_stale_wording_on_every_floor_answer(self) -> None:
        """Every floor answer, stale, says since when; fresh ones never say stale."""
        stale = Freshness(NOW, stale=True)
        for answer in (agent_now(), history(), team_summary(), teams_list(), who_list()):
            blocks, _ = render(replace(answer, freshness=stale))
            assert "⚠️ Stale since <!date^" in blocks[-2]["elements"][0]["text"]
            blocks, _ = render(answer)
            assert "Stale" not in all_text(blocks)


class TestButtonsAndSharing:
    def test_floor_answers_carry_refresh_and_share(self) -> None:
        """Refresh and Share run the same command again."""
        for answer in (agent_now(), history(), team_summary(), teams_list(), who_list()):
            blocks, _ = render(answer, command="team billing")
            assert [(b["action_id"], b["value"]) for b in actions(blocks)] == [
                (ACTION_REFRESH, "team billing"),
                (ACTION_SHARE, "team billing"),
            ]

    def test_floor_answers_end_with_freshness_and_simulated(self) -> None:
        """The closing context says "as of" and, when simulated, so."""
        blocks, _ = render(agent_now(), simulated=True)
        context = blocks[-2]
        assert context["type"] == "context"
        notes = [e["text"] for e in context["elements"]]
        assert notes[0].startswith("as of <!date^")
        assert notes[1] == "🧪 simulated contact center"

    def test_stale_data_says_since_when(self) -> None:
        """Stale data warns in the closing context since when (the last good poll), as a
        time token each reader sees in their zone, then the usual "as of"."""
        blocks, _ = render(agent_now(freshness=Freshness(NOW, stale=True)))
        note = blocks[-2]["elements"][0]["text"]
        stamp = int(NOW.timestamp())
        assert note == (
            f"⚠️ Stale since <!date^{stamp}^{{time}}|14:02 GMT> — no answer from VCC since then"
            f" · as of <!date^{stamp}^{{time_secs}}|14:02:11 GMT>"
        )

    def test_fresh_data_has_no_warning(self) -> None:
        """Fresh data: just "as of" and its time token."""
        blocks, _ = render(agent_now())
        note = blocks[-2]["elements"][0]["text"]
        assert note == f"as of <!date^{int(NOW.timestamp())}^{{time_secs}}|14:02:11 GMT>"
        assert "Stale" not in all_text(blocks)

    def test_shared_has_no_buttons_and_says_who_shared(self) -> None:
        """Shared to a channel: no buttons at all, and "Shared by <@U…>"."""
        answer = error(choices=(Choice("1", "A"),))
        for a in (agent_now(), answer):
            blocks, _ = render(a, shared_by="U123ABC")
            assert actions(blocks) == []
            assert "Shared by <@U123ABC>" in texts(blocks)
        blocks, _ = render(answer, shared_by="U123ABC")
        assert "Which one? A (1)" in texts(blocks)

    @pytest.mark.parametrize("bad", ["<!channel>", "u123", "U1", "U123\n", "C123ABC", ""])
    def test_shared_by_must_be_a_user_id(self, bad: str) -> None:
        """Anything but a Slack user id is left out (and still no buttons)."""
        blocks, _ = render(agent_now(), shared_by=bad)
        assert "Shared by" not in all_text(blocks)
        assert actions(blocks) == []

    def test_no_refresh_without_a_command(self) -> None:
        """With no command to run again there are no buttons."""
        blocks, _ = render(agent_now(), command="")
        assert actions(blocks) == []


class TestRenderer:
    def test_simulated_is_decided_when_the_renderer_is_built(self) -> None:
        """The same reply says "simulated" on every floor answer from a renderer built for the
        simulated floor, and never from one built for VCC; help and errors never say it."""
        for answer in (agent_now(), history(), team_summary(), teams_list(), who_list()):
            simulated, _ = SIMULATED.render(Reply(answer, "x"))
            live, _ = LIVE.render(Reply(answer, "x"))
            assert "🧪 simulated contact center" in texts(simulated)
            assert "simulated" not in all_text(live)
        for answer in (HelpAnswer(COMMANDS), error()):
            blocks, _ = SIMULATED.render(Reply(answer, "help"))
            assert "simulated" not in all_text(blocks)

    def test_zone_is_decided_when_the_renderer_is_built(self) -> None:
        """Date fallbacks are in the renderer's zone: 14:15 CET in Berlin, 13:15 GMT in London."""
        berlin = BlockRenderer(ZoneInfo("Europe/Berlin"), simulated=False)
        blocks, _ = berlin.render(Reply(agent_now(), "Priya"))
        assert "|14:15 CET>" in all_text(blocks)
        blocks, _ = LIVE.render(Reply(agent_now(), "Priya"))
        assert "|13:15 GMT>" in all_text(blocks)

    def test_a_renderer_keeps_nothing_between_replies(self) -> None:
        """One renderer serves every reply: each comes out as from a fresh renderer."""
        replies = [Reply(a, "x") for a in (agent_now(), error(), history(), agent_now())]
        shared = [SIMULATED.render(r, shared_by="U123ABC") for r in replies]
        fresh = [
            BlockRenderer(ZONE, simulated=True).render(r, shared_by="U123ABC") for r in replies
        ]
        assert shared == fresh


def test_reply_type_is_the_one_rendered() -> None:
    """BlockRenderer.render takes a Reply (the command rides along for the buttons)."""
    blocks, _ = LIVE.render(Reply(agent_now(), "Priya"))
    assert actions(blocks)[0]["value"] == "Priya"
