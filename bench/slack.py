"""Slack front door under load: the bot as its own process, signed commands from this one.

    make bench            (or: python -m bench.slack [COMMANDS] [IN_FLIGHT])

Starts `python -m bot` in HTTP mode on the simulated contact center, with SLACK_API_URL and
every response_url aimed at a loopback recorder in this process; sends signed /agentstate
commands (a mix of help, agents, teams and team summaries) with a fixed number in flight; and
prints how long Slack would wait for the ack (the 3 s rule) and for the answer.
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
from pathlib import Path

import httpx

from tests.support.slack import Recorder, Signer, command_body

SECRET = "bench-signing-secret"  # noqa: S105  (the bench signs its own requests)
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {statistics.median(ordered):7.1f}  p95 {at(0.95):7.1f}  "
        f"p99 {at(0.99):7.1f}  max {ordered[-1]:7.1f}"
    )


async def main(total: int, in_flight: int) -> None:
    sample = json.loads((ROOT / "bot" / "data" / "sample_directory.json").read_text("utf-8"))
    names = [a["name"] for t in sample["teams"] for a in t["agents"]]
    mix = ["help", "teams", f"team {sample['teams'][0]['name']}", *names[:7]]
    port = _free_port()
    async with Recorder(wait_seconds=60) as recorder:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": recorder.api_url,
            "PORT": str(port),
            "AGENTSTATE_LOG_LEVEL": "WARNING",
        }
        bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", env=env)
        url = f"http://127.0.0.1:{port}"
        signer = Signer(SECRET)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                for _ in range(100):  # until the bot listens
                    try:
                        if (await http.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                acks: list[float] = []
                answers: list[float] = []
                slow = 0
                gate = asyncio.Semaphore(in_flight)

                async def one(n: int) -> None:
                    nonlocal slow
                    async with gate:
                        response_url = recorder.response_url()
                        body = command_body(mix[n % len(mix)], response_url=response_url)
                        started = time.perf_counter()
                        response = await http.post(
                            f"{url}/slack/events", content=body, headers=signer.headers(body)
                        )
                        acked = time.perf_counter()
                        assert response.status_code == 200, response.text
                        await recorder.wait_for(response_url)
                        done = time.perf_counter()
                    acks.append((acked - started) * 1000)
                    answers.append((done - started) * 1000)
                    slow += acked - started >= 3.0

                await asyncio.gather(*(one(n) for n in range(len(mix))))  # warm caches
                acks.clear()
                answers.clear()
                started = time.perf_counter()
                await asyncio.gather(*(one(n) for n in range(total)))
                elapsed = time.perf_counter() - started
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
    print(f"{total} commands, {in_flight} in flight, {total / elapsed:.0f} commands/s")
    print(f"ack ms     {_quantiles(acks)}   (Slack gives up at 3000; {slow} at or over)")
    print(f"answer ms  {_quantiles(answers)}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [200, 8][len(args) :])))
