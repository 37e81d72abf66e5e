"""A deterministic simulated contact-center floor: agents, teams and their states over time.

Each agent's working day is a pure function of (seed, agent id, local date): a cheap shift
plan (do they work, when do they log in, when are they due to log out) and the day's rows,
each drawn from its own seeded RNG. So any window can be answered without stored state, the
same seed and time give the same answer, and history never changes as time moves on; only
the row current at one moment gains its duration once it has ended. Days are cached once
drawn.

Times inside are integer milliseconds since the epoch; dates are local to the floor's zone.
"""

from __future__ import annotations

import random
import threading
import unicodedata
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import product
from math import log, sqrt
from typing import Any, Final, TypeAlias, cast, get_args
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.vcc.models import Include

__all__ = [
    "INCLUDE_VALUES",
    "Floor",
    "FloorConfig",
    "Include",
    "SimAgent",
    "SimTeam",
    "StateSelection",
    "iso_ms",
]

INCLUDE_VALUES: Final[tuple[str, ...]] = get_args(Include)

_MAX_AGENTS: Final = 50_000
_MAX_TEAMS: Final = 200

# -- state codes -------------------------------------------------------------------------------
# A row's state, description and direction packed into one small int: state | desc << 4 |
# outbound << 8. Arrays of them keep 10,000 agents' days small.
_STATES: Final = (
    "Ready",
    "ReadyRFO",
    "Away",
    "ExtendedAway",
    "LoggedOut",
    "Busy",
    "Wrap",
    "Unexpected",
    "Failed",
)
_READY, _RFO, _AWAY, _XAWAY, _OUT, _BUSY, _WRAP, _UNEXPECTED, _FAILED = range(9)
_DESCRIPTIONS: Final = (
    "Ready",
    "Ready (Outbound)",
    "Break",
    "Lunch",
    "Meeting",
    "Training",
    "Logged Out",
    "Live",
    "Semi-Live",
    "Non-Live",
)
_D_READY, _D_RFO, _D_BREAK, _D_LUNCH, _D_MEETING, _D_TRAINING, _D_OUT = range(7)
_D_LIVE, _D_SEMI, _D_NON = 7, 8, 9
_OUTBOUND: Final = 1 << 8


def _code(state: int, desc: int) -> int:
    return state | desc << 4


_C_READY: Final = _code(_READY, _D_READY)
_C_RFO: Final = _code(_RFO, _D_RFO)
_C_BREAK: Final = _code(_AWAY, _D_BREAK)
_C_LUNCH: Final = _code(_XAWAY, _D_LUNCH)
_C_MEETING: Final = _code(_XAWAY, _D_MEETING)
_C_TRAINING: Final = _code(_XAWAY, _D_TRAINING)
_C_OUT: Final = _code(_OUT, _D_OUT)
_C_UNEXPECTED: Final = _code(_UNEXPECTED, _D_LIVE)
_C_FAILED: Final = _code(_FAILED, _D_LIVE)

# presence state -> (agent-status presence.name, eligibleForRouting)
_PRESENCE: Final = {
    _READY: ("Ready", True),
    _RFO: ("Ready", False),
    _AWAY: ("Away", False),
    _XAWAY: ("ExtendedAway", False),
    _OUT: ("LoggedOut", False),
}
_MEDIUM: Final = {_D_LIVE: "Phone", _D_SEMI: "Chat", _D_NON: "Email"}
_INTERACTION_STATE: Final = {
    _BUSY: "Connected",
    _WRAP: "Wrap",
    _UNEXPECTED: "Unexpected",
    _FAILED: "Failed",
}

_SECOND: Final = 1000
_MINUTE: Final = 60 * _SECOND
_HOUR: Final = 60 * _MINUTE
# How far back to look for an agent's last shift; every agent works most weekdays.
_LOOKBACK_DAYS: Final = 60
# About 50,000 agent-days (~100 MB) before the oldest are dropped.
_MAX_CACHED_DAYS: Final = 50_000
_MAX_CACHED_SELECTIONS: Final = 16
_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_DNS, "sim.agentstate.invalid")
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_UNKNOWN: Final = object()  # not yet drawn (None means a day off)

# -- names --------------------------------------------------------------------------------------
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
# Letters NFKD does not take apart, folded by hand so "Lukasz" and "Łukasz" are one name.
_FOLD: Final = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ß": "ss"})


