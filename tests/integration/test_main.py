"""`python -m bot` as a newcomer runs it: console on the simulator, config errors, exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "bot" / "data" / "sample_directory.json").read_text(encoding="utf-8"))


def run_bot(stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the bot as `make run` does, in a clean environment (no Slack, no VCC)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "VCC_", "AGENTSTATE_")) and k != "PORT"
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tempfile.gettempdir(),  # away from any developer's .env in the checkout
        env={**clean, **env},
        check=False,
    )


class TestConsole:
    def test_help_then_eof_exits_zero(self) -> None:
        """`printf 'help\\n' | make run` prints the help, says it is simulated, and exits 0."""
        result = run_bot("help\n")
        assert result.returncode == 0, result.stderr
        assert "simulated contact center" in result.stdout
        for usage in ("history", "team", "teams", "who"):
            assert usage in result.stdout
        assert "Traceback" not in result.stderr

    def test_every_command_answers(self) -> None:
        """teams, a team, an agent, a history and who all answer in one session."""
        team = SAMPLE["teams"][0]
        agent = team["agents"][0]
        lines = [
            "teams",
            f"team {team['name']}",
            agent["name"],
            f"{agent['name']} history today",
            "who away",
        ]
        result = run_bot("\n".join(lines) + "\n", AGENTSTATE_TIMEZONE="Europe/London")
        assert result.returncode == 0, result.stderr
        out = result.stdout
        for other in SAMPLE["teams"]:
            assert other["name"] in out
        assert agent["name"] in out
        assert "as of" in out
        assert "Traceback" not in out + result.stderr

    def test_bad_input_is_answered_not_raised(self) -> None:
        """Unknown agents and garbage get a friendly line; the console carries on."""
        result = run_bot("nobody-like-this\nwho sleeping\nhelp\n")
        assert result.returncode == 0, result.stderr
        assert "couldn't find an agent" in result.stdout
        assert "don't know the state" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr


class TestConfigErrors:
    @pytest.mark.parametrize(
        ("env", "variable"),
        [
            ({"VCC_REGION": "mars"}, "VCC_REGION"),
            ({"AGENTSTATE_TIMEZONE": "Nowhere/Land"}, "AGENTSTATE_TIMEZONE"),
            ({"VCC_CLIENT_ID": "abc"}, "VCC_CLIENT_SECRET"),
            ({"AGENTSTATE_DIRECTORY": "/nonexistent/dir.json"}, "AGENTSTATE_DIRECTORY"),
        ],
    )
    def test_one_line_naming_the_variable_exit_2(self, env: dict[str, str], variable: str) -> None:
        """A bad setting prints one line naming it on stderr and exits 2, no traceback."""
        result = run_bot("help\n", **env)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert variable in lines[0]
        assert result.stdout == ""

    def test_secret_not_echoed(self) -> None:
        """A config error about credentials does not print the secret."""
        result = run_bot("", VCC_CLIENT_SECRET="hunter2-secret")
        assert result.returncode == 2
        assert "hunter2-secret" not in result.stderr + result.stdout


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestPortInUse:
    def test_a_port_in_use_is_one_line_exit_2(self) -> None:
        """Serving Slack on a PORT another process holds is a bad setting: one line naming
        PORT, exit 2, no traceback (the token check, against a Slack that is not there, does
        not stand in the way)."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = run_bot(
                "",
                SLACK_BOT_TOKEN="xoxb-test-token",
                SLACK_SIGNING_SECRET="test-signing-secret",
                SLACK_API_URL=f"http://127.0.0.1:{_closed_port()}/api/",
                PORT=str(port),
                AGENTSTATE_LOG_LEVEL="ERROR",
            )
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "PORT" in lines[0]
        assert "in use" in lines[0]
