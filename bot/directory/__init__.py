"""Agents and teams by id and by name: what supervisors type is a name, VCC speaks ids.

Names and teams come from the VCC User Admin API (users, groups, group members) or, where an
account's credentials lack `users:read`, from a directory file (AGENTSTATE_DIRECTORY). Finding
ignores case and accents; a near miss gives suggestions, a shared name gives choices.

    model   Agent, Team, Directory (find by what a supervisor types), normalize
    load    from a file or the User Admin API
    cache   loaded once, again after a TTL; a failed reload keeps the old one
"""

from bot.directory.cache import DirectoryCache
from bot.directory.load import UserAdmin, load_directory_file, load_directory_vcc
from bot.directory.model import Agent, Directory, Team, normalize

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
