"""`python -m bot` serving Slack, stopped by SIGTERM: the first waits for the answers already
acked; a second stops at once, and the log says so and what was dropped."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.support.slack import Recorder, Signer, command_body

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sigterm-signing-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _line(stream: asyncio.StreamReader, marker: str) -> str:
    """Read stderr until a line holding `marker`; everything read, joined."""
    seen: list[str] = []
    while marker not in (seen[-1] if seen else ""):
        line = await asyncio.wait_for(stream.readline(), 20)
        assert line, "".join(seen)
        seen.append(line.decode())
    return "".join(seen)


@pytest.mark.asyncio
async def test_a_second_sigterm_cuts_the_drain_and_says_so() -> None:
    """SIGTERM while an answer waits on Slack: the bot waits for it; SIGTERM again: it stops
    at once, logging that it did and how many answers were dropped, and exits 0."""
    port = _free_port()
    async with Recorder() as recorder:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VCC_"))}
        env = clean | {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": recorder.api_url,
            "PORT": str(port),
            "AGENTSTATE_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=env,
            cwd=tempfile.gettempdir(),
            stderr=asyncio.subprocess.PIPE,
        )
        assert bot.stderr is not None
        try:
            await _line(bot.stderr, "listening")
            url = recorder.response_url()
            release = recorder.hold_next(url)  # the answer cannot be delivered yet
            body = command_body("help", response_url=url)
            async with httpx.AsyncClient() as http:
                events = f"http://127.0.0.1:{port}/slack/events"
                acked = await http.post(events, content=body, headers=Signer(SECRET).headers(body))
            assert acked.status_code == 200
            await recorder.wait_for(url)
            bot.send_signal(signal.SIGTERM)
            first = await _line(bot.stderr, "finishing 1 answer(s)")  # the drain has begun
            bot.send_signal(signal.SIGTERM)
            rest = (await asyncio.wait_for(bot.stderr.read(), 20)).decode()
            assert await bot.wait() == 0
            release.set()
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    assert "SIGTERM: stopping after the answers already acked" in first
    assert "SIGTERM again: stopping now" in rest
    assert "1 answer(s) dropped" in rest
    assert "Traceback" not in rest
