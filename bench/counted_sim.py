"""The simulated contact center in a process of its own, sized and zoned by the bench, and
asked over stdin what it has served: the count of VCC requests is taken at the simulator, as
VCC would see them, whichever process made them.

    python -m bench.counted_sim '{"agents": 5000, "timezone": "Etc/GMT-6"}'

prints {"base_url": ..., "token_url": ...} and then answers one line per line read on stdin:

    count           how many requests it has answered so far
    requests N      the requests answered since the N-th (0: all), one JSON line:
                    [[method, path, include or "", page or "", status], ...]
    (end of input)  stop

`bench.vcc_sim` serves the default floor for bench/slack.py; this one serves any size.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.vcc_sim import CLIENT_ID, CLIENT_SECRET
from bot.clock import SystemClock
from bot.sim import Floor, FloorConfig, RecordedRequest, SimServer
from bot.sim.floor import teams_for

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "config", "row"]


def config(spec: dict[str, Any]) -> FloorConfig:
    """The floor a spec describes (the bench builds the same one to know its rows)."""
    return FloorConfig(
        seed=int(spec.get("seed", 7)),
        agents=int(spec["agents"]),
        # As the bot's own simulator sizes them: teams of about 40 on a big floor.
        teams=int(spec.get("teams", teams_for(int(spec["agents"])))),
        timezone=str(spec["timezone"]),
    )


def row(request: RecordedRequest) -> list[str | int]:
    """One served request, as the bench reads it."""
    query = request.query
    return [
        request.method,
        request.path,
        query.get("include", ""),
        query.get("page", ""),
        request.status,
    ]


def main() -> None:
    floor = Floor(config(json.loads(sys.argv[1])), SystemClock())
    with SimServer(floor, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as sim:
        print(json.dumps({"base_url": sim.base_url, "token_url": sim.token_url}), flush=True)
        for line in sys.stdin:
            verb, _, arg = line.strip().partition(" ")
            if verb == "count":
                print(len(sim.requests), flush=True)
            elif verb == "requests":
                served = sim.requests[int(arg or 0) :]
                print(json.dumps([row(r) for r in served]), flush=True)


if __name__ == "__main__":
    main()
