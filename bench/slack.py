"""Slack front door under load, beside bare Bolt: each in its own process, the same signed
commands from a load process of its own, alternating in the same run.

    make bench     (or: python -m bench.slack [COMMANDS] [IN_FLIGHT] [--rounds N]
                                               [--rate PER_S] [--mix full|help])

Starts the simulated contact center (`bench.vcc_sim`, as VCC is remote in production), the
bot (`python -m bot`, HTTP mode) and its peer `bench.bare_bolt` (Bolt's AsyncApp in aiohttp,
a trivial ack and a trivial lazy `respond()`), with SLACK_API_URL and every response_url aimed
at a loopback recorder in this process. The load comes from `python -m bench.load`, one
process per round. Two phases, each in ROUNDS rounds per target, bot and bare alternating:

    burst      COMMANDS signed /agentstate commands, IN_FLIGHT awaiting their ack: acks per
               second (to the last ack) and how long each waited
    open loop  COMMANDS at a fixed PER_S (300), whatever the acks do, as Slack sends them: how
               long each ack took

Each round waits until every answer is in (or none has come for QUIET_SECONDS) before the
next, so one target's answers never run during the other's round; its "cpu/cmd" is the
target's CPU time over the round, answers included, per command (a figure other work on a
shared machine disturbs less than the rates). Reported: per-round lines
as they finish, then the medians over the rounds and the targets: our burst throughput at
least 1.5x the bare app's, every answer delivered (a "busy, try again" notice is no answer),
ack p99 under 50 ms at 300 commands/s. With the full mix (help, teams, a team, agents) the
figures are also written to bench/results.json under "acks" (other keys are kept); `--mix
help` measures the ack path with the cheapest answer and writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import vcc_sim
from bench.figures import write_sections
from bench.load import response_path
from bot.slack.lazy import BUSY, STOPPING
from tests.support.slack import Recorder

SECRET = "bench-signing-secret"  # noqa: S105  (the bench signs its own requests)
ROOT = Path(__file__).resolve().parents[1]
QUIET_SECONDS = 20.0  # answers still missing after this long without one arriving are lost
BOT, BARE = "agentstate", "bare Bolt"
TARGET_RATIO = 1.5  # our burst throughput over the bare app's
TARGET_P99_MS = 50.0  # ack p99 at the fixed rate
NOTICES = frozenset({BUSY, STOPPING})


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has had so far; 0 where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    """One round against one target: ack times (ms), seconds to the last ack, answers, and
    the target's CPU per command (ms, its answers included): a figure the other work on a
    shared machine disturbs less than the rates."""

    name: str
    acks: list[float]
    elapsed: float
    delivered: int
    sent: int
    refused: int  # acks that were not 200
    cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed

    def row(self) -> str:
        return (
            f"{self.name:<12} {self.rate:8.0f} {_pct(self.acks, 0.5):9.1f}"
            f" {_pct(self.acks, 0.99):9.1f} {max(self.acks):9.1f}"
            f" {self.delivered:>8}/{self.sent:<6} {self.refused:>5} {self.cpu_ms:8.2f}"
        )


def _summary(rounds: list[Round]) -> dict[str, float]:
    """Medians over the rounds of each figure; answers summed."""
    return {
        "acks_per_s": round(statistics.median(r.rate for r in rounds), 1),
        "ack_p50_ms": round(statistics.median(_pct(r.acks, 0.5) for r in rounds), 2),
        "ack_p99_ms": round(statistics.median(_pct(r.acks, 0.99) for r in rounds), 2),
        "ack_max_ms": round(max(max(r.acks) for r in rounds), 2),
        "cpu_ms_per_command": round(statistics.median(r.cpu_ms for r in rounds), 3),
        "delivered": sum(r.delivered for r in rounds),
        "sent": sum(r.sent for r in rounds),
        "not_200": sum(r.refused for r in rounds),
    }


class Answers:
    """The paths that got a real answer (not a notice) at the recorder, read incrementally."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._read = 0
        self.paths: set[str] = set()

    def update(self) -> None:
        requests = self._recorder.requests
        for recorded in requests[self._read :]:
            if recorded.body.get("text") not in NOTICES:
                self.paths.add(recorded.path)
        self._read = len(requests)

    async def delivered(self, paths: set[str]) -> int:
        """How many of `paths` got an answer, waiting while answers keep arriving."""
        count, last_change = -1, time.perf_counter()
        while time.perf_counter() - last_change < QUIET_SECONDS:
            self.update()
            now = len(paths & self.paths)
            if now == len(paths):
                return now
            if now != count:
                count, last_change = now, time.perf_counter()
            await asyncio.sleep(0.1)
        return count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mix(kind: str) -> list[str]:
    if kind == "help":
        return ["help"]
    sample = json.loads((ROOT / "bot" / "data" / "sample_directory.json").read_text("utf-8"))
    names = [a["name"] for t in sample["teams"] for a in t["agents"]]
    return ["help", "teams", f"team {sample['teams'][0]['name']}", *names[:7]]


