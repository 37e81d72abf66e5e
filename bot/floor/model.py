"""The live floor: every agent's WFM rows since the model's origin, kept compactly, and every
agent's live status. Pure: no I/O, no clock; the poller feeds it, sources read it.

Rows are stored per agent in parallel arrays sorted by start (8-byte start, 8-byte duration,
and two interned strings), about 40 bytes a row, not one pydantic object per row: a full day
of a 5,000-agent floor is ~4x10^5 rows. `AgentState` objects are made only for the agents a
read asks about.

Feeding follows shared/vcc/API.md §3-4: a poll window's rows are upserted by (agentId,
start), a newer copy replacing the older (re-deliveries never double, revisions win, late rows
land in place); for each agent in the answer, stored rows that start inside the window but
were not returned are dropped (merged or re-cut); nothing older than the window is dropped
on that basis.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from bot.vcc.models import AgentState, AgentStatus

__all__ = ["AgentRows", "FloorModel", "from_ms", "to_ms"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_OPEN = -1  # the duration stored for a row still going on (null on the wire)


def to_ms(at: datetime) -> int:
    """Milliseconds since the epoch (VCC times have millisecond precision)."""
    return (at - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


class AgentRows:
    """One agent's rows, sorted by start: parallel arrays, one entry per start.

    Only arrays of numbers, the texts (state, description) as codes into the model's table
    `texts`: arrays hold no objects, so the garbage collector never walks a day of rows (a
    list per row's texts was a million references to walk at 5,000 agents).
    """

    __slots__ = ("agent_id", "descriptions", "durations", "memo", "starts", "states", "texts")

    def __init__(self, agent_id: str, texts: list[str]) -> None:
        self.agent_id = agent_id
        self.texts = texts
        # What reads worked out from these rows (open rows built, closed totals); emptied on
        # any change, so it never outlives the rows it was worked out from.
        self.memo: dict[object, object] = {}
        self.starts = array("q")
        self.durations = array("q")
        self.states = array("I")
        self.descriptions = array("I")

    def __len__(self) -> int:
        return len(self.starts)

    def upsert(self, start: int, duration: int, state: int, description: int) -> None:
        """Insert the row, or replace the one with the same start."""
        self.memo.clear()
        i = bisect_left(self.starts, start)
        if i < len(self.starts) and self.starts[i] == start:
            self.durations[i] = duration
            self.states[i] = state
            self.descriptions[i] = description
            return
        self.starts.insert(i, start)
        self.durations.insert(i, duration)
        self.states.insert(i, state)
        self.descriptions.insert(i, description)

    def drop_unreturned(self, lo: int, hi: int, returned: set[int]) -> None:
        """Drop rows starting in [lo, hi) whose start is not in `returned`."""
        first, last = bisect_left(self.starts, lo), bisect_left(self.starts, hi)
        gone = [i for i in range(first, last) if self.starts[i] not in returned]
        for i in reversed(gone):
            self._delete(i)

    def pruned(self, origin: int) -> AgentRows:
        """These rows without the closed ones that ended before `origin` (a new object when
        any go: reads share this one)."""
        keep = [
            i
            for i in range(len(self.starts))
            if self.durations[i] == _OPEN or self.starts[i] + self.durations[i] >= origin
        ]
        if len(keep) == len(self.starts):
            return self
        twin = AgentRows(self.agent_id, self.texts)
        twin.starts = array("q", (self.starts[i] for i in keep))
        twin.durations = array("q", (self.durations[i] for i in keep))
        twin.states = array("I", (self.states[i] for i in keep))
        twin.descriptions = array("I", (self.descriptions[i] for i in keep))
        return twin

    def state_of(self, i: int) -> str:
        """Row `i`'s state as VCC wrote it."""
        return self.texts[self.states[i]]

    def select(self, lo: int, hi: int, *, lead_in: bool = False) -> list[int]:
        """Indices of rows that started in [lo, hi) or ended in it (VCC's `StartedOrEnded`);
        with `lead_in`, also the row in force at `lo` (the last one starting before it)."""
        first, last = bisect_left(self.starts, lo), bisect_left(self.starts, hi)
        out = []
        for i in range(first):
            d = self.durations[i]
            if d != _OPEN and lo <= self.starts[i] + d < hi:
                out.append(i)
        if lead_in and first and (not out or out[-1] != first - 1):
            out.append(first - 1)
        out.extend(range(first, last))
        return out

    def materialize(self, indices: Iterable[int]) -> tuple[AgentState, ...]:
        """The rows at `indices` as wire models (built without re-validating stored values)."""
        make, texts = AgentState.model_construct, self.texts
        return tuple(
            make(
                agent_id=self.agent_id,
                start=from_ms(self.starts[i]),
                duration_ms=None if self.durations[i] == _OPEN else self.durations[i],
                raw_state=texts[self.states[i]],
                description=texts[self.descriptions[i]],
            )
            for i in indices
        )

    def copy(self) -> AgentRows:
        twin = AgentRows(self.agent_id, self.texts)
        twin.starts = array("q", self.starts)
        twin.durations = array("q", self.durations)
        twin.states = array("I", self.states)
        twin.descriptions = array("I", self.descriptions)
        return twin

    def open_indices(self) -> list[int]:
        """Rows still going on (normally only the last; VCC's data may say otherwise)."""
        return [i for i, d in enumerate(self.durations) if d == _OPEN]

    def _delete(self, i: int) -> None:
        self.memo.clear()
        del self.starts[i]
        del self.durations[i]
        del self.states[i]
        del self.descriptions[i]


class FloorModel:
    """Every agent's rows from `origin` on, and every agent's live status.

    `rows_as_of` is when the rows were last brought up to date (the poll's window end),
    `status_as_of` when the statuses were; the poller sets both.
    """

    def __init__(self, origin: datetime) -> None:
        self.origin = origin
        self.rows_as_of: datetime | None = None
        self.status_as_of: datetime | None = None
        self.status: Mapping[str, AgentStatus] = {}
        self._agents: dict[str, AgentRows] = {}
        # Every state and description text seen, once; rows hold their codes.
        self._texts: list[str] = []
        self._codes: dict[str, int] = {}

    @property
    def row_count(self) -> int:
        return sum(len(a) for a in self._agents.values())

    def agents(self) -> Iterator[str]:
        """Every agent with a stored row."""
        return iter(self._agents)

    def apply(self, rows: Iterable[AgentState], start: datetime, end: datetime) -> set[str]:
        """Bring in one poll window's rows ([start, end), any `include`); the agents whose
        rows were re-read (each got a fresh copy of its rows, changed or not).

        Rows that ended before the origin are not kept: the model never held them.
        """
        origin = to_ms(self.origin)
        lo, hi = to_ms(start), to_ms(end)
        returned: dict[str, set[int]] = defaultdict(set)
        changed: set[str] = set()
        intern = self._intern
        for row in rows:
            begin = to_ms(row.start)
            duration = _OPEN if row.duration_ms is None else row.duration_ms
            returned[row.agent_id].add(begin)
            if duration != _OPEN and begin + duration < origin:
                continue
            agent = self._writable(row.agent_id, changed)
            agent.upsert(begin, duration, intern(row.raw_state), intern(row.description))
        for agent_id, starts in returned.items():
            if agent_id in self._agents:
                self._writable(agent_id, changed).drop_unreturned(lo, hi, starts)
        return changed

    def _writable(self, agent_id: str, changed: set[str]) -> AgentRows:
        """The agent's rows to change: a copy the first time in an `apply`, so a read made
        before keeps what it saw (reads share the arrays, never copy them)."""
        agent = self._agents.get(agent_id)
        if agent_id not in changed:
            agent = agent.copy() if agent is not None else AgentRows(agent_id, self._texts)
            self._agents[agent_id] = agent
            changed.add(agent_id)
        assert agent is not None
        return agent

    def set_status(self, items: Iterable[AgentStatus], as_of: datetime) -> None:
        """Replace every agent's live status (one agent-status read)."""
        self.status = {s.agent_id: s for s in items}
        self.status_as_of = as_of

    def move_origin(self, origin: datetime) -> None:
        """Keep rows from `origin` on (a new day): closed rows that ended before it go."""
        if origin <= self.origin:
            return
        self.origin = origin
        cut = to_ms(origin)
        for agent_id in list(self._agents):
            kept = self._agents[agent_id].pruned(cut)
            if len(kept):
                self._agents[agent_id] = kept
            else:
                del self._agents[agent_id]

    def rows_now(self) -> dict[str, AgentRows]:
        """Every agent's rows as they are now; an `apply` after this never changes them."""
        return dict(self._agents)

    def _intern(self, text: str) -> int:
        code = self._codes.get(text)
        if code is None:
            code = self._codes[text] = len(self._texts)
            self._texts.append(text)
        return code
