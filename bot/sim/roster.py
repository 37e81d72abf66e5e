"""Who is on the simulated floor: agents with ids, names and emails, in named teams.

Everything is drawn from the seed: agents "1001", "1002", ... split evenly over the teams,
names distinct ignoring case and accents (featured ones, chosen to exercise search, among the
first), an email from each name, and stable UUIDs for users and groups.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any, Final

from bot.directory import normalize
from bot.sim.codes import NAMESPACE

__all__ = ["Roster", "SimAgent", "SimTeam"]

_TEAM_NAMES: Final = (
    "Billing Support",
    "Tech Support",
    "Sales",
    "Retentions",
    "Collections",
    "Claims",
    "Onboarding",
    "Escalations",
    "Payments",
    "Renewals",
    "Complaints",
    "Accounts",
    "Orders",
    "Returns",
    "Deliveries",
    "Fraud",
    "Loyalty",
    "Premium Support",
    "Small Business",
    "Enterprise",
    "Partners",
    "Travel",
    "Insurance",
    "Mortgages",
    "Cards",
    "Savings",
    "Broadband",
    "Mobile",
    "Energy",
    "Back Office",
)
# Always among the first agents: accents, apostrophes, shared first names ("Sam" three times,
# "Alex" twice) and multi-word names, so search and disambiguation can be tested.
_FEATURED_NAMES: Final = (
    "Priya Natarajan",
    "Tomas Okafor",
    "Lena Fischer",
    "Sam Whitaker",
    "Sam Patel",
    "Sam O'Neill",
    "José Álvarez",
    "Zoë Brontë",
    "Renée Dubois",
    "Łukasz Nowak",
    "Søren Madsen",
    "François Lefèvre",
    "Chloé Martin",
    "Ana María Núñez",
    "Alex Chen",
    "Alex Murphy",
    "Björn Åkesson",
    "Siobhán Kelly",
    "Mei-Lin Wu",
    "Oluwaseun Adeyemi",
)
_FEATURED_SLOTS: Final = 60
_FIRST_NAMES: Final = (
    "Aisha", "Amelia", "Ben", "Carlos", "Charlotte", "Daniel", "Deepa", "Elena", "Emma",
    "Ethan", "Fatima", "Finn", "Grace", "Hannah", "Hugo", "Isla", "Jack", "Jamal", "Jasmine",
    "Kai", "Karen", "Leo", "Lucy", "Maya", "Mohammed", "Nadia", "Noah", "Olivia", "Omar",
    "Oscar", "Paul", "Rachel", "Raj", "Rosa", "Ruby", "Ryan", "Sofia", "Tariq", "Theo", "Uma",
    "Victor", "Wei", "Yusuf", "Zara", "Chloe", "Dmitri", "Ingrid", "Marta", "Niamh", "Pedro",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Ahmed", "Baker", "Bennett", "Brooks", "Campbell", "Clarke", "Costa", "Davies", "Evans",
    "Ferreira", "Fraser", "Garcia", "Gordon", "Green", "Hall", "Harris", "Hughes", "Hussain",
    "Jackson", "Jones", "Kaur", "Khan", "King", "Kowalski", "Lee", "Lewis", "Lopez", "Mason",
    "Mitchell", "Moore", "Morgan", "Nguyen", "Novak", "Oliveira", "Owen", "Parker", "Price",
    "Reid", "Roberts", "Robinson", "Rossi", "Scott", "Shah", "Singh", "Smith", "Stewart",
    "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams",
    "Wilson", "Wood", "Wright", "Young", "Zhang", "Müller", "Gonçalves", "Sánchez", "Dvořák",
)  # fmt: skip


@dataclass(frozen=True)
class SimAgent:
    """One agent: `agent_id` is the Stats agentId (= User Admin agentDisplayId)."""

    agent_id: str
    user_id: str
    name: str
    team_id: str
    email: str


@dataclass(frozen=True)
class SimTeam:
    """One team (a User Admin group)."""

    team_id: str
    name: str
    display_id: str
    max_unexpected_time: int = 10
    max_wrap_up_time: int = 60


class Roster:
    """The floor's agents and teams, drawn from `seed`, with the orders the wire wants.

    Args:
        seed: names and ids derive from it.
        agents: how many agents (ids "1001", "1002", ...).
        teams: how many teams; agents are split evenly, each in exactly one team.

    Attributes:
        agents, teams: by agent index (id "1001" is index 0), and by team index.
        ids, index: agent id by agent index, and agent index by agent id.
        by_id: agent indices in wire order.
    """

    def __init__(self, seed: int, agents: int, teams: int) -> None:
        self.teams: list[SimTeam] = [
            SimTeam(
                team_id=str(uuid.uuid5(NAMESPACE, f"{seed}/group/{i}")),
                name=_team_name(i),
                display_id=str(210 + 10 * i),
            )
            for i in range(teams)
        ]
        taken: set[str] = set()
        self.agents: list[SimAgent] = []
        for i, name in enumerate(_names(seed, agents)):
            agent_id = str(1001 + i)
            self.agents.append(
                SimAgent(
                    agent_id=agent_id,
                    user_id=str(uuid.uuid5(NAMESPACE, f"{seed}/user/{agent_id}")),
                    name=name,
                    team_id=self.teams[i * teams // agents].team_id,
                    email=_email(name, agent_id, taken),
                )
            )
        self.ids = tuple(a.agent_id for a in self.agents)
        self.index = {agent_id: i for i, agent_id in enumerate(self.ids)}
        # The wire orders agents by agentId as text ("10000" < "1001").
        self.by_id = sorted(range(agents), key=lambda i: self.agents[i].agent_id)

    def team(self, team_id: str) -> SimTeam | None:
        """The team with that groupId, or None."""
        return next((t for t in self.teams if t.team_id == team_id), None)

    def members(self, team_id: str) -> list[SimAgent]:
        """The agents of one team, by agentId."""
        return [a for a in self.agents if a.team_id == team_id]

    def directory_json(self) -> dict[str, Any]:
        """The roster as a directory file (the shape `bot.directory.load_directory_file` reads)."""
        return {
            "teams": [
                {
                    "id": team.team_id,
                    "name": team.name,
                    "agents": [
                        {"id": a.agent_id, "name": a.name} for a in self.members(team.team_id)
                    ],
                }
                for team in self.teams
            ]
        }


def _email(name: str, agent_id: str, taken: set[str]) -> str:
    local = ".".join("".join(c for c in w if c.isalnum()) for w in normalize(name).split())
    if local in taken:
        local = f"{local}.{agent_id}"
    taken.add(local)
    return f"{local}@example.com"


def _names(seed: int, count: int) -> list[str]:
    """`count` distinct names (distinct ignoring case and accents); featured ones first."""
    rng = random.Random(f"{seed}/names")
    names: list[str] = []
    seen: set[str] = set()

    def candidates() -> Iterator[str]:
        yield from _FEATURED_NAMES
        pairs = list(product(_FIRST_NAMES, _LAST_NAMES))
        rng.shuffle(pairs)
        yield from (f"{first} {last}" for first, last in pairs)
        initials = list(product(_FIRST_NAMES, "ABCDEFGHJKLMNPRSTW", _LAST_NAMES))
        rng.shuffle(initials)
        yield from (f"{first} {initial}. {last}" for first, initial, last in initials)

    for name in candidates():
        if len(names) == count:
            break
        if normalize(name) not in seen:
            seen.add(normalize(name))
            names.append(name)
    # Scatter the featured names over the first agents, and so over the teams.
    head = names[:_FEATURED_SLOTS]
    rng.shuffle(head)
    return head + names[_FEATURED_SLOTS:]


def _team_name(i: int) -> str:
    base = _TEAM_NAMES[i % len(_TEAM_NAMES)]
    lap = i // len(_TEAM_NAMES)
    return base if lap == 0 else f"{base} {lap + 1}"
