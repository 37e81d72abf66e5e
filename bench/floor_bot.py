"""The bot for bench/floor.py, in a process of its own, telling the bench what it measured.

    python -m bench.floor_bot [--serve]     settings from the environment, as `python -m bot`

It builds the bot exactly as `python -m bot` does (`open_app` with the wall clock, the VCC
settings aiming it at the bench's simulator) and, before serving anything, measures itself,
printing one JSON line per step on stdout:

    catch_up    the first poll cycle: today's rows from the model's origin (wall and CPU s)
    steady      STEADY cycles more, AGENTSTATE_POLL_SECONDS apart (CPU s and wall s each)
    compute     `teams` and `who ready` answered from the model and rendered in this process,
                CPU ms each (the directory already read; the first run not counted)
    memory      peak RSS so far (MB)

With `--serve` it then serves Slack over HTTP as `python -m bot` does (`App.run` with the
poller beside the front door) until SIGTERM, and prints `done` with the peak RSS again.
BENCH_PROFILE=<file> profiles that serving (its event loop's thread) into <file> (pstats).

CPU is this process's own (`time.process_time`: every thread, the decoder thread included);
the simulator runs in another process, so none of its work is counted here.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import json
import logging
import os
import resource
import signal
import statistics
import sys
import time
from typing import Any

from bot.app import App, open_app
from bot.clock import SystemClock
from bot.handle import handle
from bot.settings import load_settings

STEADY = 3  # steady cycles measured
COMPUTE_RUNS = 7  # runs of each whole-floor answer counted (after one not counted)
COMPUTED = ("teams", "who ready")


def emit(event: str, **figures: Any) -> None:
    print(json.dumps({"event": event, **figures}), flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident set in MB (10^6 bytes; Linux gives ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6, 1)


async def timed_cycle(app: App) -> dict[str, float]:
    """One poll cycle, as the poller runs it: its wall and CPU seconds."""
    assert app.floor is not None
    wall, cpu = time.perf_counter(), time.process_time()
    await app.floor.poller.cycle()
    return {
        "wall_s": round(time.perf_counter() - wall, 4),
        "cpu_s": round(time.process_time() - cpu, 4),
    }


async def compute_ms(app: App, text: str) -> list[float]:
    """CPU ms of answering `text` from the model and rendering it for Slack, per run."""
    await handle(text, app.query)  # not counted: the first read of the directory, imports
    runs = []
    for _ in range(COMPUTE_RUNS):
        cpu = time.process_time()
        app.blocks.render(await handle(text, app.query))
        runs.append(round((time.process_time() - cpu) * 1000, 2))
    return runs


async def measure(app: App) -> None:
    assert app.floor is not None
    caught_up = await timed_cycle(app)
    emit("catch_up", **caught_up, rows=app.floor.model.row_count)
    cycles = []
    for _ in range(STEADY):
        await asyncio.sleep(app.settings.poll_seconds)
        cycles.append(await timed_cycle(app))
    emit("steady", cycles=cycles)
    runs = {text: await compute_ms(app, text) for text in COMPUTED}
    emit("compute", runs=runs, median_ms={t: statistics.median(r) for t, r in runs.items()})
    emit("memory", peak_rss_mb=peak_rss_mb())


async def serve_slack(app: App) -> int:
    """The Slack front door as `python -m bot` runs it, until SIGTERM."""
    from bot.slack.serve import serve

    serving = asyncio.ensure_future(serve(app))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, serving.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serving
    return 0


async def main(serve: bool) -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    if serve:
        from bot.slack.logfilters import install_log_filters

        install_log_filters()
    async with open_app(settings, SystemClock()) as app:
        await measure(app)
        if serve:
            emit("serving")
            profile = os.environ.get("BENCH_PROFILE")  # a file: the serving bot profiled
            profiler = cProfile.Profile() if profile else None
            if profiler is not None:
                profiler.enable()
            await app.run(lambda: serve_slack(app))
            if profiler is not None and profile:
                profiler.disable()
                profiler.dump_stats(profile)
    emit("done", peak_rss_mb=peak_rss_mb())


if __name__ == "__main__":
    asyncio.run(main("--serve" in sys.argv[1:]))
