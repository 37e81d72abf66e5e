"""A deterministic simulated contact-center floor: agents, teams and their states over time.

`Floor` ties the roster (who works where), their days (what each did when) and the wire
(how VCC writes it) together and answers as VCC's Stats API would. Any window can be answered
without stored state: the same seed and time give the same answer, and history never changes
as time moves on; only the row current at one moment gains its duration once it has ended.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.sim.codes import (
    BUSY,
    C_OUT,
    EPOCH,
    FAILED,
    INTERACTION_STATE,
    PRESENCE,
    UNEXPECTED,
    WRAP,
    to_ms,
)
from bot.sim.day import Days
from bot.sim.roster import Roster, SimAgent, SimTeam
from bot.sim.shifts import SHIFT_PROFILES, ShiftProfile
from bot.sim.wire import INCLUDE_VALUES, Run, StateSelection, status_item
from bot.vcc.models import Include

__all__ = ["Floor", "FloorConfig"]

_MAX_AGENTS: Final = 50_000
_MAX_TEAMS: Final = 200
_MAX_CACHED_SELECTIONS: Final = 16


def teams_for(agents: int) -> int:
    """How many teams a floor of `agents` has: about 40 agents a team, as supervisors run
    them, but never fewer than 4 (the default 60-agent floor keeps its 4 teams)."""
    return max(4, min(_MAX_TEAMS, round(agents / 40)))


@dataclass(frozen=True)
class FloorConfig:
    """What the simulated floor looks like.

    Args:
        seed: everything random derives from it; the same seed gives the same floor.
        agents: how many agents (ids "1001", "1002", ...).
        teams: how many teams; agents are split evenly, each in exactly one team.
        timezone: the IANA zone shifts are planned in.
        shifts: "around-the-clock" (day, evening and night shifts, every day of the week) or
            "day" (everyone on days, 07:00-11:00 local starts, weekends mostly off: the floor
            as it first was, row for row); see `bot.sim.shifts`.
    """

    seed: int = 7
    agents: int = 60
    teams: int = 4
    timezone: str = "Europe/London"
    shifts: ShiftProfile = "around-the-clock"

    def __post_init__(self) -> None:
        if self.shifts not in SHIFT_PROFILES:
            raise ValueError(f"shifts must be one of {', '.join(SHIFT_PROFILES)}")
        if not 1 <= self.agents <= _MAX_AGENTS:
            raise ValueError(f"agents must be 1..{_MAX_AGENTS}, not {self.agents}")
        if not 1 <= self.teams <= _MAX_TEAMS:
            raise ValueError(f"teams must be 1..{_MAX_TEAMS}, not {self.teams}")
        ZoneInfo(self.timezone)  # fail here, not on the first query


class Floor:
    """A seeded, deterministic floor of agents in teams, answering as VCC would."""

    def __init__(self, config: FloorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or FloorConfig()
        self.clock: Clock = clock or SystemClock()
        seed = self.config.seed
        self._roster = Roster(seed, self.config.agents, self.config.teams)
        self.teams: list[SimTeam] = self._roster.teams
        self.agents: list[SimAgent] = self._roster.agents
        zone = ZoneInfo(self.config.timezone)
        self._days = Days(seed, zone, self._roster.ids, self.config.shifts)
        self._lock = threading.Lock()
        self._selections: dict[tuple[int, int, str, str | None], tuple[int, StateSelection]] = {}

    # -- public queries ----------------------------------------------------------------------

    def team(self, team_id: str) -> SimTeam | None:
        """The team with that groupId, or None."""
        return self._roster.team(team_id)

    def members(self, team_id: str) -> list[SimAgent]:
        """The agents of one team, by agentId."""
        return self._roster.members(team_id)

    def directory_json(self) -> dict[str, Any]:
        """The floor as a directory file (the shape `bot.directory.load_directory_file` reads).

        `bot/data/sample_directory.json` is this for the default floor.
        """
        return self._roster.directory_json()

    def select(
        self,
        start: datetime,
        end: datetime,
        include: Include = "Started",
        agent_id: str | None = None,
        *,
        now: datetime | None = None,
    ) -> StateSelection:
        """`/wfm/agent-states` rows for `[start, end)`, sorted by start then agentId.

        `Started`: rows that started in the window. `StartedOrEnded`: those, plus the row that
        ended in it (a row still going on has not ended). `Processed` (rows VCC wrote or
        revised in the window) selects as `StartedOrEnded` does, which on this floor is the
        same thing: a row is written when it starts and never revised, but for the current
        row gaining its duration when it ends. Rows that start after `now` (default: the
        clock) do not exist yet; the current row has duration None. `.wire()` writes the
        selection out (a page of it, or whole), `.wire_json()` as JSON text.
        """
        if include not in INCLUDE_VALUES:
            raise ValueError(f"include must be one of {', '.join(INCLUDE_VALUES)}")
        now_ms = to_ms(now or self.clock.now())
        s, e = to_ms(start), to_ms(end)
        key = (s, e, include, agent_id)
        cached = self._selections.get(key)
        # Once the window has closed its membership cannot change, so pages can share it.
        if cached is not None and e <= cached[0] <= now_ms:
            return cached[1].at(now_ms)
        selection = StateSelection(
            self._roster.ids, self._select(s, e, include, agent_id, now_ms), now_ms
        )
        if e <= now_ms:
            with self._lock:
                self._selections[key] = (now_ms, selection)
                while len(self._selections) > _MAX_CACHED_SELECTIONS:
                    del self._selections[next(iter(self._selections))]
        return selection

    def status(
        self, now: datetime | None = None, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """`/agent-status` items for every agent (or a page of them), sorted by agentId."""
        now_ms = to_ms(now or self.clock.now())
        stop = None if limit is None else offset + limit
        return [self._status(i, now_ms) for i in self._roster.by_id[offset:stop]]

    def last_login(self, agent_id: str, now: datetime | None = None) -> datetime | None:
        """When the agent last logged in, at or before `now`; None if not in the look-back."""
        i = self._roster.index.get(agent_id)
        if i is None:
            return None
        login = self._days.last_login(i, to_ms(now or self.clock.now()))
        return None if login is None else EPOCH + timedelta(milliseconds=login)

    # -- rows --------------------------------------------------------------------------------

    def _select(self, s: int, e: int, include: str, agent_id: str | None, now: int) -> list[Run]:
        """Each selected agent's rows for `[s, e)` as of `now`, the agents in wire order."""
        hi = min(e - 1, now)  # the last instant a selected row may start at
        if hi < s:
            return []
        index = self._roster.index
        if agent_id is None:
            indices: Sequence[int] = self._roster.by_id
        elif agent_id in index:
            indices = [index[agent_id]]
        else:
            return []
        days = self._days
        first, last = days.local_date(s), days.local_date(hi)
        horizon = days.local_date(now) + timedelta(days=1)
        runs: list[Run] = []
        for i in indices:
            before, starts, codes, terminal = days.window(i, s, hi, first, last, horizon)
            if include != "Started":
                # The row before the window ended in it only if it ended by now.
                end = starts[0] if starts else terminal
                if end is not None and s <= end < e and end <= now:
                    begin, code = before or (days.previous_logout(i, first), C_OUT)
                    starts.insert(0, begin)
                    codes.insert(0, code)
            if starts:
                runs.append(Run(i, starts, codes, terminal))
        return runs

    # -- status ------------------------------------------------------------------------------

    def _status(self, i: int, now: int) -> dict[str, Any]:
        agent_id = self._roster.ids[i]
        worked = self._days.shift_at(i, now)
        if worked is None:
            since = self._days.previous_logout(i, self._days.local_date(now))
            return status_item(self.config.seed, agent_id, C_OUT, since, since, None)
        starts, codes = worked.starts, worked.codes
        current = bisect_right(starts, now) - 1
        # The presence is the latest presence row; work rows happen inside it. It began at the
        # earliest row of an unbroken run of that same presence (calls in between don't break
        # it: Ready, Busy, Wrap, Ready is one Ready presence).
        p = current
        while codes[p] & 15 not in PRESENCE:
            p -= 1
        since = p
        k = p - 1
        while k >= 0:
            if codes[k] & 15 not in PRESENCE:
                k -= 1
            elif codes[k] == codes[p]:
                since, k = k, k - 1
            else:
                break
        state = codes[current] & 15
        if state in (BUSY, UNEXPECTED, FAILED):
            load_since = starts[current]
        else:
            # Workload fell when the last offered interaction ended (at wrap, for a call).
            w = current - (state == WRAP)
            while w >= 0 and codes[w] & 15 not in (BUSY, UNEXPECTED, FAILED):
                w -= 1
            load_since = starts[w + 1] if w >= 0 else starts[0]
        work = None
        if state in INTERACTION_STATE:
            begin = current - (state == WRAP)  # a wrap follows its call's Busy row
            work = (state, codes[current], starts[begin])
        seed = self.config.seed
        return status_item(seed, agent_id, codes[p], starts[since], load_since, work)
