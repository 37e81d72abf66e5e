"""The simulated contact center in a process of its own, for bench/slack.py: in production VCC
is remote, so the bot's process should not also spend its CPU (and its GIL) being VCC.

    python -m bench.vcc_sim        prints {"base_url": ..., "token_url": ...}, serves until
                                   SIGTERM
"""

from __future__ import annotations

import json
import signal
import threading

from bot.clock import SystemClock
from bot.sim import Floor, FloorConfig, SimServer

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"  # noqa: S105 - the simulator's own, fixed by the bench


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    floor = Floor(FloorConfig(), SystemClock())
    with SimServer(floor, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as sim:
        print(json.dumps({"base_url": sim.base_url, "token_url": sim.token_url}), flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
