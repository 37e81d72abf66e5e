"""Reading whole VCC lists: pages, window slices, de-duplication and the page limit.

`Paging` never talks HTTP itself: the client hands it a `get(params)` that fetches and decodes
one page, so the walking rules here (API.md §3, §10) are the only thing this module knows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.vcc.decode import LimitRejected
from bot.vcc.models import (
    AgentState,
    Group,
    GroupMember,
    Meta,
    Page,
    StateRows,
    User,
    format_time,
)

__all__ = [
    "GetPage",
    "GroupListing",
    "Listing",
    "MemberListing",
    "Paging",
    "UserListing",
    "slices",
]

log = logging.getLogger("bot.vcc")

# A server that keeps saying "there is more" must not keep us paging forever.
_MAX_PAGES = 10_000

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")
ResultT = TypeVar("ResultT")

GetPage = Callable[[Mapping[str, str]], Awaitable[PageT]]
"""Fetch and decode one page for these query parameters (`limit` and `page` included)."""


class Listing(BaseModel, Generic[ItemT]):
    """A User Admin list: `{meta?, <name>: [...]}`; subclasses alias `entries` to the wire name."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    meta: Meta | None = None
    entries: list[ItemT]


class UserListing(Listing[User]):
    """The users list (`GET /useradmin/users`) under its wire name."""

    entries: list[User] = Field(alias="users")


class GroupListing(Listing[Group]):
    """The groups list (`GET /useradmin/groups`) under its wire name."""

    entries: list[Group] = Field(alias="groups")


class MemberListing(Listing[GroupMember]):
    """One group's members (`GET /useradmin/groups/{groupId}/users`) under their wire name."""

    entries: list[GroupMember] = Field(alias="users")


class Paging:
    """How one client walks lists: the page `limit` it sends and the widest Stats window.

    Args:
        page_limit: the `limit` sent on every list request (halved if VCC rejects it).
        window_limit: longest `start`-`end` span per Stats request; longer windows are split.
    """

    def __init__(
        self, *, page_limit: int = 1000, window_limit: timedelta = timedelta(days=31)
    ) -> None:
        if page_limit < 1:
            raise ValueError("page_limit must be at least 1")
        if window_limit <= timedelta(0):
            raise ValueError("window_limit must be positive")
        self.page_limit = page_limit
        self.window_limit = window_limit
        # Per endpoint: the limit VCC last accepted after a "limit" 400; sticks for later reads.
        self._limits: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"Paging(page_limit={self.page_limit}, window_limit={self.window_limit})"

    async def state_rows(
        self,
        key: str,
        get: GetPage[Page[AgentState]],
        start: datetime,
        end: datetime,
        params: Mapping[str, str],
    ) -> StateRows:
        """WFM state rows for `[start, end)`, read in slices no wider than `window_limit`.

        Rows are de-duplicated by (agentId, start), the later copy winning, and sorted by
        start then agentId. `as_of` is the `upTo` of the first page of the first slice.
        """
        if end < start:
            raise ValueError("end is before start")
        rows: dict[tuple[str, datetime], AgentState] = {}
        as_of: datetime | None = None
        for slice_start, slice_end in slices(start, end, self.window_limit):
            window = {"start": format_time(slice_start), "end": format_time(slice_end)}
            items, up_to = await self.stats(key, get, {**window, **params})
            if as_of is None:
                as_of = up_to
            for row in items:
                rows[row.key] = row  # the later copy wins
        assert as_of is not None  # slices yields at least one slice
        ordered = sorted(rows.values(), key=lambda row: (row.start, row.agent_id))
        return StateRows(rows=tuple(ordered), as_of=as_of)

    async def stats(
        self, key: str, get: GetPage[Page[ItemT]], params: Mapping[str, str]
    ) -> tuple[list[ItemT], datetime]:
        """All pages of one Stats read, same params (so `end` is pinned) on every page.

        Returns the items and the `upTo` of the first page. If VCC rejects `limit`, the
        whole read starts again from page 1 with half the limit.
        """

        async def walk(limit: int) -> tuple[list[ItemT], datetime]:
            items: list[ItemT] = []
            as_of: datetime | None = None
            for page_no in _page_numbers():
                page = await get({**params, "limit": str(limit), "page": str(page_no)})
                if as_of is None:
                    as_of = page.up_to
                items.extend(page.items)
                if not page.items or page_no >= page.meta.page_count:
                    return items, as_of
            raise AssertionError("unreachable")  # pragma: no cover

        return await self._with_limit(key, walk)

    async def listing(
        self, key: str, get: GetPage[Listing[ItemT]], params: Mapping[str, str]
    ) -> list[ItemT]:
        """All pages of one User Admin list.

        Stops on a short or empty page, or when a `meta` (where present) says it was the last.
        `key` names the endpoint for the remembered limit (a path template when it holds an id).
        """

        async def walk(limit: int) -> list[ItemT]:
            items: list[ItemT] = []
            for page_no in _page_numbers():
                listing = await get({**params, "limit": str(limit), "page": str(page_no)})
                items.extend(listing.entries)
                # Trust `meta` where VCC sends it (a server may cap pages below our limit); the
                # users list has none, and there a short page is the last.
                if listing.meta is not None:
                    last = not listing.entries or page_no >= listing.meta.page_count
                else:
                    last = len(listing.entries) < limit
                if last:
                    return items
            raise AssertionError("unreachable")  # pragma: no cover

        return await self._with_limit(key, walk)

    async def _with_limit(self, key: str, walk: Callable[[int], Awaitable[ResultT]]) -> ResultT:
        """Run one paged read with the endpoint's page limit; if VCC rejects the limit, start
        again from page 1 with half of it (remembered for the endpoint)."""
        while True:
            limit = self._limits.get(key, self.page_limit)
            try:
                return await walk(limit)
            except LimitRejected:
                if limit <= 1:
                    raise
                self._lower_limit(key, limit)

    def _lower_limit(self, key: str, limit: int) -> None:
        lower = max(1, limit // 2)
        log.warning(
            "VCC rejected limit=%d on %s; reading again from page 1 with limit=%d",
            limit,
            key,
            lower,
        )
        self._limits[key] = lower


def slices(start: datetime, end: datetime, width: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive `[a, b)` slices no wider than `width`, exactly covering `[start, end)`.

    An empty window (`start == end`) is one empty slice, so there is still an `upTo`.
    """
    if start == end:
        yield start, end
        return
    cursor = start
    while cursor < end:
        upper = min(cursor + width, end)
        yield cursor, upper
        cursor = upper


def _page_numbers() -> Iterator[int]:
    return iter(range(1, _MAX_PAGES + 1))
