"""The one module every front door asks: fetch through the source, then the pure logic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.commands import Window
from bot.directory import Agent, Directory, Team
from bot.errors import UnknownAgent, UserError
from bot.query import logic
from bot.query.results import AgentNow, History, TeamsList, TeamSummary, WhoList
from bot.query.source import StateSource
from bot.vcc.models import State

__all__ = ["HISTORY_LOOKBACK", "Policy", "Query"]

HISTORY_LOOKBACK = timedelta(days=3)


@dataclass(frozen=True)
class Policy:
    """Decided once from Settings: the floor's zone, flag thresholds, how far back to look."""

    zone: ZoneInfo
    thresholds: logic.Thresholds = field(default_factory=logic.Thresholds)
    history_days: int = 7


class Query:
    """Answers supervisors' questions about the floor.

    Args:
        source: where agent states come from (the VCC client, later the live floor model).
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

    async def agent_now(self, name: str) -> AgentNow:
        directory = await self._directory()
        try:
            agent = directory.find_agent(name)
        except UnknownAgent:
            # An agent ID VCC knows but the directory lacks (no user, API.md §10): its bare ID.
            agent_id = name.strip()
            if not agent_id.isdigit():
                raise
            snap = await self._snapshot(agent_id=agent_id)
            if agent_id not in snap.status:
                raise
            agent = Agent(agent_id, agent_id)
        else:
            snap = await self._snapshot(agent_id=agent.id)
        return logic.agent_now(snap, agent, directory.teams_of(agent.id), self._policy.thresholds)

    async def history(self, name: str, window: Window) -> History:
        directory = await self._directory()
        agent = directory.find_agent(name)
        now = self._clock.now()
        span = logic.resolve_window(window, now, self._policy.zone, self._policy.history_days)
        start, end, _ = span
        # Rows from before the window too: a state that began earlier (a weekend logged out)
        # still fills the window's start. One agent's rows, so the look-back is cheap.
        reads = self._source.agent_states(start - HISTORY_LOOKBACK, end, agent_id=agent.id)
        if end < now:  # a closed window needs no live status
            rows = await reads
            return logic.history(
                rows.rows, None, agent, span, rows.as_of, now, self._policy.thresholds
            )
        rows, status = await asyncio.gather(reads, self._source.agent_status())
        mine = next((s for s in status.items if s.agent_id == agent.id), None)
        as_of = min(rows.as_of, status.as_of)
        return logic.history(rows.rows, mine, agent, span, as_of, now, self._policy.thresholds)

    async def team(self, name: str) -> TeamSummary:
        directory = await self._directory()
        team = directory.find_team(name)
        snap = await self._snapshot()
        agents = [directory.agent(i) for i in team.agent_ids]
        return logic.team_summary(snap, team, agents, self._policy.thresholds)

    async def teams(self) -> TeamsList:
        directory = await self._directory()
        if not directory.teams:
            raise UserError("VCC lists no teams (groups) for this account.")
        snap = await self._snapshot()
        return logic.teams_list(snap, directory.teams, self._policy.thresholds)

    async def who(self, states: Sequence[State], word: str, team_name: str | None) -> WhoList:
        directory = await self._directory()
        team: Team | None = directory.find_team(team_name) if team_name else None
        snap = await self._snapshot()
        if team is not None:
            agents: Sequence[Agent] = [directory.agent(i) for i in team.agent_ids]
        else:
            # The whole floor: VCC's agents too, where the directory lacks them (bare IDs).
            known = {a.id for a in directory.agents}
            extra = [directory.agent(i) for i in snap.status if i not in known]
            agents = [*directory.agents, *extra]
        return logic.who(snap, states, word, team, agents, self._policy.thresholds)

    async def _snapshot(self, agent_id: str | None = None) -> logic.Snapshot:
        now = self._clock.now()
        today = logic.day_start(now, self._policy.zone)
        # A read near midnight still shows a few hours, so "how long" is never cut at 00:00.
        start = min(today, now - timedelta(hours=4))
        rows, status = await asyncio.gather(
            self._source.agent_states(start, now, agent_id=agent_id),
            self._source.agent_status(),
        )
        return logic.Snapshot.build(
            rows.rows,
            status.items,
            today=today,
            as_of=min(rows.as_of, status.as_of),
            now=now,
        )
