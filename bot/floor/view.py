"""One read of the floor model: a `FloorRead` over what the model held when it was made.

Rows become `AgentState` objects only when a caller asks for that agent (`rows_of`), and
the current state needs only the open rows (`open_rows_of`), so a whole-floor answer does
not build every row of the day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from bot.floor.model import EPOCH, AgentRows, FloorModel, to_ms
from bot.query.results import Totals
from bot.query.source import FloorRead, ReadScope
from bot.query.timeline import Current, current_state
from bot.vcc.models import AgentState, AgentStatus, State

__all__ = ["read_model", "statuses"]

_US = timedelta(microseconds=1)


class _Rows(Mapping[str, Sequence[AgentState]]):
    """Each agent's rows that started or ended in [lo, hi) (and the row in force at lo when
    asked), built on first use and kept for the read's life."""

    def __init__(self, agents: Mapping[str, AgentRows], lo: int, hi: int, lead_in: bool) -> None:
        self._agents = agents
        self._lo, self._hi, self._lead_in = lo, hi, lead_in
        self._made: dict[str, tuple[AgentState, ...]] = {}

    def __getitem__(self, agent_id: str) -> Sequence[AgentState]:
        made = self._made.get(agent_id)
        if made is None:
            agent = self._agents.get(agent_id)
            if agent is None:
                raise KeyError(agent_id)
            made = agent.materialize(agent.select(self._lo, self._hi, lead_in=self._lead_in))
            self._made[agent_id] = made
        if not made:
            raise KeyError(agent_id)
        return made

    def __iter__(self) -> Iterator[str]:
        lo, hi, lead_in = self._lo, self._hi, self._lead_in
        return (a for a, rows in self._agents.items() if rows.select(lo, hi, lead_in=lead_in))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Index:
    """`RowIndex` over the same selection as `_Rows`: open rows and day totals worked out on
    the stored integers, not on built rows (a 1,000-agent team is ~10^5 rows)."""

    def __init__(self, agents: Mapping[str, AgentRows], lo: int, hi: int, lead_in: bool) -> None:
        self._agents = agents
        self._lo, self._hi, self._lead_in = lo, hi, lead_in

    def _selected(self, agent: AgentRows) -> list[int]:
        return agent.select(self._lo, self._hi, lead_in=self._lead_in)

    def open_rows(self, agent_id: str) -> Sequence[AgentState]:
        agent = self._agents.get(agent_id)
        if agent is None:
            return ()
        lo, hi, starts = self._lo, self._hi, agent.starts
        key = ("open", lo, self._lead_in)
        made = agent.memo.get(key)
        if isinstance(made, tuple) and self._keepable(agent):
            return made
        in_force = bisect_left(starts, lo) - 1 if self._lead_in else -1
        picked = [i for i in agent.open_indices() if lo <= starts[i] < hi or i == in_force]
        rows = agent.materialize(picked)
        if self._keepable(agent):
            agent.memo[key] = rows
        return rows

    def _keepable(self, agent: AgentRows) -> bool:
        """Whether what this read works out for `agent` may be kept for later reads with the
        same start: every row starts before the read's end, so the selection does not depend
        on it (reads end at or after the model's as_of, so they always do)."""
        return not len(agent) or agent.starts[-1] < self._hi

    def current(self, agent_id: str, status: AgentStatus | None, as_of: datetime) -> Current:
        """`current_state` of the agent's open rows and status, kept for the rows' life
        while the status object and as_of are the same (one poll's worth of lookups)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return current_state((), status, as_of)
        key = ("current", self._lo, self._lead_in)
        kept = agent.memo.get(key)
        if isinstance(kept, tuple) and kept[0] is status and kept[1] == as_of:
            made: Current = kept[2]
            return made
        made = current_state(self.open_rows(agent_id), status, as_of)
        agent.memo[key] = (status, as_of, made)
        return made

    def day_totals(self, agent_id: str, current: Current, start: datetime, now: datetime) -> Totals:
        """As `totals(periods(rows, current, start, now, now))`, step for step, in µs."""
        agent = self._agents.get(agent_id)
        s_us, n_us = _us(start), _us(now)
        if agent is None or not len(agent):
            tail = current.state is not State.UNKNOWN
            return _with_tail({}, current, tail, s_us, n_us, None)
        key = ("closed", s_us, self._lo, self._lead_in)
        closed = agent.memo.get(key)
        if closed is None or not self._keepable(agent):
            closed = _closed_part(agent, self._selected(agent), s_us)
            if self._keepable(agent):
                agent.memo[key] = closed
        assert isinstance(closed, _Closed)
        since = _us(current.since)
        tail = current.state is not State.UNKNOWN and (
            closed.open_start is None or since > closed.open_start
        )
        cut = since if tail and closed.open_start is not None else None
        if closed.last_end is not None and (
            closed.last_end > n_us or (cut is not None and closed.last_end > cut)
        ):
            # A closed row reaching past now or the cut: clip row by row (rare; VCC's
            # rows and status disagreeing).
            return _slow(agent, self._selected(agent), current, s_us, n_us, cut, tail)
        by = dict(closed.by_state)
        for b, state in closed.open_rows:
            lo, hi = max(b, s_us), max(n_us, b) if cut is None else min(max(n_us, b), cut)
            hi = min(hi, n_us)
            if lo < hi:
                by[state] = by.get(state, 0) + hi - lo
        return _with_tail(by, current, tail, s_us, n_us, closed.last_end)


class _Closed:
    """An agent's closed rows summed from `start` (they do not move with now), and what the
    open rows and the tail need."""

    __slots__ = ("by_state", "last_end", "open_rows", "open_start")

    def __init__(self) -> None:
        self.by_state: dict[State, int] = {}
        self.last_end: int | None = None
        self.open_rows: list[tuple[int, State]] = []
        self.open_start: int | None = None


def _closed_part(agent: AgentRows, picked: list[int], s_us: int) -> _Closed:
    out = _Closed()
    for i in picked:
        b, d = agent.starts[i] * 1000, agent.durations[i]
        state = State.from_wire(agent.state_of(i))
        if d < 0:
            out.open_rows.append((b, state))
            out.open_start = b if out.open_start is None else max(out.open_start, b)
            continue
        end = b + d * 1000
        out.last_end = end if out.last_end is None else max(out.last_end, end)
        lo = max(b, s_us)
        if lo < end:
            out.by_state[state] = out.by_state.get(state, 0) + end - lo
    return out


def _slow(
    agent: AgentRows,
    picked: list[int],
    current: Current,
    s_us: int,
    n_us: int,
    cut: int | None,
    tail: bool,
) -> Totals:
    by: dict[State, int] = defaultdict(int)
    last_end = None
    for i in picked:
        b, d = agent.starts[i] * 1000, agent.durations[i]
        end = max(n_us, b) if d < 0 else b + d * 1000
        if d >= 0:
            last_end = end if last_end is None else max(last_end, end)
        lo, hi = max(b, s_us), min(end, n_us)
        if cut is not None:
            hi = min(hi, cut)
        if lo < hi:
            by[State.from_wire(agent.state_of(i))] += hi - lo
    return _with_tail(dict(by), current, tail, s_us, n_us, last_end)


def _with_tail(
    by: dict[State, int],
    current: Current,
    tail: bool,
    s_us: int,
    n_us: int,
    last_end: int | None,
) -> Totals:
    if tail:
        lo = max(_us(current.since), s_us if last_end is None else last_end, s_us)
        if lo < n_us:
            by[current.state] = by.get(current.state, 0) + n_us - lo
    return Totals({state: timedelta(microseconds=us) for state, us in by.items() if us})


def _us(at: datetime) -> int:
    return (at - EPOCH) // _US


def statuses(model: FloorModel, scope: ReadScope) -> Mapping[str, AgentStatus]:
    """The statuses a read of `scope` holds: none unless live, else every agent's or the
    one agent's."""
    if not scope.live:
        return {}
    if scope.agent_id is None:
        return model.status
    one = model.status.get(scope.agent_id)
    return {scope.agent_id: one} if one is not None else {}


def read_model(model: FloorModel, scope: ReadScope, as_of: datetime) -> FloorRead:
    """The model's answer to `scope` (its start at or after the model's origin)."""
    agents = model.rows_now()
    if scope.agent_id is not None:
        mine = agents.get(scope.agent_id)
        agents = {scope.agent_id: mine} if mine is not None else {}
    lo, hi = to_ms(scope.start), to_ms(scope.end)
    status = statuses(model, scope)
    lead_in = scope.lookback.total_seconds() > 0
    rows = _Rows(agents, lo, hi, lead_in)
    return FloorRead(rows, status, as_of, index=_Index(agents, lo, hi, lead_in))
