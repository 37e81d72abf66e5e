"""End-to-end figures: each command through handle() -> VccClient -> loopback simulator.

    make bench                       # 60 agents
    AGENTSTATE_SIM_AGENTS=1000 make bench

Prints median and p95 wall time per command over a few runs. The simulator shares this
machine's two cores, so the figures are an upper bound of the bot's own cost.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime

from bot.app import open_app
from bot.clock import FrozenClock
from bot.handle import handle
from bot.settings import load_settings

RUNS = 15
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)  # a Wednesday afternoon: a full floor


async def main() -> None:
    agents = os.environ.get("AGENTSTATE_SIM_AGENTS", "60")
    settings = load_settings(
        {"AGENTSTATE_SIM_AGENTS": agents, "AGENTSTATE_TIMEZONE": "Europe/London"}
    )
    async with open_app(settings, FrozenClock(NOW)) as app:
        directory = await app.query.directory()
        team = directory.teams[0].name
        agent = directory.agents[0].name
        commands = ["help", agent, f"{agent} history today", f"team {team}", "teams", "who away"]
        print(f"{agents} agents, {RUNS} runs each (first run warms caches and is not counted)")
        print(f"{'command':40} {'median ms':>10} {'p95 ms':>10}")
        for text in commands:
            times = []
            for _ in range(RUNS + 1):
                started = time.perf_counter()
                reply = await handle(text, app.query)
                app.blocks.render(reply)
                times.append((time.perf_counter() - started) * 1000)
            counted = sorted(times[1:])
            p95 = counted[int(len(counted) * 0.95) - 1]
            print(f"{text[:40]:40} {statistics.median(counted):10.1f} {p95:10.1f}")


if __name__ == "__main__":
    asyncio.run(main())
