"""Lookups against the bot serving Slack, for bench/floor.py: end to end beside the naive
path, 50 supervisors' minute (VCC economy) and how old the answers' data is (data age).

End to end is a signed `/agentstate` command POSTed to the bot and its answer arriving at a
loopback response_url (tests/support/slack.py's Recorder), one command at a time. The naive
path is today's per-command fetch (`FloorSource` with no poller running reads VCC through
`VccSource`): each whole-floor read is seconds long, so it is run in this process through
`bot.handle.handle` on the same simulator, a few times at most.

Data age: this process builds the simulator's twin (`Floor` is deterministic by seed, agent
and date), so it knows each agent's next state change before it happens. Each supervisor
watches one agent whose state is about to change, asking `/agentstate <name>` every
PROBE_SECONDS from just before the change; the change is shown once the answer's "since"
reaches the new row's start. Its age is when that answer arrived less when the simulator's
row says the change happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.counted_sim import config
from bench.procs import STATES_PATH, STATUS_PATH, BotProcess, Served, Sim
from bot.app import open_app
from bot.clock import SystemClock
from bot.handle import OOPS, UNAVAILABLE, handle
from bot.settings import load_settings
from bot.sim import Floor
from bot.slack.lazy import BUSY, STOPPING
from tests.support.slack import Recorder, Signer, SlackSender

__all__ = ["KINDS", "MINUTE", "ROUNDS", "SUPERVISORS", "WHOLE_FLOOR", "EndToEnd", "median", "pct"]

SECRET = "bench-floor-signing-secret"  # noqa: S105  (the bench signs its own requests)
KINDS = ("agent", "history today", "team", "teams", "who")
WHOLE_FLOOR = ("team", "teams", "who")
ROUNDS = 150  # each round: an agent, a history, and one whole-floor kind in turn
SUPERVISORS = 50
MINUTE = 60.0
PROBE_SECONDS = 0.25  # how often a watching supervisor asks again
WATCH_LIMIT = 30.0  # a change not shown by then is counted as missed
NAIVE_RUNS = 5  # at most, per kind
NAIVE_SECONDS = 10.0  # no more runs of a kind once it has taken this long
# The naive path reads the whole day per command: past the bot's default caps (200 pages,
# 64 MiB, 30 s) at 5,000 agents, where it would answer "too large". Raised so it answers,
# and without VCC's rate limit (1 request/s by default), as the catch-up is measured.
NAIVE_CAPS = {
    "AGENTSTATE_VCC_RATE": "1000",  # no rate limit, as the catch-up is measured
    "AGENTSTATE_VCC_MAX_PAGES": "10000",
    "AGENTSTATE_VCC_MAX_MB": "4096",
    "AGENTSTATE_VCC_DEADLINE": "600",
}
_SINCE = re.compile(r"since <!date\^(\d+)\^")
_FAILED = (OOPS, UNAVAILABLE, BUSY, STOPPING)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def since_of(answer: dict[str, Any]) -> int | None:
    """The epoch second an agent answer says the current state began (its first section)."""
    blocks = answer.get("blocks") or [{}]
    text = blocks[0].get("text", {}).get("text", "")
    found = _SINCE.search(text)
    return int(found.group(1)) if found else None


def answered(answer: dict[str, Any]) -> bool:
    """A real answer: not a notice ("busy", "restarting") nor a failure."""
    text = str(answer.get("text", ""))
    return not any(text.startswith(f) or f in text for f in _FAILED)


@dataclass(frozen=True)
class Change:
    """A state change a supervisor watches for: the agent's name, when (epoch s), its id and
    the state of the row that starts then."""

    name: str
    at: float
    agent_id: str
    state: str

    def seen(self, age: float | None, probes: int, last_ms: float | None) -> dict[str, Any]:
        """The change as reported: its age (None: never shown), the probes, the last one's ms."""
        return {
            "agent": self.agent_id,
            "state": self.state,
            "at": round(self.at, 3),
            "age_s": None if age is None else round(age, 3),
            "probes": probes,
            "last_ms": None if last_ms is None else round(last_ms, 1),
        }


