"""The VCC JSON the simulated contact center writes, shaped as shared/vcc/API.md shows it.

Times as VCC writes them (`iso_ms`), WFM rows (`StateSelection`), `/agent-status` items, User
Admin users, groups and group members, and the paging envelopes around them. Values come in
as the floor stores them (integer milliseconds, packed row codes) and go out as dicts.
"""

from __future__ import annotations

import copy
import json
import uuid
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final, get_args

from bot.sim.codes import (
    D_LIVE,
    D_NON,
    D_SEMI,
    DESCRIPTIONS,
    INTERACTION_STATE,
    MEDIUM,
    NAMESPACE,
    OUTBOUND,
    PRESENCE,
    STATES,
    WRAP,
)
from bot.sim.roster import SimAgent, SimTeam
from bot.vcc.models import Include, format_time

__all__ = [
    "INCLUDE_VALUES",
    "Run",
    "StateSelection",
    "envelope",
    "group_item",
    "iso_ms",
    "member_item",
    "page_meta",
    "status_item",
    "user_item",
]

INCLUDE_VALUES: Final[tuple[str, ...]] = get_args(Include)

_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_OPEN: Final = 1 << 62  # the end of a row that has not ended: later than any `now`


@dataclass(frozen=True, slots=True)
class Run:
    """One agent's selected rows in time order: each ends where the next starts, the last at
    `end` (None while not yet known). Times in epoch milliseconds, codes packed."""

    agent: int  # the agent's index
    starts: Sequence[int]
    codes: Sequence[int]
    end: int | None


