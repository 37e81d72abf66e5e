"""The simulated contact center: a deterministic floor and a loopback server speaking VCC."""

from bot.sim.floor import Floor, FloorConfig, SimAgent, SimTeam, StateSelection
from bot.sim.server import RecordedRequest, SimServer

__all__ = [
    "Floor",
    "FloorConfig",
    "RecordedRequest",
    "SimAgent",
    "SimServer",
    "SimTeam",
    "StateSelection",
]
