"""`make bench`: every benchmark figure in one run, then one table of them all.

    make bench          (python -m bench; about 10 minutes on 2 cores)

1. the machine: CPU model, cores, Python, the load average when it started
2. bench.floor: lookups end to end beside the naive path, VCC economy, data age, and scale at
   500 to 20,000 agents (bench/floor.py)
3. bench.slack: Slack acks under load beside a bare Bolt app (bench/slack.py), in a process
   of its own
4. one table: each figure beside its peer from the same run, its target and PASS/FAIL, read
   back from bench/results.json (where each part wrote its own keys)
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import floor
from bench.figures import RESULTS, print_table, write_sections

ORDER = ["lookups", "vcc_economy", "data_age", "scale", "acks"]


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
    }


def main() -> None:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    box = machine()
    print(
        f"machine: {box['cpu']}, {box['cores']} cores, Python {box['python']}, "
        f"{box['system']}; load average {box['load_average_at_start']}",
        flush=True,
    )
    write_sections({"machine": {"measured": started.isoformat(timespec="seconds"), **box}})
    asyncio.run(floor.run())
    print("\nSlack acks (bench.slack) ...", flush=True)
    acks = subprocess.run([sys.executable, "-m", "bench.slack"], check=False)
    results = json.loads(RESULTS.read_text("utf-8"))
    fresh = datetime.fromisoformat(results.get("acks", {}).get("measured", "1970-01-01T00:00Z"))
    if acks.returncode != 0 or fresh < started:
        print(f"bench.slack failed (exit {acks.returncode}): its figures are left out")
        results.pop("acks", None)
    minutes = (time.perf_counter() - clock) / 60
    print(
        f"\nAll figures ({box['cpu']}, {box['cores']} cores, Python {box['python']}; "
        f"{minutes:.1f} min):"
    )
    print_table(results, ORDER)
    verdicts = [
        f["pass"]
        for name in ORDER
        for f in results.get(name, {}).get("figures", {}).values()
        if f.get("pass") is not None
    ]
    print(f"targets met: {sum(verdicts)} of {len(verdicts)}")


if __name__ == "__main__":
    main()