@dataclass(frozen=True)
class FloorConfig:
    """What the simulated floor looks like.

    Args:
        seed: everything random derives from it; the same seed gives the same floor.
        agents: how many agents (ids "1001", "1002", ...).
        teams: how many teams; agents are split evenly, each in exactly one team.
        timezone: the IANA zone shifts are planned in (07:00-11:00 local starts).
    """

    seed: int = 7
    agents: int = 60
    teams: int = 4
    timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        if not 1 <= self.agents <= _MAX_AGENTS:
            raise ValueError(f"agents must be 1..{_MAX_AGENTS}, not {self.agents}")
        if not 1 <= self.teams <= _MAX_TEAMS:
            raise ValueError(f"teams must be 1..{_MAX_TEAMS}, not {self.teams}")
        ZoneInfo(self.timezone)  # fail here, not on the first query


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


@dataclass(frozen=True, slots=True)
class _Profile:
    """An agent's habits, fixed for the life of the floor."""

    start_minute: int  # usual login, local minutes after midnight
    shift_minutes: int  # from login to planned logout, lunch included
    weekday_off: float  # chance of a weekday off (leave, sickness)
    weekend_work: float  # chance of working a weekend day
    ready_gap_s: float  # mean idle time between interactions
    live_share: float  # share of interactions that are calls; the rest chats and emails


@dataclass(frozen=True, slots=True)
class _Day:
    """One agent's worked day: row starts and codes; the last row is the logout."""

    starts: array[int]
    codes: array[int]


# (sort key, agent index, start ms, end ms or None when not yet known, code)
_Row: TypeAlias = tuple[int, int, int, int | None, int]


