"""How the simulated floor stores a row: times and state codes as small ints.

Times are integer milliseconds since the epoch. A row's state, description and direction are
packed into one small int, `state | desc << 4 | outbound << 8`, so arrays of them keep
10,000 agents' days small; the tables here name each part as the VCC wire does. The UUID
namespace every simulated id is drawn under lives here too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = [
    "AWAY",
    "BUSY",
    "C_BREAK",
    "C_FAILED",
    "C_LUNCH",
    "C_MEETING",
    "C_OUT",
    "C_READY",
    "C_RFO",
    "C_TRAINING",
    "C_UNEXPECTED",
    "DESCRIPTIONS",
    "D_LIVE",
    "D_NON",
    "D_SEMI",
    "EPOCH",
    "FAILED",
    "HOUR",
    "INTERACTION_STATE",
    "MEDIUM",
    "MINUTE",
    "NAMESPACE",
    "OUTBOUND",
    "PRESENCE",
    "READY",
    "RFO",
    "SECOND",
    "STATES",
    "UNEXPECTED",
    "WRAP",
    "XAWAY",
    "code",
    "to_ms",
]

STATES: Final = (
    "Ready",
    "ReadyRFO",
    "Away",
    "ExtendedAway",
    "LoggedOut",
    "Busy",
    "Wrap",
    "Unexpected",
    "Failed",
)
READY, RFO, AWAY, XAWAY, OUT, BUSY, WRAP, UNEXPECTED, FAILED = range(9)
DESCRIPTIONS: Final = (
    "Ready",
    "Ready (Outbound)",
    "Break",
    "Lunch",
    "Meeting",
    "Training",
    "Logged Out",
    "Live",
    "Semi-Live",
    "Non-Live",
)
D_READY, D_RFO, D_BREAK, D_LUNCH, D_MEETING, D_TRAINING, D_OUT = range(7)
D_LIVE, D_SEMI, D_NON = 7, 8, 9
OUTBOUND: Final = 1 << 8


def code(state: int, desc: int) -> int:
    """A state and a description packed into one row code."""
    return state | desc << 4


C_READY: Final = code(READY, D_READY)
C_RFO: Final = code(RFO, D_RFO)
C_BREAK: Final = code(AWAY, D_BREAK)
C_LUNCH: Final = code(XAWAY, D_LUNCH)
C_MEETING: Final = code(XAWAY, D_MEETING)
C_TRAINING: Final = code(XAWAY, D_TRAINING)
C_OUT: Final = code(OUT, D_OUT)
C_UNEXPECTED: Final = code(UNEXPECTED, D_LIVE)
C_FAILED: Final = code(FAILED, D_LIVE)

# presence state -> (agent-status presence.name, eligibleForRouting)
PRESENCE: Final = {
    READY: ("Ready", True),
    RFO: ("Ready", False),
    AWAY: ("Away", False),
    XAWAY: ("ExtendedAway", False),
    OUT: ("LoggedOut", False),
}
MEDIUM: Final = {D_LIVE: "Phone", D_SEMI: "Chat", D_NON: "Email"}
INTERACTION_STATE: Final = {
    BUSY: "Connected",
    WRAP: "Wrap",
    UNEXPECTED: "Unexpected",
    FAILED: "Failed",
}

SECOND: Final = 1000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_DNS, "sim.agentstate.invalid")


def to_ms(at: datetime) -> int:
    """`at` as milliseconds since the epoch; naive datetimes are refused."""
    if at.tzinfo is None:
        raise ValueError("the floor needs timezone-aware datetimes")
    return (at - EPOCH) // timedelta(milliseconds=1)