@lru_cache(maxsize=4096)
def _date_text(days: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat()


@lru_cache(maxsize=1 << 16)
def _minute_text(minute: int) -> str:
    """`YYYY-MM-DDTHH:MM:` of the minute `minute` minutes after the epoch."""
    days, minute = divmod(minute, 24 * 60)
    return f"{_date_text(days)}T{minute // 60:02d}:{minute % 60:02d}:"


_SECONDS_TEXT: Final = tuple(f"{s:02d}." for s in range(60))
_MILLIS_TEXT: Final = tuple(f"{ms:03d}Z" for ms in range(1000))


def iso_ms(ms: int) -> str:
    """`bot.vcc.models.format_time` for epoch milliseconds, without building a datetime.

    Several times faster, which matters when 20,000 agents' rows are written out: minutes
    come from a cache, seconds and milliseconds from tables.
    """
    minute, rest = divmod(ms, 60_000)
    seconds, milli = divmod(rest, 1000)
    return _minute_text(minute) + _SECONDS_TEXT[seconds] + _MILLIS_TEXT[milli]


class StateSelection:
    """The WFM rows one `/wfm/agent-states` query selects, in wire order, as of one moment.

    Which rows belong is fixed when selected; whether a row has ended (and so has a duration)
    is judged against `now`, the moment it was selected at (epoch milliseconds).

    Args:
        agent_ids: agent id by agent index.
        runs: each agent's rows, the agents in wire order (by agentId).
        now: the moment rows are judged at.
    """

    def __init__(self, agent_ids: Sequence[str], runs: Sequence[Run], now: int) -> None:
        self._now = now
        # Per run: the agent id, the row starts followed by the last row's end, the codes.
        self._table: list[tuple[str, array[int], Sequence[int]]] = []
        for run in runs:
            ends = array("q", run.starts)
            ends.append(_OPEN if run.end is None else run.end)
            self._table.append((agent_ids[run.agent], ends, run.codes))
        # Each row is one int, start << (run and place bits) | run << place bits | place:
        # sorting those gives wire order (start, then agentId) several times faster than
        # sorting tuples would.
        self._place_bits = max((len(run.starts) for run in runs), default=1).bit_length()
        self._run_bits = len(runs).bit_length()
        self._order: list[int] = []
        shift, order = self._run_bits + self._place_bits, self._order
        for r, run in enumerate(runs):
            top = r << self._place_bits
            order += [begin << shift | top | k for k, begin in enumerate(run.starts)]
        order.sort()

    def at(self, now: int) -> StateSelection:
        """The same rows judged at another moment."""
        again = copy.copy(self)
        again._now = now
        return again

    def __len__(self) -> int:
        return len(self._order)

    def wire(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows `start:stop` as wire dicts; a row still going on at `now` has duration None."""
        return [
            {
                "agentId": agent_id,
                "start": iso_ms(begin),
                "duration": duration,
                "state": STATES[code & 15],
                "description": DESCRIPTIONS[code >> 4 & 15],
            }
            for agent_id, begin, duration, code in self._rows(start, stop)
        ]

    def wire_json(self, start: int = 0, stop: int | None = None) -> str:
        """`wire(start, stop)` as compact JSON, without the brackets: the text `json.dumps`
        would write for those rows, several times faster (a day of 20,000 agents is over a
        million rows)."""
        # Agent ids are digits and times ISO text: nothing in them needs escaping.
        return ",".join(
            [
                f'{{"agentId":"{agent_id}","start":"{iso_ms(begin)}","duration":'
                f"{'null' if duration is None else duration},{_STATE_JSON[code]}}}"
                for agent_id, begin, duration, code in self._rows(start, stop)
            ]
        )

    def _rows(self, start: int, stop: int | None) -> Iterator[tuple[str, int, int | None, int]]:
        """(agentId, start, duration or None, code) of rows `start:stop`."""
        now_ms, table = self._now, self._table
        bits = self._place_bits
        place, run_mask = (1 << bits) - 1, (1 << self._run_bits) - 1
        for key in self._order[start:stop]:
            agent_id, starts, codes = table[key >> bits & run_mask]
            k = key & place
            begin, end = starts[k], starts[k + 1]
            yield agent_id, begin, end - begin if end <= now_ms else None, codes[k]


class _StateJson(dict[int, str]):
    """`"state":...,"description":...` of a row code, as JSON, written when first asked for."""

    def __missing__(self, code: int) -> str:
        text = json.dumps(
            {"state": STATES[code & 15], "description": DESCRIPTIONS[code >> 4 & 15]},
            ensure_ascii=False,
            separators=(",", ":"),
        )[1:-1]
        self[code] = text
        return text


_STATE_JSON: Final = _StateJson()


def status_item(
    seed: int,
    agent_id: str,
    presence: int,
    presence_since: int,
    load_since: int,
    work: tuple[int, int, int] | None,
) -> dict[str, Any]:
    """One `/agent-status` item. `work` is (state, code, interaction start) when in hand."""
    name, eligible = PRESENCE[presence & 15]
    interactions: list[dict[str, Any]] = []
    load = {"calls": 0, "semiLive": 0, "nonLive": 0}
    if work is not None:
        state, code, begin = work
        desc = code >> 4 & 15
        if state != WRAP:
            load[{D_LIVE: "calls", D_SEMI: "semiLive", D_NON: "nonLive"}[desc]] = 1
        guid = uuid.uuid5(NAMESPACE, f"{seed}/interaction/{agent_id}/{begin}")
        interactions.append(
            {
                "guid": str(guid),
                "channelGuid": None,
                "since": iso_ms(begin),
                "medium": MEDIUM[desc],
                "mediumManager": "CC",
                "direction": "Outbound" if code & OUTBOUND else "Inbound",
                "state": INTERACTION_STATE[state],
                "reason": None,
            }
        )
    return {
        "agentId": agent_id,
        "presence": {
            "since": iso_ms(presence_since),
            "name": name,
            "description": DESCRIPTIONS[presence >> 4 & 15],
            "eligibleForRouting": eligible,
        },
        "workload": {"since": iso_ms(load_since), **load},
        "interaction": interactions,
    }


def user_item(agent: SimAgent, last_login: datetime | None) -> dict[str, Any]:
    """One User Admin user: an active agent, with `lastLoginTime` None if never seen."""
    initials = "".join(word[0] for word in agent.email.split("@")[0].split(".")).upper()
    return {
        "userId": agent.user_id,
        "username": agent.email,
        "name": agent.name,
        "email": agent.email,
        "lastLoginTime": None if last_login is None else format_time(last_login),
        "active": True,
        "locked": False,
        "ssoExternalId": f"{initials}-{agent.agent_id}",
        "userAccountConfiguration": {
            "role": "Agent",
            "chargeable": True,
            "actAsAgent": True,
            "agentConfiguration": {
                "agentDisplayId": agent.agent_id,
                "webrtc": True,
                "handleMultipleInteractions": False,
                "location": "GB",
                "capacity": {
                    "isAgentLevel": False,
                    "live": 100,
                    "nonLive": 100,
                    "semiLive": 100,
                },
                "associatedUsers": [],
            },
        },
    }


def group_item(team: SimTeam) -> dict[str, Any]:
    """One User Admin group."""
    return {
        "groupId": team.team_id,
        "groupName": team.name,
        "groupMaxUnexpectedTime": team.max_unexpected_time,
        "groupMaxWrapUpTime": team.max_wrap_up_time,
        "groupDisplayId": team.display_id,
    }


def member_item(agent: SimAgent) -> dict[str, Any]:
    """One member of a User Admin group."""
    return {"userId": agent.user_id, "agentDisplayId": agent.agent_id, "name": agent.name}


def page_meta(page: int, limit: int, total: int, count: int) -> dict[str, int]:
    """The `meta` of a paged answer: `count` items on `page` of `total` cut by `limit`."""
    return {"page": page, "count": count, "pageCount": -(-total // limit), "totalCount": total}


def envelope(
    page: int, limit: int, total: int, items: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """A Stats answer: `{meta, items, upTo}`, `upTo` being `now`."""
    return {
        "meta": page_meta(page, limit, total, len(items)),
        "items": items,
        "upTo": format_time(now),
    }
