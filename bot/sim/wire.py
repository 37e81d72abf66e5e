"""The VCC JSON the simulated contact center writes, shaped as shared/vcc/API.md shows it.

Times as VCC writes them (`iso_ms`), WFM rows (`StateSelection`), `/agent-status` items, User
Admin users, groups and group members, and the paging envelopes around them. Values come in
as the floor stores them (integer milliseconds, packed row codes) and go out as dicts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final, TypeAlias, get_args

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
    "Row",
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

# (sort key, agent index, start ms, end ms or None when not yet known, code)
Row: TypeAlias = tuple[int, int, int, int | None, int]


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


class StateSelection:
    """The WFM rows one `/wfm/agent-states` query selects, in wire order, as of one moment.

    Which rows belong is fixed when selected; whether a row has ended (and so has a duration)
    is judged against `now`, the moment it was selected at (epoch milliseconds).
    """

    def __init__(self, agent_ids: Sequence[str], rows: Sequence[Row], now: int) -> None:
        self._ids = agent_ids
        self._rows = rows
        self._now = now

    def __len__(self) -> int:
        return len(self._rows)

    def wire(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows `start:stop` as wire dicts; a row still going on at `now` has duration None."""
        now_ms = self._now
        ids = self._ids
        return [
            {
                "agentId": ids[idx],
                "start": iso_ms(begin),
                "duration": end - begin if end is not None and end <= now_ms else None,
                "state": STATES[code & 15],
                "description": DESCRIPTIONS[code >> 4 & 15],
            }
            for _, idx, begin, end, code in self._rows[start:stop]
        ]


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
