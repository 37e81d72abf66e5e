"""Agents and teams by id and by name: what supervisors type is a name, VCC speaks ids.

Names and teams come from the VCC User Admin API (users, groups, group members) or, where an
account's credentials lack `users:read`, from a directory file (AGENTSTATE_DIRECTORY). Finding
ignores case and accents; a near miss gives suggestions, a shared name gives choices.
"""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz, process

from bot.clock import Clock
from bot.errors import (
    AgentstateError,
    AmbiguousAgent,
    AmbiguousTeam,
    Choice,
    ConfigError,
    UnknownAgent,
    UnknownTeam,
    UserError,
)
from bot.vcc.models import Group, GroupMember, User

__all__ = [
    "Agent",
    "Directory",
    "DirectoryCache",
    "Team",
    "UserAdmin",
    "load_directory_file",
    "load_directory_vcc",
    "normalize",
]

log = logging.getLogger(__name__)

_MAX_CHOICES = 10
_MEMBER_READS = 2  # group-member reads in flight at once
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
    id: str
    name: str


@dataclass(frozen=True)
class Team:
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


def _directory_from_json(data: Any) -> Directory:
    agents: dict[str, Agent] = {}
    teams: list[Team] = []
    for raw_team in data["teams"]:
        ids: list[str] = []
        for raw_agent in raw_team["agents"]:
            agent = Agent(str(raw_agent["id"]), str(raw_agent["name"]))
            agents.setdefault(agent.id, agent)
            ids.append(agent.id)
        teams.append(Team(str(raw_team["id"]), str(raw_team["name"]), tuple(ids)))
    return Directory(tuple(agents.values()), tuple(teams))


def load_directory_file(path: Path) -> Directory:
    """Read a directory file: `{"teams": [{"id", "name", "agents": [{"id", "name"}]}]}`.

    Raises:
        ConfigError: the file is missing or not that shape (names AGENTSTATE_DIRECTORY).
    """
    try:
        return _directory_from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError("AGENTSTATE_DIRECTORY", f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            "AGENTSTATE_DIRECTORY", f"{path} is not a directory file ({exc!s})"
        ) from exc


class UserAdmin(Protocol):
    """The part of the VCC client the directory needs."""

    async def users(self) -> list[User]: ...
    async def groups(self) -> list[Group]: ...
    async def group_members(self, group_id: str) -> list[GroupMember]: ...


async def load_directory_vcc(admin: UserAdmin) -> Directory:
    """Build the directory from the User Admin API: agent users, groups and their members."""
    users, groups = await asyncio.gather(admin.users(), admin.groups())
    # VCC's rate limit is shared by all its APIs: a few groups at a time, not all at once.
    gate = asyncio.Semaphore(_MEMBER_READS)

    async def members_of(group: Group) -> list[GroupMember]:
        async with gate:
            return await admin.group_members(group.group_id)

    members = await asyncio.gather(*(members_of(g) for g in groups))
    agents = {u.agent_id: Agent(u.agent_id, u.name or u.agent_id) for u in users if u.agent_id}
    teams: list[Team] = []
    for group, people in zip(groups, members, strict=True):
        ids = [m.agent_id for m in people if m.agent_id]
        for member in people:
            if member.agent_id and member.agent_id not in agents:
                agents[member.agent_id] = Agent(member.agent_id, member.name or member.agent_id)
        teams.append(Team(group.group_id, group.name, tuple(ids)))
    return Directory(tuple(agents.values()), tuple(teams))


class DirectoryCache:
    """Loads the directory once, then again after `ttl`; a failed reload keeps the old one."""

    def __init__(
        self, load: Callable[[], Awaitable[Directory]], clock: Clock, ttl: timedelta
    ) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._value: Directory | None = None
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Directory:
        if self._fresh():
            assert self._value is not None
            return self._value
        async with self._lock:
            if self._fresh():
                assert self._value is not None
                return self._value
            try:
                self._value = await self._load()
            except AgentstateError:
                if self._value is None:
                    raise
                log.warning(
                    "directory reload failed; keeping the one loaded at %s", self._loaded_at
                )
            self._loaded_at = self._clock.now()
            return self._value

    def _fresh(self) -> bool:
        return (
            self._value is not None
            and self._loaded_at is not None
            and self._clock.now() - self._loaded_at < self._ttl
        )
