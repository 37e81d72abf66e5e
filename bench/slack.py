"""Slack front door under a burst, beside bare Bolt: each as its own process, the same signed
commands from this one, in the same run.

    make bench            (or: python -m bench.slack [COMMANDS] [IN_FLIGHT])

Starts `python -m bot` in HTTP mode against the simulated contact center (in a process of its
own, `bench.vcc_sim`, as VCC is remote in production), and its peer `python -m bench.bare_bolt`
(Bolt's AsyncApp in aiohttp, a trivial ack and a trivial lazy `respond()`), with SLACK_API_URL
and every response_url aimed at a loopback recorder in this process. Each gets the same load
in turn: COMMANDS signed /agentstate commands (the bot's mix: help, agents, teams, a team
summary) with IN_FLIGHT awaiting their ack. Printed side by side: acks per second, how long
Slack would wait for the ack (it gives up at 3 s), and how many answers reached the
response_url.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import vcc_sim
from tests.support.slack import Recorder, Signer, command_body

SECRET = "bench-signing-secret"  # noqa: S105  (the bench signs its own requests)
ROOT = Path(__file__).resolve().parents[1]
QUIET_SECONDS = 20.0  # answers still missing after this long without one arriving are lost


@dataclass
class Figures:
    """One target's run: ack times (ms), elapsed seconds to the last ack, answers."""

    name: str
    acks: list[float]
    elapsed: float
    delivered: int
    sent: int

    def row(self) -> str:
        ordered = sorted(self.acks)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (
            f"{self.name:<12} {self.sent / self.elapsed:8.0f} {statistics.median(ordered):9.1f}"
            f" {p95:9.1f} {ordered[-1]:9.1f} {self.delivered:>8}/{self.sent:<6}"
            f" {sum(a >= 3000 for a in ordered):>6}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mix() -> list[str]:
    sample = json.loads((ROOT / "bot" / "data" / "sample_directory.json").read_text("utf-8"))
    names = [a["name"] for t in sample["teams"] for a in t["agents"]]
    return ["help", "teams", f"team {sample['teams'][0]['name']}", *names[:7]]


async def _ready(http: httpx.AsyncClient, url: str) -> None:
    for _ in range(200):
        try:
            if (await http.get(f"{url}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


async def _delivered(recorder: Recorder, paths: set[str]) -> int:
    """How many of `paths` got an answer, waiting while answers keep arriving."""
    count, last_change = -1, time.perf_counter()
    while time.perf_counter() - last_change < QUIET_SECONDS:
        now = len(paths & {r.path for r in recorder.requests})
        if now == len(paths):
            return now
        if now != count:
            count, last_change = now, time.perf_counter()
        await asyncio.sleep(0.25)
    return count


async def _burst(name: str, url: str, recorder: Recorder, total: int, in_flight: int) -> Figures:
    """Send `total` signed commands to `url` with `in_flight` awaiting their ack."""
    mix, signer = _mix(), Signer(SECRET)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await _ready(http, url)
        acks: list[float] = []
        paths: set[str] = set()
        gate = asyncio.Semaphore(in_flight)

        async def one(n: int) -> None:
            async with gate:
                response_url = recorder.response_url()
                body = command_body(mix[n % len(mix)], response_url=response_url)
                started = time.perf_counter()
                response = await http.post(
                    f"{url}/slack/events", content=body, headers=signer.headers(body)
                )
                acks.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
                paths.add(httpx.URL(response_url).path)

        await asyncio.gather(*(one(n) for n in range(len(mix))))  # warm caches, connections
        await _delivered(recorder, set(paths))
        acks.clear()
        paths.clear()
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(total)))
        elapsed = time.perf_counter() - started
    return Figures(name, acks, elapsed, await _delivered(recorder, paths), total)


async def _process(module: str, env: dict[str, str], **pipes: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env=env, cwd=ROOT, **pipes
    )


async def _vcc(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """Start the simulated VCC; the process, and the settings that aim the bot at it."""
    sim = await _process("bench.vcc_sim", env, stdout=asyncio.subprocess.PIPE)
    assert sim.stdout is not None
    urls = json.loads(await sim.stdout.readline())
    return sim, {
        "VCC_BASE_URL": urls["base_url"],
        "VCC_TOKEN_URL": urls["token_url"],
        "VCC_CLIENT_ID": vcc_sim.CLIENT_ID,
        "VCC_CLIENT_SECRET": vcc_sim.CLIENT_SECRET,
        "AGENTSTATE_TIMEZONE": "Europe/London",
    }


async def main(total: int, in_flight: int) -> None:
    bot_port, bare_port = _free_port(), _free_port()
    async with Recorder(wait_seconds=60) as recorder:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": recorder.api_url,
            "AGENTSTATE_LOG_LEVEL": "WARNING",
        }
        sim, vcc = await _vcc(env)
        bare = await _process("bench.bare_bolt", env | {"PORT": str(bare_port)})
        bot = await _process("bot", env | vcc | {"PORT": str(bot_port)})
        try:
            results = [
                await _burst(
                    "bare Bolt", f"http://127.0.0.1:{bare_port}", recorder, total, in_flight
                ),
                await _burst(
                    "agentstate", f"http://127.0.0.1:{bot_port}", recorder, total, in_flight
                ),
            ]
        finally:
            for process in (bare, bot, sim):
                process.send_signal(signal.SIGTERM)
                await process.wait()
    print(f"\n{total} signed commands, {in_flight} in flight, the same load for each, in turn")
    print(
        f"{'':<12} {'acks/s':>8} {'ack p50':>9} {'ack p95':>9} {'ack max':>9} "
        f"{'answered':>15} {'>=3 s':>6}   (ms)"
    )
    for figures in results:
        print(figures.row())
    bare_rate, bot_rate = (total / f.elapsed for f in results)
    print(f"agentstate / bare Bolt throughput: {bot_rate / bare_rate:.1f}x")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [2000, 32][len(args) :])))
