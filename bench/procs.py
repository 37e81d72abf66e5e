"""The processes bench/floor.py runs: the simulated VCC (bench.counted_sim) and the bot
(bench.floor_bot), each in a process of its own, talked to over their stdin and stdout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, NamedTuple

from bench.counted_sim import CLIENT_ID, CLIENT_SECRET

__all__ = ["STATES_PATH", "STATUS_PATH", "BotProcess", "Served", "Sim"]

ROOT = Path(__file__).resolve().parents[1]
STATES_PATH = "/stats/wfm/agent-states"
STATUS_PATH = "/stats/agent-status"
_LINE_LIMIT = 1 << 26  # a `requests` answer is one line


class Served(NamedTuple):
    """One request the simulator answered."""

    method: str
    path: str
    include: str
    page: str
    status: int


async def _start(module: str, *args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_LINE_LIMIT,
    )


async def _end(process: asyncio.subprocess.Process, seconds: float = 30.0) -> None:
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()


class Sim:
    """The simulated VCC of `spec` (bench.counted_sim), counting what it serves."""

    def __init__(self, process: asyncio.subprocess.Process, urls: dict[str, str]) -> None:
        self._process = process
        self._urls = urls
        self._asking = asyncio.Lock()

    @classmethod
    async def start(cls, spec: dict[str, Any]) -> Sim:
        process = await _start("bench.counted_sim", json.dumps(spec), env=dict(os.environ))
        assert process.stdout is not None
        return cls(process, json.loads(await process.stdout.readline()))

    def env(self) -> dict[str, str]:
        """The settings that aim the bot at this simulator."""
        return {
            "VCC_BASE_URL": self._urls["base_url"],
            "VCC_TOKEN_URL": self._urls["token_url"],
            "VCC_CLIENT_ID": CLIENT_ID,
            "VCC_CLIENT_SECRET": CLIENT_SECRET,
        }

    async def _ask(self, line: str) -> Any:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        async with self._asking:
            stdin.write(f"{line}\n".encode())
            await stdin.drain()
            return json.loads(await stdout.readline())

    async def count(self) -> int:
        """Requests answered so far."""
        return int(await self._ask("count"))

    async def requests(self, since: int = 0) -> list[Served]:
        """The requests answered from the `since`-th on."""
        return [Served(*r) for r in await self._ask(f"requests {since}")]

    async def stop(self) -> None:
        if self._process.returncode is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            await _end(self._process)


class BotProcess:
    """bench.floor_bot: the bot measuring itself, one JSON line per step."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.events: dict[str, dict[str, Any]] = {}

    @classmethod
    async def start(cls, env: dict[str, str], *, serve: bool) -> BotProcess:
        args = ["--serve"] if serve else []
        return cls(await _start("bench.floor_bot", *args, env={**os.environ, **env}))

    async def event(self, name: str) -> dict[str, Any]:
        """Wait for the step `name` (each is printed once, in order) and return it."""
        stdout = self._process.stdout
        assert stdout is not None
        while name not in self.events:
            line = await stdout.readline()
            if not line:
                raise RuntimeError(f"the bot ended before {name!r} (see its stderr above)")
            event = json.loads(line)
            self.events[event.pop("event")] = event
        return self.events[name]

    async def stop(self) -> dict[str, Any]:
        """SIGTERM if it is serving; its `done` step (empty if it ended without one)."""
        if self._process.returncode is None and "serving" in self.events:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.event("done"), 60)
        except (RuntimeError, TimeoutError):
            return {}
        finally:
            await _end(self._process)
