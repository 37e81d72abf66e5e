"""manifest.yml declares what the Slack app serves, and no more scope than the code uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.commands import COMMANDS
from bot.slack.register import COMMAND
from bot.slack.serve import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

# Scopes the code needs, and why. Every reply goes to a response_url (no scope); the only Web
# API call is auth.test at start (no scope). test_slack_commands checks answering calls none.
NEEDED_SCOPES = {"commands"}  # receive /agentstate


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


class TestManifest:
    def test_declares_the_command_the_app_listens_for(self, manifest: dict[str, Any]) -> None:
        """One slash command, /agentstate, sent to /slack/events, with text left unescaped."""
        (command,) = manifest["features"]["slash_commands"]
        assert command["command"] == COMMAND
        assert command["url"].startswith("https://")
        assert command["url"].endswith(EVENTS_PATH)
        # should_escape true would turn "@name" into <@U…|name>, which parse() doesn't read.
        assert command["should_escape"] is False
        assert command["description"]

    def test_usage_hint_names_every_command_word(self, manifest: dict[str, Any]) -> None:
        """The hint Slack shows while typing mentions each command the parser knows."""
        hint = manifest["features"]["slash_commands"][0]["usage_hint"]
        assert hint == "[agent] [history 2h|today] | team <team> | teams | who <state> | help"
        for entry in COMMANDS:
            first_word = entry.usage.split()[0]
            if not first_word.startswith("<"):
                assert first_word in hint, entry.usage

    def test_buttons_reach_the_same_endpoint(self, manifest: dict[str, Any]) -> None:
        """Interactivity is on and points at /slack/events (Refresh, Share, the choices)."""
        interactivity = manifest["settings"]["interactivity"]
        assert interactivity["is_enabled"] is True
        assert interactivity["request_url"].endswith(EVENTS_PATH)
        command_url = manifest["features"]["slash_commands"][0]["url"]
        assert interactivity["request_url"] == command_url

    def test_asks_only_for_the_scopes_the_code_needs(self, manifest: dict[str, Any]) -> None:
        """Bot scopes are exactly {commands}: replies use response_url; no user scopes."""
        scopes = manifest["oauth_config"]["scopes"]
        assert set(scopes) == {"bot"}
        assert len(scopes["bot"]) == len(set(scopes["bot"]))
        assert set(scopes["bot"]) == NEEDED_SCOPES

    def test_http_mode_settings(self, manifest: dict[str, Any]) -> None:
        """HTTP mode (no Socket Mode), no org-wide deploy, no token rotation (a static token)."""
        settings = manifest["settings"]
        assert settings["socket_mode_enabled"] is False
        assert settings["org_deploy_enabled"] is False
        assert settings["token_rotation_enabled"] is False
        assert "event_subscriptions" not in settings  # the bot subscribes to no events

    def test_display_information_within_slack_limits(self, manifest: dict[str, Any]) -> None:
        """Name and bot name are agentstate; descriptions within Slack's length limits."""
        info = manifest["display_information"]
        assert info["name"] == "agentstate"
        assert manifest["features"]["bot_user"] == {
            "display_name": "agentstate",
            "always_online": False,
        }
        assert 0 < len(info["description"]) <= 140
        assert 175 <= len(info["long_description"]) <= 4000
        assert re.fullmatch(r"#[0-9a-f]{6}", info["background_color"])
