"""The one module every front door asks: find who or what a name means, then answer about it.

Finding (`find_agent`, `find_team`) is apart from answering, so a caller that already holds
an agent or a team (a schedule, a button) answers without names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.directory import Agent, Directory, Team
from bot.errors import UnknownAgent, UserError
from bot.query import summaries
from bot.query.flags import Thresholds
from bot.query.results import AgentNow, History, TeamsList, TeamSummary, WhoList
from bot.query.source import ReadScope, StateSource
from bot.query.window import DEFAULT_WINDOW, Window, day_start, resolve_window
from bot.vcc.models import State

__all__ = ["HISTORY_LOOKBACK", "TODAY_LOOKBACK", "Policy", "Query"]

HISTORY_LOOKBACK = timedelta(days=3)
# A read near midnight still shows a few hours, so "how long" is never cut at 00:00.
TODAY_LOOKBACK = timedelta(hours=4)


@dataclass(frozen=True)
class Policy:
    """Decided once from Settings: the floor's zone, flag thresholds, how far back to look."""

    zone: ZoneInfo
    thresholds: Thresholds = field(default_factory=Thresholds)
    history_days: int = 7


class Query:
    """Answers supervisors' questions about the floor.

    Args:
        source: where the floor is read from (VCC, later the live floor model).
        directory: returns the current agent/team directory (cached by the caller).
        clock: "now", for today's boundaries and freshness.
        policy: zone and thresholds.
    """

    def __init__(
        self,
        source: StateSource,
        directory: Callable[[], Awaitable[Directory]],
        clock: Clock,
        policy: Policy,
    ) -> None:
        self._source = source
        self._directory = directory
        self._clock = clock
        self._policy = policy

    async def directory(self) -> Directory:
        """The agents and teams the bot knows (cached by the caller's loader)."""
        return await self._directory()

    async def find_agent(self, name: str, *, on_floor: bool = False) -> Agent:
        """The agent `name` means: by id, name or part of one.

        With `on_floor`, an agent ID that VCC reports but the directory lacks (no user,
        API.md §10) is found by its bare ID.

        Raises:
            UnknownAgent, AmbiguousAgent: as `Directory.find_agent`.
        """
        directory = await self._directory()
        try:
            return directory.find_agent(name)
        except UnknownAgent:
            agent_id = name.strip()
            if not (on_floor and agent_id.isdigit()):
                raise
            snap = await self._snapshot(agent_id=agent_id)
            if agent_id not in snap.read.status:
                raise
            return Agent(agent_id, agent_id)

    async def find_team(self, name: str) -> Team:
        """The team `name` means. Raises UnknownTeam or AmbiguousTeam."""
        return (await self._directory()).find_team(name)

    async def agent_now(self, agent: Agent) -> AgentNow:
        directory = await self._directory()
        snap = await self._snapshot(agent_id=agent.id)
        teams = directory.teams_of(agent.id)
        return summaries.agent_now(snap, agent, teams, self._policy.thresholds)

    async def history(self, agent: Agent, window: Window | None = None) -> History:
        now = self._clock.now()
        policy = self._policy
        span = resolve_window(window or DEFAULT_WINDOW, now, policy.zone, policy.history_days)
        # Rows from before the window too: a state that began earlier (a weekend logged out)
        # still fills the window's start. One agent's rows, so the look-back is cheap. A
        # closed window needs no live status.
        scope = ReadScope(
            span.start, span.end, agent.id, live=span.end >= now, lookback=HISTORY_LOOKBACK
        )
        read = await self._source.read(scope)
        return summaries.history(read, agent, span, now, policy.thresholds)

    async def team(self, team: Team) -> TeamSummary:
        directory = await self._directory()
        snap = await self._snapshot()
        agents = [directory.agent(i) for i in team.agent_ids]
        return summaries.team_summary(snap, team, agents, self._policy.thresholds)

    async def teams(self) -> TeamsList:
        directory = await self._directory()
        if not directory.teams:
            raise UserError("VCC lists no teams (groups) for this account.")
        snap = await self._snapshot()
        return summaries.teams_list(snap, directory.teams, self._policy.thresholds)

    async def who(self, states: Sequence[State], word: str, team: Team | None) -> WhoList:
        directory = await self._directory()
        snap = await self._snapshot()
        if team is not None:
            agents: Sequence[Agent] = [directory.agent(i) for i in team.agent_ids]
        else:
            # The whole floor: VCC's agents too, where the directory lacks them (bare IDs).
            known = {a.id for a in directory.agents}
            extra = [directory.agent(i) for i in snap.read.status if i not in known]
            agents = [*directory.agents, *extra]
        return summaries.who(snap, states, word, team, agents, self._policy.thresholds)

    async def _snapshot(self, agent_id: str | None = None) -> summaries.Snapshot:
        now = self._clock.now()
        today = day_start(now, self._policy.zone)
        start = min(today, now - TODAY_LOOKBACK)
        read = await self._source.read(ReadScope(start, now, agent_id))
        return summaries.Snapshot(read, today, now)
