"""The floor model's figures: lookups end to end beside the naive path, VCC economy, scale
and data age, each size on a simulated VCC in a process of its own.

    python -m bench.floor           (make bench runs it first, then bench.slack)

For each size (500, 2,000, 5,000, 20,000 agents): a fresh simulator (bench.counted_sim) and a
fresh bot process (bench.floor_bot, built as `python -m bot` builds it), so each size's peak
RSS is its own and only the bot's CPU is counted. The bot catches up on today (no rate limit)
and measures steady cycles, `teams` and `who ready`. At 5,000 it then serves Slack for the
lookups, the supervisors' minute and the data age (bench/lookups.py), and the naive path runs
last on the same simulator.

The floor is live (the wall clock everywhere), in a zone where it is now 17:xx, so "today"
holds a full day of states (about 21 hours since the model's origin, 4 h before midnight).
Written to bench/results.json under "lookups", "vcc_economy", "data_age" and "scale".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bench.figures import Figure, figure, section, write_sections
from bench.floor_bot import COMPUTE_RUNS, STEADY
from bench.lookups import (
    KINDS,
    MINUTE,
    ROUNDS,
    SUPERVISORS,
    WHOLE_FLOOR,
    EndToEnd,
    median,
    pct,
)
from bench.procs import STATES_PATH, BotProcess, Sim
from tests.support.slack import Recorder

__all__ = ["SIZES", "floor_zone", "run"]

SIZES = (500, 2_000, 5_000, 20_000)
E2E_SIZE = 5_000
POLL_SECONDS = 5.0  # the shortest the bot allows: the data-age target is this + 2 s
LOCAL_HOUR = 17
LINEAR_SLACK = 1.15  # "linear or better": a figure may grow up to 15% past the agents' ratio
SECTIONS = ("lookups", "vcc_economy", "data_age", "scale")

# The bot as measured: no rate limit (the simulator has none), and reads allowed past the
# default page cap, which the busiest hour at 20,000 agents nears (the table shows the most).
BOT_ENV = {
    "AGENTSTATE_POLL_SECONDS": f"{POLL_SECONDS:g}",
    "AGENTSTATE_VCC_RATE": "1000",
    "AGENTSTATE_VCC_MAX_PAGES": "1000",
    "AGENTSTATE_VCC_DEADLINE": "120",
    "AGENTSTATE_LOG_LEVEL": "WARNING",
}


def floor_zone(now: datetime) -> str:
    """A zone where it is LOCAL_HOUR now: `Etc/GMT-7` is UTC+7 (POSIX signs)."""
    offset = LOCAL_HOUR - now.hour
    if offset > 14:
        offset -= 24
    elif offset < -12:
        offset += 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@dataclass
class SizeRun:
    """One size's figures, as its bot process and simulator reported them."""

    agents: int
    catch_up_s: float
    catch_up_cpu_s: float
    rows: int
    pages: int
    most_pages: int  # the most pages one read took
    cycle_cpu_ms: float
    cycle_wall_ms: float
    teams_ms: float
    who_ms: float
    peak_rss_mb: float

    def line(self) -> str:
        return (
            f"  {self.agents:>6,} agents: catch-up {self.catch_up_s:5.1f} s"
            f" ({self.rows:,} rows, {self.pages} pages, at most {self.most_pages} a read)"
            f" · cycle {self.cycle_cpu_ms:.0f} ms CPU · teams {self.teams_ms:.0f} ms"
            f" · who {self.who_ms:.0f} ms · peak RSS {self.peak_rss_mb:.0f} MB"
        )


Then = Callable[[Sim, BotProcess], Awaitable[None]]


async def run_size(
    agents: int, zone: str, *, env: dict[str, str] | None = None, then: Then | None = None
) -> SizeRun:
    """Measure one size in fresh processes; with `then`, hand the serving bot to it."""
    sim = await Sim.start({"agents": agents, "timezone": zone})
    try:
        bot_env = {**sim.env(), **BOT_ENV, "AGENTSTATE_TIMEZONE": zone, **(env or {})}
        bot = await BotProcess.start(bot_env, serve=then is not None)
        try:
            caught = await bot.event("catch_up")
            reads = [r for r in await sim.requests() if r.path == STATES_PATH]
            steady = (await bot.event("steady"))["cycles"]
            compute = (await bot.event("compute"))["median_ms"]
            memory = await bot.event("memory")
            if then is not None:
                await bot.event("serving")
                await then(sim, bot)
        finally:
            await bot.stop()
    finally:
        await sim.stop()
    return SizeRun(
        agents=agents,
        catch_up_s=caught["wall_s"],
        catch_up_cpu_s=caught["cpu_s"],
        rows=caught["rows"],
        pages=len(reads),
        most_pages=max(int(r.page or 1) for r in reads),
        cycle_cpu_ms=statistics.median(c["cpu_s"] for c in steady) * 1000,
        cycle_wall_ms=statistics.median(c["wall_s"] for c in steady) * 1000,
        teams_ms=compute["teams"],
        who_ms=compute["who ready"],
        peak_rss_mb=memory["peak_rss_mb"],
    )


