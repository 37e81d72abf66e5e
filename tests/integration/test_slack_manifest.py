"""manifest.yml declares what the Slack app serves, and no more scope than the code uses.

PyYAML is not a dependency, so the manifest is read with a small strict reader for the YAML
it uses (block mappings and sequences, plain/quoted scalars, `>-` folded text, comments); it
raises on anything else rather than guess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.commands import COMMANDS
from bot.slack_app import COMMAND, EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

# Scopes the code needs, and why. Every reply goes to a response_url (no scope); the only Web
# API call is auth.test at start (no scope). test_slack_app checks answering calls none.
NEEDED_SCOPES = {"commands"}  # receive /agentstate


_KEY = re.compile(r"^([A-Za-z_][\w.-]*):(?: (.*))?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _lines(text: str) -> list[tuple[int, str]]:
    """(indent, content) of each meaningful line; folded `>-` blocks become one quoted line."""
    raw = text.splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(raw):
        line, i = raw[i], i + 1
        if "\t" in line:
            raise ValueError(f"tab in {line!r}")
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        if " #" in content and not content.startswith(("'", '"')) and '"' not in content:
            content = content.split(" #", 1)[0].rstrip()
        if content.endswith((": >-", ": >")):
            parts = []
            while i < len(raw) and (not raw[i].strip() or _indent(raw[i]) > _indent(line)):
                parts.append(raw[i].strip())
                i += 1
            content = content.rsplit(":", 1)[0] + ": " + json.dumps(" ".join(p for p in parts if p))
        out.append((_indent(line), content))
    return out


def _scalar(text: str) -> Any:
    if text.startswith('"'):
        return json.loads(text)
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise ValueError(f"unterminated {text!r}")
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text[0] in "[{&*!|>%@`":
        raise ValueError(f"YAML this reader does not handle: {text!r}")
    return text


def _block(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _mapping(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        match = _KEY.match(lines[i][1])
        if match is None:
            raise ValueError(f"not a key: {lines[i][1]!r}")
        key, rest = match.group(1), match.group(2)
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        i += 1
        if rest:
            result[key] = _scalar(rest)
        elif i < len(lines) and (
            lines[i][0] > indent or (lines[i][0] == indent and lines[i][1].startswith("- "))
        ):
            result[key], i = _block(lines, i, lines[i][0])
        else:
            result[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"unexpected indentation at {lines[i][1]!r}")
    return result, i


def _sequence(lines: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
        content = lines[i][1][2:].lstrip()
        if _KEY.match(content):
            lines[i] = (indent + 2, content)
            item, i = _mapping(lines, i, indent + 2)
            items.append(item)
        else:
            items.append(_scalar(content))
            i += 1
    return items, i


def read_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    lines = _lines(path.read_text(encoding="utf-8"))
    manifest, end = _mapping(lines, 0, 0)
    if end != len(lines):
        raise ValueError(f"unparsed from {lines[end][1]!r}")
    return manifest


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return read_manifest()


class TestReader:
    def test_reads_the_yaml_it_is_given(self, tmp_path: Path) -> None:
        """The small reader understands nesting, sequences of mappings, quoting and folding."""
        path = tmp_path / "m.yml"
        path.write_text(
            "# comment\n"
            "a:\n"
            "  b: plain text # trailing comment\n"
            "  c: 'it''s'\n"
            '  d: "x | y"\n'
            "  e: >-\n"
            "    one\n"
            "    two\n"
            "  f:\n"
            "    - g: 1\n"
            "      h: true\n"
            "    - i\n"
            "top: false\n"
        )
        assert read_manifest(path) == {
            "a": {
                "b": "plain text",
                "c": "it's",
                "d": "x | y",
                "e": "one two",
                "f": [{"g": 1, "h": True}, "i"],
            },
            "top": False,
        }

    @pytest.mark.parametrize("text", ["a: [1, 2]\n", "a: 1\na: 2\n", "a: 1\n   b: 2\n", "a\n"])
    def test_refuses_what_it_does_not_understand(self, tmp_path: Path, text: str) -> None:
        """Flow collections, duplicate keys, stray indentation and non-keys are errors."""
        path = tmp_path / "m.yml"
        path.write_text(text)
        with pytest.raises(ValueError):  # noqa: PT011 (the message varies by problem)
            read_manifest(path)


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
