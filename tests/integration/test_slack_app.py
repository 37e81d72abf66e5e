"""The Slack front door end to end, on loopback.

The real aiohttp web app (Bolt mounted in it) listens on 127.0.0.1, port 0, in front of a real
Runtime: no VCC credentials, so the simulated contact center runs behind it, on a frozen clock
at a working weekday afternoon in London. Requests are signed as Slack signs them; the Web API
and every response_url point at a loopback recorder, and the tests read what arrives there.

What each answer should say comes from `handle()` on the same runtime: the tests check that the
Slack message carries it (names, states, "as of"), not how the blocks are laid out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp

from bot.clock import FrozenClock
from bot.directory import Agent, load_directory_file
from bot.errors import ConfigError
from bot.format.mrkdwn import escape, state_name
from bot.handle import UNAVAILABLE, handle
from bot.query.results import (
    AgentNow,
    ErrorAnswer,
    History,
    TeamsList,
    TeamSummary,
    WhoList,
)
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from bot.slack_app import (
    REFRESH,
    RUN,
    SHARE,
    build_app,
    build_web_app,
    check_token,
    serve_socket_mode,
    unescape,
)
from tests.sim_fixtures import SIM_NOW  # a Wednesday morning: most of the floor works
from tests.slack_helpers import (
    FORM,
    USER_ID,
    Recorder,
    Signer,
    SlackSender,
    all_text,
    buttons,
    command_body,
)

# One event loop for the module's async tests, so the runtime (and its VCC client, and the
# simulator's warmed-up floor) is built once.
shared_loop = pytest.mark.asyncio(loop_scope="module")

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SAMPLE_DIRECTORY = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample_directory.json"
SETTINGS = {"AGENTSTATE_TIMEZONE": "Europe/London"}  # no VCC credentials: the simulator


@dataclass
class Slack:
    """The running app as Slack sees it, plus the runtime behind it for expectations."""

    send: SlackSender
    recorder: Recorder
    runtime: Runtime
    base_url: str
    runner: web.AppRunner

    async def ask(self, text: str) -> dict[str, Any]:
        """Send `/agentstate <text>`; check the ack is an empty 200; return the one answer."""
        response, url = await self.send.command(text)
        assert response.status_code == 200
        assert response.text == ""
        (answer,) = await self.recorder.wait_for(url)
        return answer

    async def expect(self, text: str) -> Any:
        """What handle() answers to `text` on the same runtime."""
        return (await handle(text, self.runtime.query, simulated=self.runtime.simulated)).answer

    async def stop(self) -> None:
        """Stop the web app; stopping waits for answers already acked."""
        await self.runner.cleanup()


@dataclass(frozen=True)
class Clients:
    """The app's one long-lived client (for response_urls) and the test's own, as Slack."""

    app: httpx.AsyncClient
    slack: httpx.AsyncClient


@asynccontextmanager
async def _start(
    runtime: Runtime, recorder: Recorder, clients: Clients, bot_token: str | None = BOT_TOKEN
) -> AsyncIterator[Slack]:
    """Serve the real web app on 127.0.0.1, port 0, with the recorder as Slack."""
    app = build_app(
        runtime=runtime,
        bot_token=bot_token,
        signing_secret=SECRET,
        api_url=recorder.api_url,
        http=clients.app,
    )
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    base_url = f"http://{host}:{port}"
    send = SlackSender(clients.slack, f"{base_url}/slack/events", Signer(SECRET), recorder)
    try:
        yield Slack(send, recorder, runtime, base_url, runner)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients() -> AsyncIterator[Clients]:
    """Built once: each httpx client loads the CA bundle, a tenth of a second apiece."""
    async with httpx.AsyncClient() as app, httpx.AsyncClient() as slack:
        yield Clients(app, slack)


@pytest_asyncio.fixture(loop_scope="module")
async def recorder() -> AsyncIterator[Recorder]:
    async with Recorder() as recorder:
        yield recorder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime() -> AsyncIterator[Runtime]:
    """One simulated runtime for the module: it only reads, and its floor warms up once."""
    async with open_runtime(load_settings(SETTINGS), FrozenClock(SIM_NOW)) as runtime:
        assert runtime.simulated
        yield runtime


@pytest_asyncio.fixture(loop_scope="module")
async def slack(runtime: Runtime, recorder: Recorder, clients: Clients) -> AsyncIterator[Slack]:
    async with _start(runtime, recorder, clients) as running:
        yield running


@dataclass(frozen=True)
class Names:
    """Real names from the runtime's directory, so no test hard-codes the simulator's."""

    teams: tuple[str, ...]
    agents: tuple[Agent, ...]

    def shared_first_name(self) -> str:
        """A first name at least two agents have: an ambiguous name."""
        firsts = [a.name.split()[0] for a in self.agents]
        return next(f for f in firsts if firsts.count(f) > 1)

    def typo(self) -> tuple[str, Agent]:
        """A misspelt full name (two letters of the surname swapped), and whose it was."""
        for agent in self.agents:
            first, *rest = agent.name.split()
            last = rest[-1] if rest else ""
            if len(last) >= 6 and last.isalpha() and last[2] != last[3]:
                swapped = last[:2] + last[3] + last[2] + last[4:]
                return f"{first} {swapped}", agent
        raise AssertionError("no agent with a surname to misspell")


@pytest.fixture
def names() -> Names:
    """The default simulated floor's directory, as shipped (tests/unit/test_sim_floor.py
    checks it is what the simulator serves)."""
    directory = load_directory_file(SAMPLE_DIRECTORY)
    return Names(tuple(t.name for t in directory.teams), directory.agents)


def _no_traceback(message: dict[str, Any]) -> None:
    text = all_text(message)
    assert "Traceback" not in text
    assert 'File "' not in text


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
class TestBuildApp:
    async def test_refuses_an_empty_signing_secret(self, runtime: Runtime) -> None:
        """An app without a signing secret would accept anyone's requests: refused at build."""
        async with httpx.AsyncClient() as http:
            with pytest.raises(ValueError, match="signing secret"):
                build_app(
                    runtime=runtime,
                    bot_token=BOT_TOKEN,
                    signing_secret="",
                    api_url="http://127.0.0.1:9/api/",
                    http=http,
                )

    async def test_the_app_is_a_bolt_app(self, runtime: Runtime, recorder: Recorder) -> None:
        """build_app returns a Bolt AsyncApp that answers before it is done (lazy listeners)."""
        async with httpx.AsyncClient() as http:
            app = build_app(
                runtime=runtime,
                bot_token=BOT_TOKEN,
                signing_secret=SECRET,
                api_url=recorder.api_url,
                http=http,
            )
        assert isinstance(app, AsyncApp)
        assert app.process_before_response

    async def test_quiet_about_the_token_in_the_environment(
        self,
        runtime: Runtime,
        clients: Clients,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """With SLACK_BOT_TOKEN set (as in production), building the app warns of nothing:
        Bolt's "token will be unused" is by design here."""
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
        with caplog.at_level(logging.WARNING):
            build_app(
                runtime=runtime,
                bot_token=BOT_TOKEN,
                signing_secret=SECRET,
                api_url="http://127.0.0.1:9/api/",
                http=clients.app,
            )
        assert caplog.records == []


@shared_loop
class TestHttpEndpoints:
    async def test_health_and_readiness(self, slack: Slack) -> None:
        """GET /healthz and /readyz answer 200 while the app serves."""
        async with httpx.AsyncClient(base_url=slack.base_url) as http:
            health = await http.get("/healthz")
            ready = await http.get("/readyz")
        assert (health.status_code, health.text) == (200, "ok")
        assert ready.status_code == 200

    async def test_slacks_ssl_check_gets_200(self, slack: Slack) -> None:
        """Slack's certificate probe (ssl_check=1) is answered 200 and runs nothing."""
        response = await slack.send.post("ssl_check=1&token=x", {"Content-Type": FORM})
        assert response.status_code == 200
        assert [r for r in slack.recorder.requests if not r.path.startswith("/api/")] == []

    async def test_unknown_path_is_404(self, slack: Slack) -> None:
        """Only /slack/events takes POSTs."""
        async with httpx.AsyncClient(base_url=slack.base_url) as http:
            response = await http.post("/other", content="x")
        assert response.status_code in (404, 405)


@shared_loop
class TestRequestVerification:
    async def test_unsigned_request_is_401(self, slack: Slack) -> None:
        """A command without Slack's signature headers is refused and never answered."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        response = await slack.send.post(body, {"Content-Type": FORM})
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []

    async def test_bad_signature_is_401(self, slack: Slack) -> None:
        """A body signed with another secret is refused."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        response = await slack.send.post(body, Signer("not-the-secret").headers(body))
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []

    async def test_tampered_body_is_401(self, slack: Slack) -> None:
        """A signature over one body does not pass for another."""
        url = slack.recorder.response_url()
        signed = Signer(SECRET).headers(command_body("help", response_url=url))
        response = await slack.send.post(command_body("teams", response_url=url), signed)
        assert response.status_code == 401

    async def test_stale_timestamp_is_401(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A correctly signed request from 6 minutes ago is a replay: refused, and its
        response_url (still live for 30 minutes) is not written to the logs."""
        url = slack.recorder.response_url()
        body = command_body("help", response_url=url)
        stale = Signer(SECRET).headers(body, timestamp=int(time.time()) - 6 * 60)
        with caplog.at_level(logging.DEBUG, logger="slack_bolt.RequestVerification"):
            response = await slack.send.post(body, stale)
        assert response.status_code == 401
        assert slack.recorder.posts(url) == []
        assert "Invalid request signature" in caplog.text
        assert urlsplit(url).path.rsplit("/", 1)[-1] not in caplog.text


@shared_loop
class TestSlashCommand:
    async def test_help_lists_the_commands(self, slack: Slack) -> None:
        """`help` answers privately with every command."""
        answer = await slack.ask("help")
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
        assert meant.id in {s.id for s in expected.suggestions}
        answer = await slack.ask(typo)
        assert answer["response_type"] == "ephemeral"
        runs = [b for b in buttons(answer) if RUN.match(b["action_id"])]
        assert meant.id in {b["value"] for b in runs}
        assert escape(expected.message) in all_text(answer)
        _no_traceback(answer)

    async def test_ambiguous_name_offers_the_choices(self, slack: Slack, names: Names) -> None:
        """A shared first name answers with one button per agent it could mean."""
        first = names.shared_first_name()
        expected = await slack.expect(first)
        assert isinstance(expected, ErrorAnswer)
        assert len(expected.choices) >= 2
        answer = await slack.ask(first)
        runs = [b for b in buttons(answer) if RUN.match(b["action_id"])]
        assert {b["value"] for b in runs} == {c.id for c in expected.choices}
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
        _no_traceback(answer)

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
        sim = slack.runtime.sim
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
        self, runtime: Runtime, recorder: Recorder, clients: Clients
    ) -> None:
        """The bot token is not needed to answer: replies go to the response_url."""
        async with _start(runtime, recorder, clients, bot_token=None) as slack:
            assert "who" in all_text(await slack.ask("help"))
        assert not [r for r in recorder.requests if r.path.startswith("/api/")]

    async def test_a_refused_response_url_is_logged_not_raised(
        self, slack: Slack, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Slack refusing the reply (expired URL) is logged without the URL; the app goes on."""
        url = slack.recorder.response_url()
        slack.recorder.refuse(url, 404, "expired_url")
        with caplog.at_level(logging.WARNING, logger="bot.slack_app"):
            response, _ = await slack.send.command("help", response_url=url)
            assert response.status_code == 200
            await slack.recorder.wait_for(url)
            assert "who" in all_text(await slack.ask("help"))  # still answering
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.slack_app")
        assert "404" in logged
        assert "expired_url" in logged
        assert urlsplit(url).path not in caplog.text

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


@shared_loop
class TestButtons:
    async def _answer_with_buttons(self, slack: Slack, names: Names) -> dict[str, Any]:
        answer = await slack.ask(names.agents[0].name)
        ids = {b["action_id"] for b in buttons(answer)}
        assert {REFRESH, SHARE} <= ids
        return answer

    async def test_refresh_replaces_the_answer(self, slack: Slack, names: Names) -> None:
        """Refresh re-runs the command and the answer replaces the message in place."""
        answer = await self._answer_with_buttons(slack, names)
        (refresh,) = [b for b in buttons(answer) if b["action_id"] == REFRESH]
        response, url = await slack.send.click(REFRESH, refresh["value"])
        assert (response.status_code, response.text) == (200, "")
        (replaced,) = await slack.recorder.wait_for(url)
        assert replaced["replace_original"] is True
        assert escape(names.agents[0].name) in all_text(replaced)
        assert "as of" in all_text(replaced)

    async def test_share_posts_in_channel_then_deletes_the_private_copy(
        self, slack: Slack, names: Names
    ) -> None:
        """Share posts the answer for everyone, says who shared it, without buttons; then the
        ephemeral copy is deleted."""
        answer = await self._answer_with_buttons(slack, names)
        (share,) = [b for b in buttons(answer) if b["action_id"] == SHARE]
        response, url = await slack.send.click(SHARE, share["value"], user_id="U0SHARER")
        assert (response.status_code, response.text) == (200, "")
        shared, deleted = await slack.recorder.wait_for(url, 2)
        assert shared["response_type"] == "in_channel"
        assert shared["replace_original"] is False
        assert "<@U0SHARER>" in all_text(shared)
        assert re.search(r"[Ss]hared by <@U0SHARER>", all_text(shared))
        assert buttons(shared) == []
        assert escape(names.agents[0].name) in all_text(shared)
        assert deleted == {"delete_original": True}

    async def test_a_refused_share_keeps_the_private_copy(self, slack: Slack, names: Names) -> None:
        """If Slack refuses the channel post, the ephemeral answer is not deleted."""
        answer = await self._answer_with_buttons(slack, names)
        (share,) = [b for b in buttons(answer) if b["action_id"] == SHARE]
        url = slack.recorder.response_url()
        slack.recorder.refuse(url, 403, "not_in_channel")
        await slack.send.click(SHARE, share["value"], response_url=url)
        await slack.stop()  # waits for the click's answer to finish
        posts = slack.recorder.posts(url)
        assert posts[0]["response_type"] == "in_channel"
        assert {"delete_original": True} not in posts

    async def test_a_choice_runs_the_chosen_agent(self, slack: Slack, names: Names) -> None:
        """Clicking one of the "which one" buttons answers for that agent, in place."""
        first = names.shared_first_name()
        answer = await slack.ask(first)
        choice = [b for b in buttons(answer) if RUN.match(b["action_id"])][-1]
        chosen = next(a for a in names.agents if a.id == choice["value"])
        response, url = await slack.send.click(choice["action_id"], choice["value"])
        assert response.status_code == 200
        (replaced,) = await slack.recorder.wait_for(url)
        assert replaced["replace_original"] is True
        assert escape(chosen.name) in all_text(replaced)
        assert "as of" in all_text(replaced)

    async def test_the_clicking_user_is_who_shared(self, slack: Slack) -> None:
        """The share names the user who clicked, not who first ran the command."""
        response, url = await slack.send.click(SHARE, "teams", user_id="U0CLICKER")
        assert response.status_code == 200
        shared, _ = await slack.recorder.wait_for(url, 2)
        assert "<@U0CLICKER>" in all_text(shared)
        assert f"<@{USER_ID}>" not in all_text(shared)


@shared_loop
class TestFailures:
    async def test_a_failing_answer_is_logged_and_apologised_for(
        self,
        runtime: Runtime,
        recorder: Recorder,
        clients: Clients,
        names: Names,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A bug while answering (here: a runtime whose zone is not a zone, so rendering
        fails) is logged with its traceback, and the user gets an apology, not silence (Bolt
        would swallow it) and not the traceback."""
        broken = Runtime(runtime.query, runtime.simulated, "not a zone")  # type: ignore[arg-type]
        with caplog.at_level(logging.ERROR, logger="bot.slack_app"):
            async with _start(broken, recorder, clients) as slack:
                answer = await slack.ask(names.agents[0].name)
        assert "went wrong" in answer["text"]
        assert answer["response_type"] == "ephemeral"
        _no_traceback(answer)
        (logged,) = [r for r in caplog.records if r.name == "bot.slack_app"]
        assert logged.exc_info is not None

    async def test_a_malformed_click_is_apologised_for(self, slack: Slack) -> None:
        """A click whose payload lacks what Slack always sends (here the user's id) gets an
        apology on its response_url, not silence."""
        url = slack.recorder.response_url()
        payload = {
            "type": "block_actions",
            "user": {},
            "actions": [{"action_id": SHARE, "type": "button", "block_id": "b", "value": "teams"}],
            "response_url": url,
        }
        response = await slack.send.post(urlencode({"payload": json.dumps(payload)}))
        assert response.status_code == 200
        (answer,) = await slack.recorder.wait_for(url)
        assert "went wrong" in answer["text"]


@shared_loop
class TestVccDown:
    async def test_vcc_not_answering_is_said_plainly(self, slack: Slack, names: Names) -> None:
        """When VCC fails (503s), the answer says so in words, not a traceback; once VCC is
        back, so are the answers."""
        sim = slack.runtime.sim
        assert sim is not None
        name = names.agents[0].name
        # Retry-After: 0 keeps the client's retries immediate; every one fails.
        sim.fail_next(100, 503, retry_after="0")
        try:
            down = await slack.ask(name)
        finally:
            sim.reset_faults()
        assert down["response_type"] == "ephemeral"
        assert UNAVAILABLE in all_text(down)
        _no_traceback(down)
        assert "as of" in all_text(await slack.ask(name))


@shared_loop
class TestStartup:
    async def test_a_good_token_passes(self, recorder: Recorder) -> None:
        """Before serving, the bot token is checked once with auth.test."""
        await check_token(BOT_TOKEN, recorder.api_url)
        (call,) = [r for r in recorder.requests if r.path == "/api/auth.test"]
        assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"

    async def test_a_refused_token_stops_the_start(self, recorder: Recorder) -> None:
        """A token Slack refuses is a configuration error naming SLACK_BOT_TOKEN, without the
        token itself."""
        recorder.api_answers["auth.test"] = {"ok": False, "error": "invalid_auth"}
        with pytest.raises(ConfigError) as caught:
            await check_token(BOT_TOKEN, recorder.api_url)
        assert caught.value.variable == "SLACK_BOT_TOKEN"
        assert "invalid_auth" in caught.value.problem
        assert BOT_TOKEN not in str(caught.value)

    async def test_slack_unreachable_only_warns(self, caplog: pytest.LogCaptureFixture) -> None:
        """If Slack cannot be reached at start, the bot starts anyway (answers do not need
        the Web API) and says why."""
        async with Recorder() as gone:
            api_url = gone.api_url
        with caplog.at_level(logging.WARNING, logger="bot.slack_app"):
            await check_token(BOT_TOKEN, api_url)
        assert "could not reach Slack" in caplog.text


@shared_loop
class TestSocketMode:
    async def _serve(
        self, runtime: Runtime, recorder: Recorder, clients: Clients
    ) -> asyncio.Task[None]:
        app = build_app(
            runtime=runtime,
            bot_token=BOT_TOKEN,
            signing_secret=SECRET,
            api_url=recorder.api_url,
            http=clients.app,
        )
        return asyncio.create_task(serve_socket_mode(app, APP_TOKEN))

    async def test_a_command_over_socket_mode(
        self, runtime: Runtime, recorder: Recorder, clients: Clients
    ) -> None:
        """With an app-level token the bot connects out over a WebSocket, acks each envelope
        on it, and answers through the response_url as in HTTP mode."""
        serving = await self._serve(runtime, recorder, clients)
        try:
            socket = await recorder.socket()
            url = recorder.response_url()
            payload = dict(parse_qsl(command_body("help", response_url=url)))
            await socket.send_json(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            (ack,) = await recorder.wait_for("/socket")
            (answer,) = await recorder.wait_for(url)
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        assert ack["envelope_id"] == "env-1"
        assert not ack.get("payload")  # an empty ack: Slack shows nothing until the answer
        assert answer["response_type"] == "ephemeral"
        assert "who" in all_text(answer)
        (opened,) = [r for r in recorder.requests if r.path == "/api/apps.connections.open"]
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"

    async def test_stopping_finishes_the_answers_already_acked(
        self, runtime: Runtime, recorder: Recorder, clients: Clients, names: Names
    ) -> None:
        """Cancelling Socket Mode while an acked answer waits on a slow VCC still posts it."""
        assert runtime.sim is not None
        serving = await self._serve(runtime, recorder, clients)
        try:
            socket = await recorder.socket()
            url = recorder.response_url()
            runtime.sim.hang_next(1, seconds=0.5)
            payload = dict(parse_qsl(command_body(names.agents[3].name, response_url=url)))
            await socket.send_json(
                {"envelope_id": "env-2", "type": "slash_commands", "payload": payload}
            )
            await recorder.wait_for("/socket")  # acked
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        (answer,) = recorder.posts(url)
        assert escape(names.agents[3].name) in all_text(answer)

    async def test_a_refused_app_token_stops_the_start(
        self, runtime: Runtime, recorder: Recorder, clients: Clients
    ) -> None:
        """Slack refusing the app-level token is a configuration error, not endless retries."""
        recorder.api_answers["apps.connections.open"] = {"ok": False, "error": "invalid_auth"}
        serving = await self._serve(runtime, recorder, clients)
        with pytest.raises(ConfigError) as caught:
            await serving
        assert caught.value.variable == "SLACK_APP_TOKEN"
        assert APP_TOKEN not in str(caught.value)