# -- sections --------------------------------------------------------------------------------


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def lookups_section(e2e: EndToEnd) -> dict[str, Any]:
    figures: dict[str, Figure] = {}
    for kind in KINDS:
        ours, naive = e2e.latency[kind], e2e.naive[kind]
        p50, p99 = (pct(ours, q) if ours else None for q in (0.5, 0.99))
        slow = median(naive.ms)
        figures[f"{kind}_p50"] = figure(
            f"{kind}: p50",
            _ms(p50),
            peer=_ms(slow),
            peer_is="naive median",
            target="< 50 ms",
            passed=p50 is not None and p50 < 50,
            unit=" ms",
        )
        figures[f"{kind}_p99"] = figure(
            f"{kind}: p99",
            _ms(p99),
            peer=_ms(max(naive.ms)),
            peer_is="naive slowest",
            target="< 150 ms",
            passed=p99 is not None and p99 < 150,
            unit=" ms",
        )
        ratio = None if not (slow and p50) else round(slow / p50, 1)
        whole = kind in WHOLE_FLOOR
        figures[f"{kind}_speedup"] = figure(
            f"{kind}: naive / ours (p50)",
            ratio,
            peer=f"{len(naive.ms)} naive, {len(ours)} ours",
            target=">= 100x" if whole else None,
            passed=(ratio is not None and ratio >= 100) if whole else None,
            unit="x",
        )
    figures["failed"] = figure(
        "lookups that failed", e2e.latency_failed, target="0", passed=e2e.latency_failed == 0
    )
    rss = e2e.peak_rss_mb
    figures["peak_rss"] = figure(
        f"bot peak RSS after all of it @{e2e.agents:,}",
        rss,
        target="< 250 MB",
        passed=rss is not None and rss < 250,
        unit=" MB",
    )
    naive_ok = all(n.answered for n in e2e.naive.values())
    figures["naive_answered"] = figure(
        "naive path answered (caps raised)", naive_ok, target="yes", passed=naive_ok
    )
    about = (
        f"{e2e.agents:,} agents, a full day; ours: signed command in, answer at a loopback "
        f"response_url, one at a time, {ROUNDS} rounds (agent and history each round, the "
        f"whole-floor kinds in turn), poller running every {POLL_SECONDS:g} s; naive: "
        "per-command fetch through VccSource, in-process via bot.handle.handle (answer "
        "rendered), each whole-floor read too slow to repeat much"
    )
    return section(about, figures)


def economy_section(e2e: EndToEnd) -> dict[str, Any]:
    minute = e2e.minute
    served = len(minute.served)
    poller = len(e2e.poller_requests())
    beyond = served - poller
    lookups = sum(minute.lookups.values())
    naive_cost = sum(
        n * statistics.median(e2e.naive[kind].requests) for kind, n in minute.lookups.items()
    )
    cycles = sum(1 for r in e2e.poller_requests() if r.path != STATES_PATH and r.page == "1")
    figures = {
        "beyond_poller": figure(
            "VCC requests beyond the poller's",
            beyond,
            peer=round(naive_cost),
            peer_is="naive, same lookups",
            target="0",
            passed=beyond == 0,
        ),
        "lookups": figure(f"lookups by {SUPERVISORS} supervisors in a minute", lookups),
        "poller": figure("the poller's requests in that minute", poller, peer=f"{cycles} cycles"),
        "failed": figure(
            "lookups that failed", minute.failed, target="0", passed=minute.failed == 0
        ),
    }
    about = (
        f"{e2e.agents:,} agents; requests counted at the simulator for the minute; the poller's "
        "are agent-status and agent-states include=Processed; the naive figure is each "
        "lookup kind's median requests on the naive path times the minute's lookups"
    )
    return section(about, figures, lookups_by_kind=dict(minute.lookups))


def age_section(e2e: EndToEnd) -> dict[str, Any]:
    ages, minute = e2e.minute.ages, e2e.minute
    target = POLL_SECONDS + 2
    p99 = round(pct(ages, 0.99), 2) if ages else None
    cycles = sum(1 for r in e2e.poller_requests() if r.path != STATES_PATH and r.page == "1")
    figures = {
        "p99_s": figure(
            "data age p99",
            p99,
            peer=POLL_SECONDS,
            peer_is="poll interval",
            target=f"<= {target:g} s",
            passed=p99 is not None and p99 <= target and minute.missed == 0,
            unit=" s",
        ),
        "p50_s": figure("data age p50", round(pct(ages, 0.5), 2) if ages else None, unit=" s"),
        "max_s": figure("data age max", round(max(ages), 2) if ages else None, unit=" s"),
        "period_s": figure(
            "poll period in that minute (mean)",
            round(MINUTE / cycles, 2) if cycles else None,
            peer=POLL_SECONDS,
            peer_is="AGENTSTATE_POLL_SECONDS",
            unit=" s",
        ),
        "seen": figure(
            "changes shown / watched",
            len(ages),
            peer=len(ages) + minute.missed,
            peer_is="watched",
            target="all",
            passed=minute.missed == 0,
        ),
    }
    about = (
        f"{e2e.agents:,} agents, poll every {POLL_SECONDS:g} s, wall clock; one agent per "
        "supervisor, its change time from the simulator's rows; asked every 0.25 s from "
        "just before it; age = answer showing it (since >= the row's start) less the change"
    )
    return section(about, figures, watched=minute.watched)


