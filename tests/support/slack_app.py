"""The Slack front door served for tests, and the fixtures the Slack test modules share.

The real Bolt app, in the real aiohttp web app, listens on 127.0.0.1, port 0, in front of an
App built by the production `open_app`: no VCC credentials, so the simulated contact center
runs behind it, on a frozen clock on a working weekday in London. Requests are signed as Slack
signs them; the Web API and every response_url point at a loopback `Recorder`.

A test module binds the fixtures it uses by name (`app = slack_app.app`), so pytest finds
them there; module-scoped ones are built once per module.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import App, slack_client
from bot.clock import FrozenClock
from bot.directory import Agent, load_directory_file
from bot.handle import handle
from bot.settings import load_settings
from bot.slack.connections import Limits
from bot.slack.logfilters import install_log_filters
from bot.slack.register import build_bolt_app
from bot.slack.serve import EVENTS_PATH, build_web_app, listen
from bot.slack.workspaces import Workspaces
from tests.support.app import simulated_app
from tests.support.sim import SIM_NOW  # a Wednesday morning: most of the floor works
from tests.support.slack import TEAM_ID, Recorder, Signer, SlackSender, all_text

__all__ = [
    "APP_TOKEN",
    "BOT_TOKEN",
    "SECRET",
    "Clients",
    "Names",
    "Slack",
    "aimed_at",
    "app",
    "clients",
    "log_filters",
    "names",
    "no_traceback",
    "our_workspace",
    "recorder",
    "simulated_slack_app",
    "slack",
    "start",
]

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SAMPLE_DIRECTORY = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample_directory.json"
SETTINGS = {"AGENTSTATE_TIMEZONE": "Europe/London"}  # no VCC credentials: the simulator
_FILTERED_LOGGERS = ("httpx", "slack_bolt.AsyncApp", "slack_bolt.RequestVerification")


@asynccontextmanager
async def simulated_slack_app(**env: str) -> AsyncIterator[App]:
    """`open_app` on the simulated floor at SIM_NOW; `env` adds settings by variable name.
    Nothing backs off for real (see `tests.support.app`)."""
    async with simulated_app(FrozenClock(SIM_NOW), **{**SETTINGS, **env}) as built:
        assert built.simulated
        yield built


def aimed_at(built: App, recorder: Recorder, *, bot_token: str | None = BOT_TOKEN) -> App:
    """`built` with Slack settings aimed at `recorder`, and its Web API client built from them
    as `open_app` builds it (None without a bot token)."""
    env = {**SETTINGS, "SLACK_API_URL": recorder.api_url}
    if bot_token is not None:
        env |= {"SLACK_BOT_TOKEN": bot_token, "SLACK_SIGNING_SECRET": SECRET}
    settings = load_settings(env)
    return dataclasses.replace(built, settings=settings, slack=slack_client(settings, []))


@dataclass(frozen=True)
class Clients:
    """The app's one long-lived client (for response_urls) and the test's own, as Slack."""

    app: httpx.AsyncClient
    slack: httpx.AsyncClient


@dataclass
class Slack:
    """The running app as Slack sees it, plus the App behind it for expectations."""

    send: SlackSender
    recorder: Recorder
    app: App
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
        """What handle() answers to `text` on the same App."""
        return (await handle(text, self.app.query)).answer

    async def stop(self) -> None:
        """Stop the web app; stopping waits for answers already acked."""
        await self.runner.cleanup()


def our_workspace(built: App) -> Workspaces:
    """The workspaces answered once auth.test has said the bot token's is TEAM_ID."""
    return Workspaces(built.settings.allowed_teams, own=TEAM_ID)


@asynccontextmanager
async def start(
    built: App,
    recorder: Recorder,
    clients: Clients,
    *,
    limits: Limits | None = None,
    workspaces: Workspaces | None = None,
) -> AsyncIterator[Slack]:
    """Serve the real web app for `built` on 127.0.0.1, port 0, with the recorder as Slack.

    Args:
        limits: body and connection limits (default: production's).
        workspaces: who is answered (default: TEAM_ID, as auth.test says, and the allow-list).
    """
    admitted = workspaces if workspaces is not None else our_workspace(built)
    limits = limits or Limits()
    bolt = build_bolt_app(built, clients.app, signing_secret=SECRET, workspaces=admitted)
    runner = await listen(build_web_app(bolt, signing_secret=SECRET, limits=limits), "127.0.0.1", 0)
    host, port = runner.addresses[0][:2]
    base_url = f"http://{host}:{port}"
    send = SlackSender(clients.slack, f"{base_url}{EVENTS_PATH}", Signer(SECRET), recorder)
    try:
        yield Slack(send, recorder, built, base_url, runner)
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class Names:
    """Real names from the App's directory, so no test hard-codes the simulator's."""

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


def no_traceback(message: dict[str, Any]) -> None:
    """Assert a posted message shows no Python traceback."""
    text = all_text(message)
    assert "Traceback" not in text
    assert 'File "' not in text


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients() -> AsyncIterator[Clients]:
    """Built once: each httpx client loads the CA bundle, a tenth of a second apiece."""
    async with httpx.AsyncClient() as for_app, httpx.AsyncClient() as as_slack:
        yield Clients(for_app, as_slack)


@pytest_asyncio.fixture(loop_scope="module")
async def recorder() -> AsyncIterator[Recorder]:
    async with Recorder() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app() -> AsyncIterator[App]:
    """One simulated App for the module: it only reads, and its floor warms up once."""
    async with simulated_slack_app() as built:
        yield built


@pytest_asyncio.fixture(loop_scope="module")
async def slack(app: App, recorder: Recorder, clients: Clients) -> AsyncIterator[Slack]:
    async with start(aimed_at(app, recorder), recorder, clients) as running:
        yield running


@pytest.fixture
def names() -> Names:
    """The default simulated floor's directory, as shipped (tests/unit/test_sim_floor.py
    checks it is what the simulator serves)."""
    directory = load_directory_file(SAMPLE_DIRECTORY)
    return Names(tuple(t.name for t in directory.teams), directory.agents)


@pytest.fixture
def log_filters() -> Iterator[None]:
    """The log filters installed as the composition root installs them; removed afterwards,
    so a test without this fixture sees the logs unfiltered."""
    before = {name: list(logging.getLogger(name).filters) for name in _FILTERED_LOGGERS}
    install_log_filters()
    yield
    for name, filters in before.items():
        logging.getLogger(name).filters[:] = filters
