"""The simulated contact center: a deterministic floor and a loopback server speaking VCC.

codes      how a row is stored: integer-millisecond times, packed state codes
roster     agents and teams: ids, names, emails, team names
shifts     who works when: day, evening and night shifts (or days only), each agent's habits
day        each agent's days, drawn deterministically: shift plans, rows
wire       the VCC JSON written out: rows, status items, users, groups, envelopes
floor      Floor (roster + days + wire, answering as VCC would) and FloorConfig
response   the server's answers: status, JSON body, headers
auth       the token endpoint and the bearer check
endpoints  what each Stats and User Admin endpoint answers; parameter checks
faults     scripted failures, hangs and malformed bodies
server     SimServer: the HTTP plumbing on loopback, recording every request
"""

from bot.sim.floor import Floor, FloorConfig
from bot.sim.roster import SimAgent, SimTeam
from bot.sim.server import RecordedRequest, SimServer
from bot.sim.wire import StateSelection

__all__ = [
    "Floor",
    "FloorConfig",
    "RecordedRequest",
    "SimAgent",
    "SimServer",
    "SimTeam",
    "StateSelection",
]