async def _ready(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never became healthy")


async def _process(
    module: str, *args: str, env: dict[str, str] | None = None, **pipes: Any
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, env=env, cwd=ROOT, **pipes
    )


@dataclass
class Target:
    name: str
    url: str
    pid: int


class Bench:
    """Runs rounds of load against the targets, counting answers at the recorder."""

    def __init__(self, recorder: Recorder, mix: list[str], total: int) -> None:
        self.recorder = recorder
        self.answers = Answers(recorder)
        self.mix = mix
        self.total = total
        self._tags = 0

    async def round(self, target: Target, total: int, **pace: float) -> Round:
        """`total` commands to `target` from a load process (`in_flight` or `rate`); then
        wait for their answers."""
        self._tags += 1
        tag = f"r{self._tags}"
        spec = {
            "url": f"{target.url}/slack/events",
            "secret": SECRET,
            "mix": self.mix,
            "total": total,
            "tag": tag,
            "recorder": self.recorder.base_url,
            **pace,
        }
        cpu = _cpu_seconds(target.pid)
        load = await _process("bench.load", json.dumps(spec), stdout=asyncio.subprocess.PIPE)
        out, _ = await load.communicate()
        result = json.loads(out)
        paths = {response_path(tag, n) for n in range(total)}
        delivered = await self.answers.delivered(paths)
        cpu_ms = (_cpu_seconds(target.pid) - cpu) * 1000 / total
        refused = sum(v for k, v in result["statuses"].items() if k != "200")
        acks, elapsed = result["acks_ms"], result["elapsed"]
        return Round(target.name, acks, elapsed, delivered, total, refused, cpu_ms)

    async def phase(self, targets: list[Target], rounds: int, **pace: float) -> list[Round]:
        """`rounds` rounds per target, alternating; each printed as it ends."""
        done = []
        for n in range(rounds):
            for target in targets if n % 2 == 0 else targets[::-1]:
                done.append(await self.round(target, self.total, **pace))
                print(f"  round {n + 1}: {done[-1].row()}", flush=True)
        return done


async def _vcc(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """Start the simulated VCC; the process, and the settings that aim the bot at it."""
    sim = await _process("bench.vcc_sim", env=env, stdout=asyncio.subprocess.PIPE)
    assert sim.stdout is not None
    urls = json.loads(await sim.stdout.readline())
    return sim, {
        "VCC_BASE_URL": urls["base_url"],
        "VCC_TOKEN_URL": urls["token_url"],
        "VCC_CLIENT_ID": vcc_sim.CLIENT_ID,
        "VCC_CLIENT_SECRET": vcc_sim.CLIENT_SECRET,
        "AGENTSTATE_TIMEZONE": "Europe/London",
    }


HEADER = (
    f"{'':<12} {'acks/s':>8} {'ack p50':>9} {'ack p99':>9} {'ack max':>9} "
    f"{'answered':>15} {'!200':>5} {'cpu/cmd':>8}   (ms)"
)


async def measure(args: argparse.Namespace) -> dict[str, dict[str, list[Round]]]:
    """Start everything, run both phases; the rounds by phase and target."""
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
        bare = await _process("bench.bare_bolt", env=env | {"PORT": str(bare_port)})
        bot = await _process("bot", env=env | vcc | {"PORT": str(bot_port)})
        targets = [
            Target(BOT, f"http://127.0.0.1:{bot_port}", bot.pid),
            Target(BARE, f"http://127.0.0.1:{bare_port}", bare.pid),
        ]
        bench = Bench(recorder, _mix(args.mix), args.commands)
        try:
            for target in targets:
                await _ready(target.url)
                await bench.round(target, 64, in_flight=args.in_flight)  # warm caches, pools
            print(f"burst: {args.commands} commands, {args.in_flight} in flight\n  {HEADER}")
            burst = await bench.phase(targets, args.rounds, in_flight=args.in_flight)
            print(f"open loop: {args.commands} commands at {args.rate:.0f}/s\n  {HEADER}")
            paced = await bench.phase(targets, args.rounds, rate=args.rate)
        finally:
            for process in (bare, bot, sim):
                process.send_signal(signal.SIGTERM)
                await process.wait()
    return {
        phase: {t.name: [r for r in rounds if r.name == t.name] for t in targets}
        for phase, rounds in (("burst", burst), ("open_loop", paced))
    }


def _figure(value: float, peer: float, target: str | None, passed: bool | None) -> dict[str, Any]:
    return {"value": value, "peer": peer, "target": target, "pass": passed}


def figures(rounds: dict[str, dict[str, list[Round]]], args: argparse.Namespace) -> dict[str, Any]:
    """The "acks" section of bench/results.json: each figure with its peer's, its target and
    whether it passed."""
    ours, bare = (_summary(rounds["burst"][name]) for name in (BOT, BARE))
    ours_paced, bare_paced = (_summary(rounds["open_loop"][name]) for name in (BOT, BARE))
    ratio = round(ours["acks_per_s"] / bare["acks_per_s"], 2)
    sent = ours["sent"] + ours_paced["sent"]
    delivered = ours["delivered"] + ours_paced["delivered"]
    peer_delivered = bare["delivered"] + bare_paced["delivered"]
    table = {
        "burst_acks_per_s": _figure(ours["acks_per_s"], bare["acks_per_s"], None, None),
        "burst_throughput_ratio": _figure(
            ratio, 1.0, f">= {TARGET_RATIO}x the peer's", ratio >= TARGET_RATIO
        ),
        "burst_ack_p50_ms": _figure(ours["ack_p50_ms"], bare["ack_p50_ms"], None, None),
        "burst_ack_p99_ms": _figure(ours["ack_p99_ms"], bare["ack_p99_ms"], None, None),
        "burst_cpu_ms_per_command": _figure(
            ours["cpu_ms_per_command"], bare["cpu_ms_per_command"], None, None
        ),
        "answers_delivered": _figure(delivered, peer_delivered, f"all {sent}", delivered == sent),
        "acks_not_200": _figure(
            ours["not_200"] + ours_paced["not_200"],
            bare["not_200"] + bare_paced["not_200"],
            "0",
            ours["not_200"] + ours_paced["not_200"] == 0,
        ),
        "rate_ack_p50_ms": _figure(ours_paced["ack_p50_ms"], bare_paced["ack_p50_ms"], None, None),
        "rate_ack_p99_ms": _figure(
            ours_paced["ack_p99_ms"],
            bare_paced["ack_p99_ms"],
            f"< {TARGET_P99_MS:.0f} ms at {args.rate:.0f}/s",
            ours_paced["ack_p99_ms"] < TARGET_P99_MS,
        ),
    }
    return {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "peer": "bare Bolt AsyncApp on aiohttp (bench/bare_bolt.py)",
        "load": {
            "commands": args.commands,
            "in_flight": args.in_flight,
            "rate_per_s": args.rate,
            "rounds": args.rounds,
            "mix": args.mix,
            "how": "medians over the rounds; ack times from a separate load process",
        },
        "figures": table,
        "pass": all(f["pass"] for f in table.values() if f["pass"] is not None),
    }


def report(section: dict[str, Any]) -> None:
    print("\nmedians over the rounds: ours (peer)")
    for name, figure in section["figures"].items():
        verdict = "" if figure["pass"] is None else ("  PASS" if figure["pass"] else "  FAIL")
        target = f"  target {figure['target']}" if figure["target"] else ""
        print(f"  {name:<24} {figure['value']:>10} ({figure['peer']}){target}{verdict}")
    print(f"all targets met: {section['pass']}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slack")
    parser.add_argument("commands", nargs="?", type=int, default=2000)
    parser.add_argument("in_flight", nargs="?", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--mix", choices=("full", "help"), default="full")
    args = parser.parse_args()
    section = figures(asyncio.run(measure(args)), args)
    report(section)
    if args.mix == "full":
        write_sections({"acks": section})


if __name__ == "__main__":
    main()
