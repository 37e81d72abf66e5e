"""Agents and teams, and finding them by what a supervisor types: id, name or part of a name,
ignoring case and accents; a near miss gives suggestions, a shared name gives choices."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.errors import (
    AmbiguousAgent,
    AmbiguousTeam,
    Choice,
    UnknownAgent,
    UnknownTeam,
    UserError,
)

__all__ = ["Agent", "Directory", "Team", "normalize"]

_MAX_CHOICES = 10
_FUZZY_CUTOFF = 70.0
# Letters NFKD does not take apart; folded by hand so "Lukasz" finds "Łukasz".
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})


def normalize(text: str) -> str:
    """Case- and accent-insensitive form of a name: "  Zoë  BRONTË " -> "zoe bronte"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.translate(_FOLD).split())


@dataclass(frozen=True)
class Agent:
    """An agent: VCC's agent id (User Admin's agentDisplayId) and the name people use."""

    id: str
    name: str


@dataclass(frozen=True)
class Team:
    """A team (a VCC group): its id, its name and its agents' ids."""

    id: str
    name: str
    agent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directory:
    """Agents and teams, with lookups by what a supervisor types."""

    agents: tuple[Agent, ...]
    teams: tuple[Team, ...]
    _by_id: Mapping[str, Agent] = field(init=False, repr=False, compare=False)
    _names: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {a.id: a for a in self.agents})
        object.__setattr__(self, "_names", {a.id: normalize(a.name) for a in self.agents})

    def agent(self, agent_id: str) -> Agent:
        """The agent with that id; one VCC knows but the directory does not shows its bare id."""
        return self._by_id.get(agent_id) or Agent(agent_id, agent_id)

    def teams_of(self, agent_id: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if agent_id in t.agent_ids)

    def find_agent(self, text: str) -> Agent:
        """The one agent `text` names: by id, full name, or part of a name.

        Raises:
            UnknownAgent: nothing matches (with near misses as suggestions).
            AmbiguousAgent: several agents match equally.
        """
        query = text.strip()
        if not query:
            raise UserError("Which agent? Give a name or an agent ID.", "For example `Priya`.")
        if query in self._by_id:
            return self._by_id[query]
        wanted = normalize(query)
        exact = [a for a in self.agents if self._names[a.id] == wanted]
        if len(exact) == 1:
            return exact[0]
        words = wanted.split()
        partial = exact or [
            a for a in self.agents if all(_has_word_prefix(self._names[a.id], w) for w in words)
        ]
        if not partial:
            partial = [a for a in self.agents if wanted in self._names[a.id]]
        if len(partial) == 1:
            return partial[0]
        if partial:
            ranked = sorted(partial, key=lambda a: a.name)[:_MAX_CHOICES]
            raise AmbiguousAgent(query, [Choice(a.id, a.name) for a in ranked])
        raise UnknownAgent(query, self._near_agents(wanted))

    def find_team(self, text: str) -> Team:
        """The one team `text` names: by id, name or part of a name.

        Raises:
            UnknownTeam: nothing matches (with near misses as suggestions).
            AmbiguousTeam: several teams match; choices are the candidates.
        """
        query = text.strip()
        if not query:
            raise UserError("Which team?", "Try `teams` for the list.")
        for team in self.teams:
            if query == team.id:
                return team
        wanted = normalize(query)
        exact = [t for t in self.teams if normalize(t.name) == wanted]
        if len(exact) == 1:
            return exact[0]
        partial = [t for t in self.teams if wanted in normalize(t.name)]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise AmbiguousTeam(query, [Choice(t.name, t.name) for t in partial[:_MAX_CHOICES]])
        names = {t.name: normalize(t.name) for t in self.teams}
        near = process.extract(wanted, names, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
        raise UnknownTeam(query, [Choice(key, key) for _, _, key in near])

    def _near_agents(self, wanted: str) -> list[Choice]:
        near = process.extract(
            wanted, self._names, scorer=fuzz.WRatio, limit=3, score_cutoff=_FUZZY_CUTOFF
        )
        return [Choice(agent_id, self._by_id[agent_id].name) for _, _, agent_id in near]


def _has_word_prefix(name: str, word: str) -> bool:
    return any(part.startswith(word) for part in name.split())
