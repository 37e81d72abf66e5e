"""`/agentstate <text>` end to end, on loopback: what each command answers in Slack.

What each answer should say comes from `handle()` on the same App: the tests check that the
Slack message carries it (names, states, "as of"), not how the blocks are laid out. The served
app and the fixtures are tests/support/slack_app.py.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from bot.app import App
from bot.format import escape, state_name
from bot.query.results import (
    AgentNow,
    ErrorAnswer,
    History,
    TeamsList,
    TeamSummary,
    WhoList,
)
from bot.slack.listeners import unescape
from bot.slack.register import RUN, SHARE
from tests.support.slack import Recorder, all_text, buttons
from tests.support.slack_app import (
    BOT_TOKEN,
    SECRET,
    Clients,
    Names,
    Slack,
    aimed_at,
    no_traceback,
    start,
)

# One event loop for the module's async tests, so the App (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")


class TestUnescape:
    @pytest.mark.parametrize(
        ("sent", "typed"),
        [
            ("&lt;!channel&gt;", "<!channel>"),
            ("Ben &amp; Jerry", "Ben & Jerry"),
            ("&amp;lt;", "&lt;"),  # the user typed "&lt;" literally
            ("plain", "plain"),
            ("&quot;", "&quot;"),  # Slack escapes only & < >
        ],
    )
    def test_undoes_slacks_three_escapes_once(self, sent: str, typed: str) -> None:
        """Slash-command text comes with & < > escaped; unescape restores what was typed."""
        assert unescape(sent) == typed


@shared_loop
class TestSlashCommand:
    async def test_help_lists_the_commands(self, slack: Slack) -> None:
        """`help` answers privately with every command."""
        answer = await slack.ask("help")
        assert list(answer) == ["response_type", "blocks", "text"]  # the whole body, in order
        assert answer["response_type"] == "ephemeral"
        text = all_text(answer)
        for word in ("teams", "team", "who", "history", "help"):
            assert word in text
        assert answer["text"]  # the fallback for notifications
        assert isinstance(answer["blocks"], list)

    async def test_empty_text_is_help(self, slack: Slack) -> None:
        """`/agentstate` alone shows the help."""
        assert "who" in all_text(await slack.ask(""))

    async def test_agent_by_name(self, slack: Slack, names: Names) -> None:
        """An agent's name answers with their current state, how long, and "as of"."""
        agent = names.agents[0]
        expected = await slack.expect(agent.name)
        assert isinstance(expected, AgentNow)
        text = all_text(await slack.ask(agent.name))
        assert escape(agent.name) in text
        assert state_name(expected.state, expected.label) in text
        assert "as of" in text

    async def test_agent_by_name_in_any_case(self, slack: Slack, names: Names) -> None:
        """Names are found ignoring case."""
        agent = names.agents[1]
        assert escape(agent.name) in all_text(await slack.ask(agent.name.upper()))

    async def test_history_today(self, slack: Slack, names: Names) -> None:
        """`<agent> history today` answers with today's timeline: its states and the window."""
        agent = next(a for a in names.agents if a.name.isascii())
        expected = await slack.expect(f"{agent.name} history today")
        assert isinstance(expected, History)
        text = all_text(await slack.ask(f"{agent.name} history today"))
        assert escape(agent.name) in text
        assert expected.window_label in text
        for period in expected.periods[-3:]:
            assert state_name(period.state, period.label) in text

    async def test_team(self, slack: Slack, names: Names) -> None:
        """`team <team>` answers with the team's counts and its agents."""
        team = names.teams[0]
        expected = await slack.expect(f"team {team}")
        assert isinstance(expected, TeamSummary)
        text = all_text(await slack.ask(f"team {team}"))
        assert escape(team) in text
        for line in expected.agents[:5]:
            assert escape(line.agent.name) in text
        for state, count in expected.counts:
            if count:
                assert state_name(state) in text

    async def test_teams(self, slack: Slack, names: Names) -> None:
        """`teams` lists every team."""
        expected = await slack.expect("teams")
        assert isinstance(expected, TeamsList)
        text = all_text(await slack.ask("teams"))
        for team in names.teams:
            assert escape(team) in text

    async def test_who_away(self, slack: Slack) -> None:
        """`who away` lists the agents away now (or says nobody is)."""
        expected = await slack.expect("who away")
        assert isinstance(expected, WhoList)
        assert expected.agents  # mid-morning someone is on a break; else this proves nothing
        text = all_text(await slack.ask("who away"))
        for line in expected.agents[:5]:
            assert escape(line.agent.name) in text

    async def test_unknown_agent_offers_did_you_mean(self, slack: Slack, names: Names) -> None:
        """A misspelt name answers kindly, with a button that runs the likely agent."""
        typo, meant = names.typo()
        expected = await slack.expect(typo)
        assert isinstance(expected, ErrorAnswer)
        (offer,) = [s for s in expected.suggestions if s.choice.id == meant.id]
        answer = await slack.ask(typo)
        assert answer["response_type"] == "ephemeral"
        runs = [b for b in buttons(answer) if RUN.match(b["action_id"])]
        assert offer.command in {b["value"] for b in runs}  # the button runs that agent
        assert escape(expected.message) in all_text(answer)
        no_traceback(answer)

    async def test_ambiguous_name_offers_the_choices(self, slack: Slack, names: Names) -> None:
        """A shared first name answers with one button per agent it could mean."""
        first = names.shared_first_name()
        expected = await slack.expect(first)
        assert isinstance(expected, ErrorAnswer)
        assert len(expected.choices) >= 2
        answer = await slack.ask(first)
        runs = [b for b in buttons(answer) if RUN.match(b["action_id"])]
        assert {b["value"] for b in runs} == {c.command for c in expected.choices}
        assert len({b["action_id"] for b in runs}) == len(runs)  # unique within the message

    @pytest.mark.parametrize(
        "text",
        [
            "history history",
            "who sleeping",
            "team",
            "x" * 5000,
            "Zz" * 30 + " history 999d",
            "\u200b\u0000<>&;'\"",
        ],
        ids=["history-history", "who-sleeping", "team-alone", "very-long", "bad-window", "junk"],
    )
    async def test_garbage_gets_a_friendly_answer(self, slack: Slack, text: str) -> None:
        """Nonsense answers privately with help-like text, never a traceback."""
        answer = await slack.ask(text)
        assert answer["response_type"] == "ephemeral"
        assert answer["text"].strip()
        no_traceback(answer)

    @pytest.mark.parametrize("mention", ["<!channel>", "<!here>", "<@U0OTHER>", "<!subteam^S1>"])
    async def test_a_mention_in_the_text_cannot_ping(self, slack: Slack, mention: str) -> None:
        """Text echoed back is escaped: `<!channel>` shows as typed and notifies no one."""
        answer = await slack.ask(f"{mention} history today")
        text = all_text(answer)
        assert mention not in text
        assert escape(mention) in text

    async def test_one_message_per_command(self, slack: Slack, names: Names) -> None:
        """Each command is answered by exactly one POST to its response_url."""
        urls = []
        for text in ("help", "teams", names.agents[0].name):
            response, url = await slack.send.command(text)
            assert response.status_code == 200
            urls.append(url)
        await slack.stop()  # stopping waits for the answers in flight
        assert [len(slack.recorder.posts(url)) for url in urls] == [1, 1, 1]

    async def test_stopping_finishes_the_answers_already_acked(
        self, slack: Slack, names: Names
    ) -> None:
        """A deploy stopping the server while VCC is slow does not drop an acked command: the
        answer is posted before the server is down."""
        sim = slack.app.sim
        assert sim is not None
        sim.hang_next(1, seconds=0.5)  # VCC is slow to answer this one
        response, url = await slack.send.command(names.agents[2].name)
        assert response.status_code == 200
        await slack.stop()
        (answer,) = slack.recorder.posts(url)
        assert escape(names.agents[2].name) in all_text(answer)

    async def test_no_web_api_call_on_the_way(self, slack: Slack) -> None:
        """Answering needs no Web API method (so no scope, and no wait on auth.test inside
        Slack's 3 s): replies go to the response_url."""
        for text in ("help", "teams", "who away"):
            await slack.ask(text)
        assert [r.path for r in slack.recorder.requests if r.path.startswith("/api/")] == []

    async def test_without_a_bot_token_it_still_answers(
        self, app: App, recorder: Recorder, clients: Clients
    ) -> None:
        """The bot token is not needed to answer: replies go to the response_url."""
        tokenless = aimed_at(app, recorder, bot_token=None)
        assert tokenless.slack is None
        async with start(tokenless, recorder, clients) as slack:
            assert "who" in all_text(await slack.ask("help"))
        assert not [r for r in recorder.requests if r.path.startswith("/api/")]

    async def test_a_refused_response_url_is_logged_not_raised(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Slack refusing the reply (expired URL) is logged without the URL; the app goes on."""
        url = slack.recorder.response_url()
        slack.recorder.refuse(url, 404, "expired_url")
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            response, _ = await slack.send.command("help", response_url=url)
            assert response.status_code == 200
            await slack.recorder.wait_for(url)
            assert "who" in all_text(await slack.ask("help"))  # still answering
        ours = [r for r in caplog.records if r.name.startswith("bot.slack.")]
        logged = "\n".join(r.getMessage() for r in ours)
        assert "404" in logged
        assert "expired_url" in logged
        assert urlsplit(url).path not in caplog.text

    @pytest.mark.usefixtures("log_filters")
    async def test_no_secret_reaches_the_logs(
        self, slack: Slack, names: Names, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Even at DEBUG, the logs hold no response_url path (a capability to post), no
        signing secret and no token, through a command, a click and a share."""
        with caplog.at_level(logging.DEBUG):
            answer = await slack.ask(names.agents[0].name)
            (share,) = [b for b in buttons(answer) if b["action_id"] == SHARE]
            _, url = await slack.send.click(SHARE, share["value"])
            await slack.recorder.wait_for(url, 2)
        assert "HTTP Request: POST" in caplog.text  # httpx did log the replies...
        paths = {r.path for r in slack.recorder.requests}
        for path in paths:
            assert path.rsplit("/", 1)[-1] not in caplog.text  # ...without their secret part
        assert SECRET not in caplog.text
        assert BOT_TOKEN not in caplog.text