_SCALE = (
    # (key, label, unit, attribute, target at E2E_SIZE, limit)
    ("catch_up_s", "full-day catch-up", " s", "catch_up_s", None, None),
    ("catch_up_cpu_s", "catch-up, bot CPU", " s", "catch_up_cpu_s", None, None),
    ("pages", "catch-up pages", "", "pages", None, None),
    ("cycle_cpu_ms", "steady cycle CPU", " ms", "cycle_cpu_ms", "< 100 ms", 100.0),
    ("teams_ms", "`teams` compute", " ms", "teams_ms", "< 100 ms", 100.0),
    ("who_ms", "`who ready` compute", " ms", "who_ms", "< 100 ms", 100.0),
    ("peak_rss_mb", "peak RSS", " MB", "peak_rss_mb", "< 250 MB", 250.0),
)


def scale_section(runs: list[SizeRun]) -> dict[str, Any]:
    """Each figure at each size beside the previous size's (their ratio); the targets at
    E2E_SIZE; and per figure one verdict on its growth from the first size to the last: a
    single step between small figures (a few ms) is within the machine's noise."""
    figures: dict[str, Figure] = {}
    first, last = runs[0], runs[-1]
    for key, label, unit, attribute, target, limit in _SCALE:
        previous: SizeRun | None = None
        for run in runs:
            value = getattr(run, attribute)
            peer = peer_is = None
            if previous is not None:
                before = getattr(previous, attribute)
                agents = run.agents / previous.agents
                peer = round(before, 1)
                peer_is = f"@{previous.agents:,}: x{value / before:.2f} for x{agents:g} agents"
            at_target = run.agents == E2E_SIZE and limit is not None
            figures[f"{key}@{run.agents}"] = figure(
                f"{label} @{run.agents:,}",
                round(value, 1),
                peer=peer,
                peer_is=peer_is,
                target=target if at_target else None,
                passed=value < limit if at_target and limit is not None else None,
                unit=unit,
            )
            previous = run
        if len(runs) > 1:
            grew = getattr(last, attribute) / getattr(first, attribute)
            agents = last.agents / first.agents
            figures[f"{key}_growth"] = figure(
                f"{label}, @{first.agents:,}→@{last.agents:,}",
                round(grew, 1),
                peer=f"x{agents:g}",
                peer_is="agents",
                target=f"linear or better (<= x{agents * LINEAR_SLACK:.0f})",
                passed=grew <= agents * LINEAR_SLACK,
                unit="x",
            )
    about = (
        "each size: a fresh simulator and a fresh bot process (bench.floor_bot); catch-up is "
        "the first cycle, today from the model's origin, no rate limit; steady cycle: median "
        f"of {STEADY}, {POLL_SECONDS:g} s apart, the bot's CPU (all its threads); compute: "
        f"`teams` and `who ready` answered and rendered in the bot's process, median CPU of "
        f"{COMPUTE_RUNS}; peak RSS after all that; linear = at most {LINEAR_SLACK:g}x the "
        "agents' ratio, judged from the first size to the last"
    )
    extra = {"sizes": [vars(r) for r in runs]}
    return section(about, figures, **extra)


# -- the run ---------------------------------------------------------------------------------


async def run(sizes: tuple[int, ...] = SIZES, e2e_size: int = E2E_SIZE) -> dict[str, Any]:
    """Measure every size (lookups at `e2e_size`); write and return the sections."""
    now = datetime.now(UTC)
    zone = floor_zone(now)
    local = now.astimezone(ZoneInfo(zone))
    print(f"floor: {zone}, local {local:%a %H:%M}, poll every {POLL_SECONDS:g} s", flush=True)
    runs: list[SizeRun] = []
    e2e: EndToEnd | None = None
    for agents in sizes:
        print(f"{agents:,} agents ...", flush=True)
        if agents == e2e_size:
            async with Recorder(wait_seconds=60) as recorder:
                spec = {"agents": agents, "timezone": zone}
                e2e = EndToEnd(recorder, spec, POLL_SECONDS)
                runs.append(await run_size(agents, zone, env=e2e.env(), then=e2e.run))
        else:
            runs.append(await run_size(agents, zone))
        print(runs[-1].line(), flush=True)
    assert e2e is not None
    sections = {
        "lookups": lookups_section(e2e),
        "vcc_economy": economy_section(e2e),
        "data_age": age_section(e2e),
        "scale": scale_section(runs),
    }
    write_sections(sections)
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="agents, in order")
    parser.add_argument("--e2e", type=int, default=E2E_SIZE, help="the size served to Slack")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split(","))
    if args.e2e not in sizes:
        parser.error("--e2e must be one of --sizes")
    asyncio.run(run(sizes, args.e2e))


if __name__ == "__main__":
    main()