@dataclass
class Minute:
    """The live minute: lookups sent by kind, the simulator's requests, the watched changes."""

    lookups: Counter[str] = field(default_factory=Counter)
    served: list[Served] = field(default_factory=list)
    ages: list[float] = field(default_factory=list)
    watched: list[dict[str, Any]] = field(default_factory=list)  # each change, in detail
    missed: int = 0
    failed: int = 0


@dataclass
class Naive:
    """The naive path for one kind of lookup: ms per run, VCC requests per run."""

    ms: list[float]
    requests: list[int]
    answered: bool


class EndToEnd:
    """Everything measured against the serving bot at one floor size."""

    def __init__(self, recorder: Recorder, spec: dict[str, Any], poll_seconds: float) -> None:
        self.recorder = recorder
        self.poll_seconds = poll_seconds
        self.port = free_port()
        self.floor = Floor(config(spec), SystemClock())  # the simulator's twin
        counts = Counter(a.name for a in self.floor.agents)
        unique = [a for a in self.floor.agents if counts[a.name] == 1]
        self.names = {a.agent_id: a.name for a in unique}
        self.texts = self._texts([a.name for a in unique[:: max(1, len(unique) // 20)][:20]])
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.latency_failed = 0
        self.minute = Minute()
        self.naive: dict[str, Naive] = {}
        self.peak_rss_mb: float | None = None

    def _texts(self, names: list[str]) -> dict[str, list[str]]:
        team = self.floor.teams[0].name
        return {
            "agent": names,
            "history today": [f"{n} history today" for n in names],
            "team": [f"team {team}"],
            "teams": ["teams"],
            "who": ["who ready"],
        }

    def env(self) -> dict[str, str]:
        """What the bot needs to serve Slack here."""
        return {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.recorder.api_url,
            "PORT": str(self.port),
        }

    async def run(self, sim: Sim, bot: BotProcess) -> None:
        """Lookups, the live minute, then (the bot stopped) the naive path."""
        url = f"http://127.0.0.1:{self.port}"
        limits = httpx.Limits(max_connections=2 * SUPERVISORS)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            await _healthy(http, url)
            sender = SlackSender(http, f"{url}/slack/events", Signer(SECRET), self.recorder)
            await self._warm(sender)
            print("  lookups end to end ...", flush=True)
            await self._lookups(sender)
            print(f"  {SUPERVISORS} supervisors for a minute ...", flush=True)
            await self._minute(sim, sender)
        self.peak_rss_mb = (await bot.stop()).get("peak_rss_mb")
        print("  the naive path ...", flush=True)
        await self._naive(sim)

    async def _lookup(
        self, sender: SlackSender, text: str, user: str
    ) -> tuple[float, dict[str, Any]]:
        """One command end to end: ms from sending it to its answer at the response_url."""
        started = time.perf_counter()
        ack, response_url = await sender.command(text, user_id=user)
        if ack.status_code != 200:
            return (time.perf_counter() - started) * 1000, {"text": f"ack {ack.status_code}"}
        answer = (await self.recorder.wait_for(response_url))[0]
        return (time.perf_counter() - started) * 1000, answer

    async def _warm(self, sender: SlackSender) -> None:
        """Until the bot answers (its workspace check done); pools and imports warmed."""
        for _ in range(50):
            _, answer = await self._lookup(sender, "teams", "U0WARM")
            if answered(answer):
                break
            await asyncio.sleep(0.2)
        for kind in KINDS:
            await self._lookup(sender, self.texts[kind][0], "U0WARM")

    async def _lookups(self, sender: SlackSender) -> None:
        for n in range(ROUNDS):
            for kind in ("agent", "history today", WHOLE_FLOOR[n % len(WHOLE_FLOOR)]):
                texts = self.texts[kind]
                ms, answer = await self._lookup(sender, texts[n % len(texts)], "U0SUPER")
                if answered(answer):
                    self.latency[kind].append(ms)
                else:
                    self.latency_failed += 1

    def _changes(self, lo: float, hi: float, count: int) -> list[Change]:
        """`count` agents (named uniquely) whose state changes in [lo, hi) (epoch s), spread
        over it: each one's first change there, from the simulator's twin."""
        start, end = (datetime.fromtimestamp(t, UTC) for t in (lo, hi))
        rows = self.floor.select(start, end, include="Started", now=end).wire()
        first: dict[str, Change] = {}
        for row in rows:
            agent = row["agentId"]
            if agent in self.names and agent not in first:
                at = datetime.fromisoformat(row["start"]).timestamp()
                first[agent] = Change(self.names[agent], at, agent, row["state"])
        ordered = sorted(first.values(), key=lambda c: c.at)
        step = len(ordered) / count
        return [ordered[int(i * step)] for i in range(min(count, len(ordered)))]

    async def _minute(self, sim: Sim, sender: SlackSender) -> None:
        first = await sim.count()
        began = time.time()
        changes = self._changes(began + 3, began + MINUTE - WATCH_LIMIT / 2, SUPERVISORS)
        chance = random.Random(7)
        tasks = []
        for k, change in enumerate(changes):
            user = f"U0SUP{k:03d}"
            tasks.append(self._watch(sender, user, change))
            for kind in ("history today", "team", "teams", "who"):
                text = chance.choice(self.texts[kind])
                tasks.append(self._later(sender, user, kind, text, began + chance.random() * 55))
        await asyncio.gather(*tasks)
        await asyncio.sleep(max(0.0, began + MINUTE - time.time()))
        self.minute.served = await sim.requests(first)

    async def _later(self, sender: SlackSender, user: str, kind: str, text: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        _, answer = await self._lookup(sender, text, user)
        self.minute.lookups[kind] += 1
        self.minute.failed += not answered(answer)

    async def _watch(self, sender: SlackSender, user: str, change: Change) -> None:
        """Ask about the agent from just before the change until the answer shows it."""
        name, at = change.name, change.at
        await asyncio.sleep(max(0.0, at - 2 * PROBE_SECONDS - time.time()))
        probes = 0
        while time.time() < at + WATCH_LIMIT:
            asked = time.monotonic()
            ms, answer = await self._lookup(sender, name, user)
            self.minute.lookups["agent"] += 1
            probes += 1
            since = since_of(answer)
            if since is not None and since >= int(at):
                age = time.time() - at
                self.minute.ages.append(age)
                self.minute.watched.append(change.seen(age, probes, ms))
                return
            await asyncio.sleep(max(0.0, PROBE_SECONDS - (time.monotonic() - asked)))
        self.minute.missed += 1
        self.minute.watched.append(change.seen(None, probes, None))

    async def _naive(self, sim: Sim) -> None:
        settings = load_settings({**sim.env(), **NAIVE_CAPS, "AGENTSTATE_TIMEZONE": self.zone})
        async with open_app(settings, SystemClock()) as app:
            await app.query.directory()
            for kind in KINDS:
                run = self.naive[kind] = Naive([], [], True)
                began = time.perf_counter()
                while len(run.ms) < NAIVE_RUNS and (
                    not run.ms or time.perf_counter() - began < NAIVE_SECONDS
                ):
                    text = self.texts[kind][len(run.ms) % len(self.texts[kind])]
                    before = await sim.count()
                    started = time.perf_counter()
                    reply = await handle(text, app.query)
                    blocks, fallback = app.blocks.render(reply)
                    run.ms.append((time.perf_counter() - started) * 1000)
                    run.requests.append(await sim.count() - before)
                    run.answered &= answered({"text": fallback, "blocks": blocks})

    @property
    def agents(self) -> int:
        return self.floor.config.agents

    @property
    def zone(self) -> str:
        return self.floor.config.timezone

    def poller_requests(self) -> list[Served]:
        """The minute's requests the poller makes: agent-status, and rows read from its
        cursor (include=Processed); anything else was asked for by a lookup."""
        return [
            r
            for r in self.minute.served
            if r.path == STATUS_PATH or (r.path == STATES_PATH and r.include == "Processed")
        ]


async def _healthy(http: httpx.AsyncClient, url: str) -> None:
    for _ in range(300):
        with_answer = False
        with contextlib.suppress(httpx.TransportError):
            with_answer = (await http.get(f"{url}/healthz")).status_code == 200
        if with_answer:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
