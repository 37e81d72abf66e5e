"""Loading the directory: from a file (AGENTSTATE_DIRECTORY) or the VCC User Admin API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Protocol

from bot.directory.model import Agent, Directory, Team
from bot.errors import ConfigError
from bot.vcc.models import Group, GroupMember, User

__all__ = ["UserAdmin", "load_directory_file", "load_directory_vcc"]

_MEMBER_READS = 2  # group-member reads in flight at once


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
