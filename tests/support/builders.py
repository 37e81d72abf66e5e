"""Builders for wire values and floor reads, as VCC would send them (through the real models)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.query.source import FloorRead
from bot.query.summaries import Snapshot
from bot.query.window import day_start
from bot.vcc.models import AgentState, AgentStatus

__all__ = ["CALL", "DAY", "LONDON", "NOW", "read", "row", "snap", "status"]

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)


def row(agent: str, start: str, minutes: float | None, state: str, desc: str = "") -> AgentState:
    """A wire row; `start` is HH:MM on 2026-03-11 UTC (or a full ISO time)."""
    iso = start if "T" in start else f"2026-03-11T{start}:00.000Z"
    duration = None if minutes is None else int(minutes * 60_000)
    return AgentState.model_validate(
        {"agentId": agent, "start": iso, "duration": duration, "state": state, "description": desc}
    )


def status(agent: str, presence: str, since: str, desc: str = "", **extra: Any) -> AgentStatus:
    """An agent-status item; `eligible` and `interaction` may be given in `extra`."""
    return AgentStatus.model_validate(
        {
            "agentId": agent,
            "presence": {
                "since": since,
                "name": presence,
                "description": desc or presence,
                "eligibleForRouting": extra.get("eligible", presence == "Ready"),
            },
            "workload": {"since": since, "calls": 0},
            "interaction": extra.get("interaction", []),
        }
    )


def read(
    rows: Sequence[AgentState], statuses: Sequence[AgentStatus] = (), as_of: datetime = NOW
) -> FloorRead:
    return FloorRead.of(rows, statuses, as_of)


def snap(
    rows: Sequence[AgentState], statuses: Sequence[AgentStatus] = (), now: datetime = NOW
) -> Snapshot:
    """Today's floor in London at `now`, read at `now`."""
    return Snapshot(read(rows, statuses, now), day_start(now, LONDON), now)


# A call the agent connected at 11:20, as /agent-status lists it.
CALL = {
    "guid": "g",
    "channelGuid": None,
    "since": "2026-03-11T11:20:00.000Z",
    "medium": "Phone",
    "mediumManager": "CC",
    "direction": "Inbound",
    "state": "Connected",
    "reason": None,
}

DAY = [
    row("1", "08:00", 60, "Ready", "Ready"),
    row("1", "09:00", 30, "Busy", "Live"),
    row("1", "09:30", 10, "Wrap", "Live"),
    row("1", "09:40", 20, "Away", "Break"),
    row("1", "10:00", 60, "Ready", "Ready"),
    row("1", "11:00", None, "Away", "Break"),
]
