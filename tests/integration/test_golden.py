"""The answers, byte for byte, as the bot gave them before the house was reshaped.

`tests/golden/answers.json.gz` holds the console text and the Slack blocks (own and shared)
that the code before the reshaping (commit 28148d4) gave for a corpus of commands on the
simulated floor, at three clocks in three zones (a Wednesday morning in London, the spring-
forward night in London, a Friday evening in New York). The same commands through today's
code must give the same bytes. A deliberate change of an answer regenerates the file (see
`regenerate` below) in the commit that makes it, so the diff shows what supervisors will see.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.handle import handle
from tests.support.app import simulated_app

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "answers.json.gz"

CONFIGS = [  # (zone, clock, the full corpus or the short one)
    ("Europe/London", datetime(2026, 3, 11, 11, 30, tzinfo=UTC), True),
    ("Europe/London", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), False),
    ("America/New_York", datetime(2026, 3, 13, 22, 15, tzinfo=UTC), False),
]


def corpus(agents: Sequence[Any], teams: Sequence[str], full: bool) -> list[str]:
    """What supervisors type, good and bad, about this floor's agents and teams."""
    a0, a1, a5 = agents[0], agents[1], agents[5]
    first = a0.name.split()[0]
    short = [
        "help", "teams", f"team {teams[0]}", "who away", "who ready", a0.name, a5.id,
        f"{a0.name} history", f"{a1.id} history today", f"{a1.id} history yesterday",
        f"{a5.name} history 2h", f"{a5.id} history 2026-03-10", first,
        a0.name[:-1] + "x history yesterday", f"team {teams[0][:2]}", "team zzqq",
    ]  # fmt: skip
    if not full:
        return short
    out = [
        *short,
        "", "?", "TEAMS", "team", "who", "who nobody", "xyz history 9z", "history", "x" * 250,
        "  teams  ", "<!channel> & <@U1>", "team <b>&amp;</b>", "who away <!here>",
        f"{a0.name} history 30d", f"{a0.name} history 2030-01-01", f"{a0.name} history 2026-02-30",
        f"{a0.name} history 0h", f"{a0.name} history soon", "99999", "Zzyzx Qwerty",
        f"{first} history today", f"{first} history 2h", a0.name[:-1] + "x",
    ]  # fmt: skip
    for t in teams[1:]:
        out += [f"team {t.lower()}", f"who away {t}", f"who ready {t}"]
    for w in ["busy", "wrap", "break", "extended away", "logged out", "offline", "unexpected",
              "failed", "ready (outbound)"]:  # fmt: skip
        out.append(f"who {w}")
    for a in (a0, a1):
        out += [a.id, a.name.upper(), f"{a.name} history 90m", f"{a.name} history 3d",
                f"{a.id} history 2026-03-09"]  # fmt: skip
    return out


async def answers(*, from_model: bool = False) -> list[dict[str, Any]]:
    """Every command of the corpus answered now, in the shape of the golden file: read from
    VCC per command, or `from_model` from the live floor model after one poll."""
    results = []
    for zone, at, full in CONFIGS:
        # The answers were captured on the day-shift floor; it stays row for row the same.
        env = {"AGENTSTATE_TIMEZONE": zone, "AGENTSTATE_SIM_SHIFTS": "day"}
        async with simulated_app(FrozenClock(at), **env) as app:
            if from_model:
                assert app.floor is not None
                await app.floor.poller.cycle()
            directory = await app.query.directory()
            for text in corpus(directory.agents, [t.name for t in directory.teams], full):
                reply = await handle(text, app.query)
                blocks, fallback = app.blocks.render(reply)
                shared, shared_fallback = app.blocks.render(reply, shared_by="U0SUPER")
                results.append(
                    {
                        "zone": zone,
                        "clock": at.isoformat(),
                        "text": text,
                        "console": app.text.render(reply),
                        "blocks": blocks,
                        "fallback": fallback,
                        "shared": shared,
                        "shared_fallback": shared_fallback,
                    }
                )
    return results


async def regenerate() -> None:  # pragma: no cover - run by hand after a deliberate change
    """`python -c "import asyncio, tests.integration.test_golden as g;
    asyncio.run(g.regenerate())"` rewrites the golden file from today's answers."""
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as f:
        json.dump(await answers(), f, indent=1, ensure_ascii=False, sort_keys=True)


@pytest.fixture(scope="module")
def golden() -> list[dict[str, Any]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as f:
        data: list[dict[str, Any]] = json.load(f)
    return data


class TestGolden:
    async def test_every_answer_is_byte_for_byte_the_same(
        self, golden: list[dict[str, Any]]
    ) -> None:
        """The console text, the blocks and the fallback text, own and shared, for every
        command of the corpus at every clock, are exactly what the bot said before."""
        now = await answers()
        assert [(r["zone"], r["clock"], r["text"]) for r in now] == [
            (r["zone"], r["clock"], r["text"]) for r in golden
        ]
        for new, old in zip(now, golden, strict=True):
            where = f"{new['zone']} {new['clock']} {new['text']!r}"
            for key in ("console", "fallback", "shared_fallback", "blocks", "shared"):
                assert new[key] == old[key], f"{key} changed for {where}"
        assert len(now) > 90

    async def test_the_live_floor_model_gives_the_same_bytes(
        self, golden: list[dict[str, Any]]
    ) -> None:
        """Answered from the floor model (one poll at the clock, no VCC read per command),
        every answer is still byte for byte the golden one."""
        now = await answers(from_model=True)
        assert len(now) == len(golden)
        for new, old in zip(now, golden, strict=True):
            where = f"{new['zone']} {new['clock']} {new['text']!r}"
            for key in ("console", "fallback", "shared_fallback", "blocks", "shared"):
                assert new[key] == old[key], f"{key} changed for {where}"