@lru_cache(maxsize=4096)
def _date_text(days: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat()


def iso_ms(ms: int) -> str:
    """`bot.vcc.models.format_time` for epoch milliseconds, without building a datetime.

    Several times faster, which matters when 10,000 agents' rows are written out.
    """
    seconds, milli = divmod(ms, 1000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_date_text(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


def _to_ms(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("the floor needs timezone-aware datetimes")
    return (at - _EPOCH) // timedelta(milliseconds=1)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _fold(name: str) -> str:
    bare = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).split())


def _email(name: str, agent_id: str, taken: set[str]) -> str:
    local = ".".join("".join(c for c in w if c.isalnum()) for w in _fold(name).split())
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
        if _fold(name) not in seen:
            seen.add(_fold(name))
            names.append(name)
    # Scatter the featured names over the first agents, and so over the teams.
    head = names[:_FEATURED_SLOTS]
    rng.shuffle(head)
    return head + names[_FEATURED_SLOTS:]


class StateSelection:
    """The WFM rows one `/wfm/agent-states` query selects, in wire order.

    Which rows belong is fixed when selected; whether a row has ended (and so has a duration)
    is judged against the `now` it is written out at.
    """

    def __init__(self, agent_ids: Sequence[str], rows: Sequence[_Row]) -> None:
        self._ids = agent_ids
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def wire(self, now: datetime, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows `start:stop` as wire dicts; a row still going on at `now` has duration None."""
        now_ms = _to_ms(now)
        ids = self._ids
        return [
            {
                "agentId": ids[idx],
                "start": iso_ms(begin),
                "duration": end - begin if end is not None and end <= now_ms else None,
                "state": _STATES[code & 15],
                "description": _DESCRIPTIONS[code >> 4 & 15],
            }
            for _, idx, begin, end, code in self._rows[start:stop]
        ]


class Floor:
    """A seeded, deterministic floor of agents in teams, answering as VCC would."""

    def __init__(self, config: FloorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or FloorConfig()
        self.clock: Clock = clock or SystemClock()
        self._zone = ZoneInfo(self.config.timezone)
        seed, count = self.config.seed, self.config.agents
        self.teams: list[SimTeam] = [
            SimTeam(
                team_id=str(uuid.uuid5(_NAMESPACE, f"{seed}/group/{i}")),
                name=_team_name(i),
                display_id=str(210 + 10 * i),
            )
            for i in range(self.config.teams)
        ]
        taken: set[str] = set()
        self.agents: list[SimAgent] = []
        for i, name in enumerate(_names(seed, count)):
            agent_id = str(1001 + i)
            self.agents.append(
                SimAgent(
                    agent_id=agent_id,
                    user_id=str(uuid.uuid5(_NAMESPACE, f"{seed}/user/{agent_id}")),
                    name=name,
                    team_id=self.teams[i * self.config.teams // count].team_id,
                    email=_email(name, agent_id, taken),
                )
            )
        self._ids = tuple(a.agent_id for a in self.agents)
        self._index = {agent_id: i for i, agent_id in enumerate(self._ids)}
        # The wire orders agents by agentId as text ("10000" < "1001").
        self._by_id = sorted(range(count), key=lambda i: self.agents[i].agent_id)
        self._rank = [0] * count
        for rank, i in enumerate(self._by_id):
            self._rank[i] = rank
        self._profiles = [self._profile(a.agent_id) for a in self.agents]
        self._lock = threading.Lock()
        # Plain dicts read without the lock (a lookup is atomic); writes and evictions take it.
        self._plans: dict[tuple[int, date], object] = {}
        self._days: dict[tuple[int, date], object] = {}
        self._selections: dict[tuple[int, int, str, str | None], tuple[int, StateSelection]] = {}

    # -- public queries ----------------------------------------------------------------------

    def agent(self, agent_id: str) -> SimAgent | None:
        """The agent with that id, or None."""
        i = self._index.get(agent_id)
        return None if i is None else self.agents[i]

    def team(self, team_id: str) -> SimTeam | None:
        """The team with that groupId, or None."""
        return next((t for t in self.teams if t.team_id == team_id), None)

    def members(self, team_id: str) -> list[SimAgent]:
        """The agents of one team, by agentId."""
        return [a for a in self.agents if a.team_id == team_id]

    def directory_json(self) -> dict[str, Any]:
        """The floor as a directory file (the shape `bot.directory.load_directory_file` reads).

        `bot/data/sample_directory.json` is this for the default floor.
        """
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

    def states(
        self,
        start: datetime,
        end: datetime,
        include: Include = "Started",
        agent_id: str | None = None,
        *,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """`/wfm/agent-states` rows for `[start, end)`, sorted by start then agentId.

        `Started`: rows that started in the window. `StartedOrEnded` and `Processed`: those,
        plus the row that ended in it (a row still going on has not ended). Rows that start
        after `now` (default: the clock) do not exist yet; the current row has duration None.
        """
        now = now or self.clock.now()
        return self.select(start, end, include, agent_id, now=now).wire(now)

    def select(
        self,
        start: datetime,
        end: datetime,
        include: Include = "Started",
        agent_id: str | None = None,
        *,
        now: datetime | None = None,
    ) -> StateSelection:
        """The rows `states()` returns, to be written out a page at a time."""
        if include not in INCLUDE_VALUES:
            raise ValueError(f"include must be one of {', '.join(INCLUDE_VALUES)}")
        now_ms = _to_ms(now or self.clock.now())
        s, e = _to_ms(start), _to_ms(end)
        key = (s, e, include, agent_id)
        cached = self._selections.get(key)
        # Once the window has closed its membership cannot change, so pages can share it.
        if cached is not None and e <= cached[0] <= now_ms:
            return cached[1]
        selection = StateSelection(self._ids, self._select(s, e, include, agent_id, now_ms))
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
        now_ms = _to_ms(now or self.clock.now())
        stop = None if limit is None else offset + limit
        return [self._status(i, now_ms) for i in self._by_id[offset:stop]]

    def last_login(self, agent_id: str, now: datetime | None = None) -> datetime | None:
        """When the agent last logged in, at or before `now`; None if not in the look-back."""
        i = self._index.get(agent_id)
        if i is None:
            return None
        now_ms = _to_ms(now or self.clock.now())
        today = self._local_date(now_ms)
        for back in range(_LOOKBACK_DAYS + 1):
            plan = self._plan(i, today - timedelta(days=back))
            if plan is not None and plan[0] <= now_ms:
                return _EPOCH + timedelta(milliseconds=plan[0])
        return None

    # -- rows --------------------------------------------------------------------------------

    def _select(self, s: int, e: int, include: str, agent_id: str | None, now: int) -> list[_Row]:
        hi = min(e - 1, now)  # the last instant a selected row may start at
        if hi < s:
            return []
        if agent_id is None:
            indices: Sequence[int] = range(len(self.agents))
        elif agent_id in self._index:
            indices = [self._index[agent_id]]
        else:
            return []
        first, last = self._local_date(s), self._local_date(hi)
        horizon = self._local_date(now) + timedelta(days=1)
        width = len(self.agents)
        rows: list[_Row] = []
        for i in indices:
            rank = self._rank[i]
            before, inside, terminal = self._window(i, s, hi, first, last, horizon)
            if include != "Started":
                # The row before the window ended in it only if it ended by now.
                end = inside[0][0] if inside else terminal
                if end is not None and s <= end < e and end <= now:
                    rows.append((before[0] * width + rank, i, before[0], end, before[1]))
            for k, (begin, code) in enumerate(inside):
                end = inside[k + 1][0] if k + 1 < len(inside) else terminal
                rows.append((begin * width + rank, i, begin, end, code))
        rows.sort()
        return rows

    def _window(
        self, i: int, s: int, hi: int, first: date, last: date, horizon: date
    ) -> tuple[tuple[int, int], list[tuple[int, int]], int | None]:
        """Agent `i`'s row before `s`, its rows starting in `[s, hi]`, and the next row's start.

        The next start is None when it lies beyond `horizon` (the row then is still going on).
        """
        before: tuple[int, int] | None = None
        inside: list[tuple[int, int]] = []
        terminal: int | None = None
        for day in _dates(first, last):
            worked = self._day(i, day)
            if worked is None:
                continue
            starts, codes = worked.starts, worked.codes
            lo = 0
            if day == first:
                lo = bisect_left(starts, s)
                if lo:
                    before = (starts[lo - 1], codes[lo - 1])
            up = bisect_right(starts, hi)
            inside.extend(zip(starts[lo:up], codes[lo:up], strict=True))
            if up < len(starts):
                terminal = starts[up]
                break
        if before is None:
            before = (self._previous_logout(i, first), _C_OUT)
        if terminal is None:
            terminal = self._next_login(i, last, horizon)
        return before, inside, terminal

    def _previous_logout(self, i: int, day: date) -> int:
        """When agent `i` logged out last before `day`."""
        for back in range(1, _LOOKBACK_DAYS + 1):
            worked = self._day(i, day - timedelta(days=back))
            if worked is not None:
                return worked.starts[-1]
        # Nobody goes this long without a shift; anchor the row somewhere fixed all the same.
        return self._local_ms(day - timedelta(days=_LOOKBACK_DAYS), 0)

    def _next_login(self, i: int, day: date, horizon: date) -> int | None:
        for later in _dates(day + timedelta(days=1), horizon):
            plan = self._plan(i, later)
            if plan is not None:
                return plan[0]
        return None

    # -- status ------------------------------------------------------------------------------

    def _status(self, i: int, now: int) -> dict[str, Any]:
        agent = self.agents[i]
        today = self._local_date(now)
        worked = self._day(i, today)
        if worked is None or now < worked.starts[0]:
            since = self._previous_logout(i, today)
            return _status_item(self.config.seed, agent.agent_id, _C_OUT, since, since, None)
        starts, codes = worked.starts, worked.codes
        current = bisect_right(starts, now) - 1
        # The presence is the latest presence row; work rows happen inside it. It began at the
        # earliest row of an unbroken run of that same presence (calls in between don't break
        # it: Ready, Busy, Wrap, Ready is one Ready presence).
        p = current
        while codes[p] & 15 not in _PRESENCE:
            p -= 1
        since = p
        k = p - 1
        while k >= 0:
            if codes[k] & 15 not in _PRESENCE:
                k -= 1
            elif codes[k] == codes[p]:
                since, k = k, k - 1
            else:
                break
        state = codes[current] & 15
        if state in (_BUSY, _UNEXPECTED, _FAILED):
            load_since = starts[current]
        else:
            # Workload fell when the last offered interaction ended (at wrap, for a call).
            w = current - (state == _WRAP)
            while w >= 0 and codes[w] & 15 not in (_BUSY, _UNEXPECTED, _FAILED):
                w -= 1
            load_since = starts[w + 1] if w >= 0 else starts[0]
        work = None
        if state in _INTERACTION_STATE:
            begin = current - (state == _WRAP)  # a wrap follows its call's Busy row
            work = (state, codes[current], starts[begin])
        seed = self.config.seed
        return _status_item(seed, agent.agent_id, codes[p], starts[since], load_since, work)

    # -- generation --------------------------------------------------------------------------

    def _profile(self, agent_id: str) -> _Profile:
        rng = random.Random(f"{self.config.seed}/{agent_id}/profile")
        part_time = rng.random() < 0.15
        return _Profile(
            start_minute=7 * 60 + 15 * rng.randint(0, 16),
            shift_minutes=rng.choice((240, 270, 300) if part_time else (480, 510, 540)),
            weekday_off=rng.uniform(0.03, 0.1),
            weekend_work=0.5 if rng.random() < 0.15 else 0.02,
            ready_gap_s=rng.uniform(40.0, 150.0),
            live_share=rng.uniform(0.7, 0.95),
        )

    def _plan(self, i: int, day: date) -> tuple[int, int] | None:
        """(login, planned logout) for agent `i` on local `day`, or None for a day off."""
        key = (i, day)
        known = self._plans.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return cast("tuple[int, int] | None", known)
        profile = self._profiles[i]
        rng = random.Random(f"{self.config.seed}/{self.agents[i].agent_id}/{day}/plan")
        chance = profile.weekend_work if day.weekday() >= 5 else 1 - profile.weekday_off
        plan = None
        if rng.random() < chance:
            minute = profile.start_minute + round(rng.gauss(0, 6))
            login = self._local_ms(day, minute) + rng.randrange(_MINUTE)
            plan = (login, login + (profile.shift_minutes + rng.randint(-10, 10)) * _MINUTE)
        self._remember(self._plans, key, plan)
        return plan

    def _day(self, i: int, day: date) -> _Day | None:
        """Agent `i`'s rows on local `day` from login to logout, or None for a day off."""
        key = (i, day)
        known = self._days.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return cast("_Day | None", known)
        plan = self._plan(i, day)
        worked = None
        if plan is not None:
            rng = random.Random(f"{self.config.seed}/{self.agents[i].agent_id}/{day}/day")
            worked = _DayBuilder(rng, self._profiles[i]).build(*plan)
        self._remember(self._days, key, worked)
        return worked

    def _remember(
        self, cache: dict[tuple[int, date], object], key: tuple[int, date], value: object
    ) -> None:
        with self._lock:
            cache[key] = value
            if len(cache) > _MAX_CACHED_DAYS:
                for old in list(cache)[: _MAX_CACHED_DAYS // 10]:
                    del cache[old]

    def _local_ms(self, day: date, minute: int) -> int:
        hour, minute = divmod(minute, 60)
        return _to_ms(datetime(day.year, day.month, day.day, hour, minute, tzinfo=self._zone))

    def _local_date(self, ms: int) -> date:
        return datetime.fromtimestamp(ms / 1000, self._zone).date()


class _DayBuilder:
    """Draws one worked day: breaks, lunch, maybe a meeting, and interactions in between.

    The hot loop uses `random()` with inline arithmetic rather than `randint`/`triangular`:
    10,000 agents' days are drawn in about a second this way.
    """

    def __init__(self, rng: random.Random, profile: _Profile) -> None:
        self._rng = rng
        self._random = rng.random
        self._mean_gap = profile.ready_gap_s * _SECOND
        self._live_share = profile.live_share
        self._starts: list[int] = []
        self._codes: list[int] = []
        self._push_start = self._starts.append
        self._push_code = self._codes.append

    def build(self, login: int, logout: int) -> _Day:
        rng = self._rng
        length = logout - login
        blocks: list[tuple[int, int, int]] = []  # (planned start, duration, code)
        if length >= 6 * _HOUR:
            blocks.append((login + length // 4 + self._jitter(10), self._minutes(13, 17), _C_BREAK))
            blocks.append((login + length // 2 + self._jitter(20), self._minutes(30, 60), _C_LUNCH))
            blocks.append(
                (login + length * 7 // 9 + self._jitter(10), self._minutes(13, 17), _C_BREAK)
            )
        else:
            blocks.append((login + length // 2 + self._jitter(15), self._minutes(13, 17), _C_BREAK))
        if rng.random() < 0.2:
            at = login + int(length * rng.uniform(0.1, 0.8))
            blocks.append((at, self._minutes(30, 60), rng.choice((_C_MEETING, _C_TRAINING))))
        blocks.sort()
        t = login
        for planned, duration, code in blocks:
            # A break asked for during a call starts when the call's wrap ends.
            t = self._fill(t, planned)
            self._emit(t, code)
            t += duration
        t = self._fill(t, logout)
        self._emit(t, _C_OUT)
        return _Day(array("q", self._starts), array("H", self._codes))

    def _fill(self, t: int, until: int) -> int:
        """Ready, taking interactions, from `t` until `until`; returns when the next row starts."""
        rnd = self._random
        while t < until:
            self._emit(t, _C_READY)
            # Exponential idle time, kept between 5 s and 20 min.
            gap = min(max(int(-log(1.0 - rnd()) * self._mean_gap), 5 * _SECOND), 20 * _MINUTE)
            if t + gap >= until:
                return until
            t = self._interaction(t + gap)
        return t

    def _interaction(self, t: int) -> int:
        rnd = self._random
        r = rnd()
        if r < 0.02:  # offered but not answered; VCC gives it about groupMaxUnexpectedTime
            self._emit(t, _C_UNEXPECTED)
            return t + 9_500 + int(rnd() * 1_000)
        if r < 0.03:  # line fault
            self._emit(t, _C_FAILED)
            return t + 2_000 + int(rnd() * 6_000)
        if r < 0.05:  # a spell of outbound work, usually with a call
            self._emit(t, _C_RFO)
            t += 30 * _SECOND + int(rnd() * 270 * _SECOND)
            return self._call(t, _D_LIVE, _OUTBOUND) if rnd() < 0.7 else t
        if rnd() < self._live_share:
            return self._call(t, _D_LIVE, _OUTBOUND if rnd() < 0.1 else 0)
        return self._call(t, _D_SEMI if rnd() < 0.6 else _D_NON, 0)

    def _call(self, t: int, desc: int, flags: int) -> int:
        """Busy 2-12 min (mostly 3-6), then wrap 20 s-4 min (mostly under a minute)."""
        self._emit(t, _BUSY | desc << 4 | flags)
        t += _triangular(self._random(), 120 * _SECOND, 720 * _SECOND, 270 * _SECOND)
        self._emit(t, _WRAP | desc << 4 | flags)
        return t + _triangular(self._random(), 20 * _SECOND, 240 * _SECOND, 50 * _SECOND)

    def _emit(self, t: int, code: int) -> None:
        self._push_start(t)
        self._push_code(code)

    def _jitter(self, minutes: int) -> int:
        return self._rng.randint(-minutes * _MINUTE, minutes * _MINUTE)

    def _minutes(self, low: int, high: int) -> int:
        return self._rng.randint(low * _MINUTE, high * _MINUTE)


def _triangular(u: float, low: int, high: int, mode: int) -> int:
    """The triangular distribution's inverse CDF at `u` (what `Random.triangular` draws)."""
    c = (mode - low) / (high - low)
    if u < c:
        return low + int((high - low) * sqrt(u * c))
    return high - int((high - low) * sqrt((1.0 - u) * (1.0 - c)))


def _status_item(
    seed: int,
    agent_id: str,
    presence: int,
    presence_since: int,
    load_since: int,
    work: tuple[int, int, int] | None,
) -> dict[str, Any]:
    """One `/agent-status` item. `work` is (state, code, interaction start) when in hand."""
    name, eligible = _PRESENCE[presence & 15]
    interactions: list[dict[str, Any]] = []
    load = {"calls": 0, "semiLive": 0, "nonLive": 0}
    if work is not None:
        state, code, begin = work
        desc = code >> 4 & 15
        if state != _WRAP:
            load[{_D_LIVE: "calls", _D_SEMI: "semiLive", _D_NON: "nonLive"}[desc]] = 1
        guid = uuid.uuid5(_NAMESPACE, f"{seed}/interaction/{agent_id}/{begin}")
        interactions.append(
            {
                "guid": str(guid),
                "channelGuid": None,
                "since": iso_ms(begin),
                "medium": _MEDIUM[desc],
                "mediumManager": "CC",
                "direction": "Outbound" if code & _OUTBOUND else "Inbound",
                "state": _INTERACTION_STATE[state],
                "reason": None,
            }
        )
    return {
        "agentId": agent_id,
        "presence": {
            "since": iso_ms(presence_since),
            "name": name,
            "description": _DESCRIPTIONS[presence >> 4 & 15],
            "eligibleForRouting": eligible,
        },
        "workload": {"since": iso_ms(load_since), **load},
        "interaction": interactions,
    }


def _team_name(i: int) -> str:
    base = _TEAM_NAMES[i % len(_TEAM_NAMES)]
    lap = i // len(_TEAM_NAMES)
    return base if lap == 0 else f"{base} {lap + 1}"


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
