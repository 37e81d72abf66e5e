"""What each endpoint of the simulated VCC answers, and which paths reach them.

Stats: `/stats/wfm/agent-states` and `/stats/agent-status`, read from the floor. User Admin:
`/useradmin/users`, `/useradmin/groups` and `/useradmin/groups/{id}/users`, from its roster.
Parameters and the `Accept` version are checked as VCC checks them (shared/vcc/API.md): time
forms, the 31-day window, `include` values, paging bounds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TypeAlias, cast

from bot.sim.floor import Floor
from bot.sim.response import Response, json_response, not_found
from bot.sim.wire import (
    INCLUDE_VALUES,
    envelope,
    group_item,
    member_item,
    page_meta,
    user_item,
)
from bot.vcc.models import Include, format_time

__all__ = ["BadRequest", "Handler", "Route", "check_accept", "find_route"]

# The Accept versions each API speaks, and what it says when the header names none.
_ACCEPT: Final = {
    "stats": (("2", "3"), "Invalid Accept header!"),
    "users:read": (("4",), "Version missing from Accept header!"),
}
_ACCEPT_VERSION: Final = re.compile(r"application/vnd\.newvoicemedia\.v(\d+)\+json", re.IGNORECASE)
_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE,
)
_GROUP_USERS: Final = re.compile(r"/useradmin/groups/([^/]+)/users")
_MAX_WINDOW: Final = timedelta(days=31)
_MAX_LIMIT: Final = 5000
_DEFAULT_LIMIT: Final = 25
_MAX_PAGE: Final = 1_000_000_000

# (floor, query, now, group id from the path or "") -> the answer
Handler: TypeAlias = Callable[[Floor, Mapping[str, str], datetime, str], Response]


class BadRequest(Exception):
    """A 400 with this JSON body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body

    def response(self) -> Response:
        """The 400 itself."""
        return json_response(400, self.body)


@dataclass(frozen=True)
class Route:
    """Where a GET path leads: the endpoint, the token scope it wants, the group id in it."""

    handler: Handler
    scope: str
    group_id: str = ""


def check_accept(headers: Mapping[str, str], scope: str) -> None:
    """Raises `BadRequest` unless `Accept` names a version the API of `scope` speaks."""
    versions, missing = _ACCEPT[scope]
    match = _ACCEPT_VERSION.search(headers.get("accept", ""))
    if match is None:
        raise BadRequest({"statusCode": 400, "error": "Bad Request", "message": missing})
    if match.group(1) not in versions:
        message = f"Invalid api-version! Valid values: {','.join(versions)}"
        raise BadRequest({"statusCode": 400, "error": "Bad Request", "message": message})


# -- endpoints ------------------------------------------------------------------------------


def _agent_states(floor: Floor, query: Mapping[str, str], now: datetime, _: str) -> Response:
    if not query.get("start"):
        raise BadRequest({"message": '"start" is required'})
    start = _parse_time(query, "start")
    end = _parse_time(query, "end") if query.get("end") else now
    if end < start:
        raise BadRequest({"message": '"end" must not be before "start"'})
    if end - start > _MAX_WINDOW:
        raise BadRequest({"message": "Request window size limit exceeded 31 days"})
    include = query.get("include") or "Started"
    if include not in INCLUDE_VALUES:
        valid = ", ".join(INCLUDE_VALUES)
        raise BadRequest({"message": f'"include" must be one of [{valid}]'})
    page, limit = _paging(query)
    agent_id = query.get("agentId") or None
    selection = floor.select(start, end, cast("Include", include), agent_id, now=now)
    offset = (page - 1) * limit
    total = len(selection)
    count = max(0, min(limit, total - offset))
    shell = {"meta": page_meta(page, limit, total, count), "items": [], "upTo": format_time(now)}
    return json_response(200, shell, items_json=selection.wire_json(offset, offset + limit))


def _agent_status(floor: Floor, query: Mapping[str, str], now: datetime, _: str) -> Response:
    page, limit = _paging(query)
    items = floor.status(now, offset=(page - 1) * limit, limit=limit)
    return json_response(200, envelope(page, limit, len(floor.agents), items, now))


def _users(floor: Floor, query: Mapping[str, str], now: datetime, _: str) -> Response:
    include = query.get("include") or "Active"
    if include not in ("Active", "Archived", "All"):
        raise BadRequest({"message": '"include" must be one of [Active, Archived, All]'})
    page, limit = _paging(query)
    # Every simulated user is active; none is archived.
    agents = [] if include == "Archived" else floor.agents
    chosen = agents[(page - 1) * limit : page * limit]
    users = [user_item(a, floor.last_login(a.agent_id, now)) for a in chosen]
    return json_response(200, {"users": users})


def _groups(floor: Floor, query: Mapping[str, str], now: datetime, _: str) -> Response:
    page, limit = _paging(query)
    teams = floor.teams
    groups = [group_item(t) for t in teams[(page - 1) * limit : page * limit]]
    meta = page_meta(page, limit, len(teams), len(groups))
    return json_response(200, {"meta": meta, "groups": groups})


def _group_users(floor: Floor, query: Mapping[str, str], now: datetime, group_id: str) -> Response:
    if floor.team(group_id) is None:
        return not_found()
    page, limit = _paging(query)
    members = floor.members(group_id)
    users = [member_item(a) for a in members[(page - 1) * limit : page * limit]]
    meta = page_meta(page, limit, len(members), len(users))
    return json_response(200, {"meta": meta, "groupId": group_id, "users": users})


_FIXED: Final[dict[str, tuple[Handler, str]]] = {
    "/stats/wfm/agent-states": (_agent_states, "stats"),
    "/stats/agent-status": (_agent_status, "stats"),
    "/useradmin/users": (_users, "users:read"),
    "/useradmin/groups": (_groups, "users:read"),
}


def find_route(path: str) -> Route | None:
    """Where a GET of `path` leads, or None if there is no such endpoint."""
    if path in _FIXED:
        handler, scope = _FIXED[path]
        return Route(handler, scope)
    match = _GROUP_USERS.fullmatch(path)
    if match:
        return Route(_group_users, "users:read", match.group(1))
    return None


# -- parameters -----------------------------------------------------------------------------


def _parse_time(query: Mapping[str, str], name: str) -> datetime:
    """An ISO 8601 time with `Z` or an offset; 1-6 fractional digits or none."""
    text = query[name].strip()
    if _TIME.fullmatch(text) is not None:
        fraction = text.find(".")
        if fraction != -1:
            # fromisoformat in 3.11 wants 3 or 6 digits; pad what VCC would accept.
            tail = re.search(r"[Zz+-]", text[fraction:])
            assert tail is not None  # the pattern guarantees a zone
            digits = text[fraction + 1 : fraction + tail.start()]
            text = text[: fraction + 1] + digits.ljust(6, "0") + text[fraction + tail.start() :]
        try:
            return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            pass  # e.g. month 13: reported below like any malformed time
    raise BadRequest({"message": f'"{name}" must be a valid ISO 8601 date-time'})


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    return (
        _number(query, "page", 1, 1, _MAX_PAGE),
        _number(query, "limit", _DEFAULT_LIMIT, 1, _MAX_LIMIT),
    )


def _number(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise BadRequest({"message": f'"{name}" must be a number from {low} to {high}'})
    return int(text)
