"""The async VCC client: one method per endpoint, built once by `build_vcc_client`.

Everything VCC-shaped stops here: callers get `bot.vcc.models` values or a `bot.errors.VccError`
subclass. Statuses are mapped in `bot.vcc.decode`, list walking lives in `bot.vcc.paging`.

Each method is one read: it ends by its deadline and takes in at most its caps
(`bot.vcc.limits`). A GET identical to one in flight waits for that one (`bot.vcc.flight`), a
429 holds back every caller together, other failures are retried by the `RetryPolicy`, and
sleeping is only ever through the injected `sleep`. A semaphore sized to the connection pool
lets requests queue for a connection without ever meeting httpx's pool timeout.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr

from bot.clock import Clock
from bot.errors import VccRateLimited, VccUnavailable
from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.exchange import Api, parse, send_get
from bot.vcc.flight import Backoff, Flights
from bot.vcc.limits import Budget, Caps
from bot.vcc.models import (
    AgentState,
    AgentStatus,
    Group,
    GroupMember,
    Include,
    Page,
    StateRows,
    StatusSnapshot,
    User,
)
from bot.vcc.paging import GetPage, Listing, Paging
from bot.vcc.retry import RetryPolicy

__all__ = [
    "POOL_SIZE",
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
    "Sleep",
    "UserInclude",
    "VccClient",
    "build_vcc_client",
]

log = logging.getLogger("bot.vcc")

STATS_ACCEPT = "application/vnd.newvoicemedia.v3+json"
USERADMIN_ACCEPT = "application/vnd.newvoicemedia.v4+json"

UserInclude = Literal["Active", "Archived", "All"]

Sleep = Callable[[float], Awaitable[None]]

_DEFAULT_POLICY = RetryPolicy()

# Connections to VCC at once. Its fair-use budget is low (API.md §10); more would only queue
# there instead of here.
POOL_SIZE = 20

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")


class _Shared:
    """What a client and its `with_policy` views share: pool slots, GETs in flight, backoff."""

    def __init__(self, clock: Clock, sleep: Sleep, connections: int) -> None:
        self.slots = asyncio.Semaphore(connections)
        self.flights: Flights[tuple[Any, int]] = Flights()
        self.backoff = Backoff(clock, sleep)


class _UserListing(Listing[User]):
    entries: list[User] = Field(alias="users")


class _GroupListing(Listing[Group]):
    entries: list[Group] = Field(alias="groups")


class _MemberListing(Listing[GroupMember]):
    entries: list[GroupMember] = Field(alias="users")


class VccClient:
    """Reads the VCC Insights Stats and User Admin APIs (`bot.query.source.VccSource` reads the
    floor through it).

    Args:
        http: the one `httpx.AsyncClient` (timeouts and transport are configured there).
        stats_url: base of the Stats API, e.g. `https://emea.api.newvoicemedia.com/stats`.
        useradmin_url: base of the User Admin API, e.g. `https://emea.api.newvoicemedia.com/useradmin`.
        stats_auth, users_auth: auth flows for the `stats` and `users:read` scopes.
        clock: "now" for Retry-After dates.
        sleep: how to wait between retries; tests inject a recorder.
        policy: when and how often to retry.
        paging: page limit and window limit (default `Paging()`: 1000 rows, 31 days).
        caps: deadline, pages and bytes per read (default `Caps()`: 30 s, 200 pages, 64 MiB).
        connections: requests in flight at once; match the `http` pool's `max_connections`.

    Every method raises a `bot.errors.VccError` subclass on failure.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        stats_url: str,
        useradmin_url: str,
        stats_auth: httpx.Auth,
        users_auth: httpx.Auth,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        policy: RetryPolicy = _DEFAULT_POLICY,
        paging: Paging | None = None,
        caps: Caps | None = None,
        connections: int = POOL_SIZE,
    ) -> None:
        self._paging = paging if paging is not None else Paging()
        self._caps = caps if caps is not None else Caps()
        self._shared = _Shared(clock, sleep, connections)
        self._http = http
        self._owns_http = True
        self._stats = Api("stats", stats_url.rstrip("/"), STATS_ACCEPT, stats_auth)
        self._useradmin = Api("useradmin", useradmin_url.rstrip("/"), USERADMIN_ACCEPT, users_auth)
        self._clock = clock
        self._sleep = sleep
        self._policy = policy

    def __repr__(self) -> str:
        return (
            f"VccClient(stats_url={self._stats.base_url!r}, "
            f"useradmin_url={self._useradmin.base_url!r})"
        )

    def with_policy(self, policy: RetryPolicy) -> VccClient:
        """This client with another retry policy, sharing its tokens, pool, paging and caps.

        The view holds the same `httpx.AsyncClient` (one connection pool), the same auth
        flows (one token cache per scope), the same GETs in flight and the same 429 backoff.
        Closing the view leaves the pool open: only the client that built it closes it.
        """
        # A shallow copy shares every collaborator by reference; only these two differ.
        view = copy.copy(self)
        view._policy = policy
        view._owns_http = False
        return view

    async def __aenter__(self) -> VccClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying `httpx.AsyncClient`, unless this is a `with_policy` view."""
        if self._owns_http:
            await self._http.aclose()

    # -- Stats ---------------------------------------------------------------------------

    async def agent_states(
        self,
        start: datetime,
        end: datetime,
        *,
        agent_id: str | None = None,
        include: Include = "StartedOrEnded",
    ) -> StateRows:
        """WFM state rows for `[start, end)` (`GET /stats/wfm/agent-states`).

        Windows longer than `window_limit` are read as consecutive slices. Rows are
        de-duplicated by (agentId, start), the later copy winning, and sorted by start then
        agentId. `as_of` is the `upTo` of the first page of the first slice.
        """
        path = "/wfm/agent-states"
        params: dict[str, str] = {"include": include}
        if agent_id is not None:
            params["agentId"] = agent_id
        get = self._getter(self._stats, path, Page[AgentState])
        read = self._paging.state_rows(path, get, start, end, params)
        return await self._bounded(self._stats, path, read)

    async def agent_status(self) -> StatusSnapshot:
        """Every agent's current status (`GET /stats/agent-status`), one per agent, by agentId.

        An agent seen on two pages (the list moved while we paged) keeps the later copy.
        """
        path = "/agent-status"
        get = self._getter(self._stats, path, Page[AgentStatus])
        items, up_to = await self._bounded(self._stats, path, self._paging.stats(path, get, {}))
        latest = {item.agent_id: item for item in items}
        ordered = tuple(latest[key] for key in sorted(latest))
        return StatusSnapshot(items=ordered, as_of=up_to)

    # -- User Admin ----------------------------------------------------------------------

    async def users(self, include: UserInclude = "Active") -> list[User]:
        """Users (`GET /useradmin/users`), in VCC's order, one per userId."""
        get = self._getter(self._useradmin, "/users", _UserListing)
        read = self._paging.listing("/users", get, {"include": include})
        users = await self._bounded(self._useradmin, "/users", read)
        return list({user.user_id: user for user in users}.values())

    async def groups(self) -> list[Group]:
        """Groups (teams) (`GET /useradmin/groups`), in VCC's order, one per groupId."""
        get = self._getter(self._useradmin, "/groups", _GroupListing)
        groups = await self._bounded(
            self._useradmin, "/groups", self._paging.listing("/groups", get, {})
        )
        return list({group.group_id: group for group in groups}.values())

    async def group_members(self, group_id: str) -> list[GroupMember]:
        """Members of one group (`GET /useradmin/groups/{groupId}/users`), one per userId."""
        path = f"/groups/{quote(group_id, safe='')}/users"
        get = self._getter(self._useradmin, path, _MemberListing)
        read = self._paging.listing("/groups/{groupId}/users", get, {})
        members = await self._bounded(self._useradmin, path, read)
        return list({member.user_id: member for member in members}.values())

    # -- one read, bounded --------------------------------------------------------------

    async def _bounded(self, api: Api, path: str, read: Awaitable[ResultT]) -> ResultT:
        """`read`, ended by the deadline: then VccUnavailable, its requests cancelled."""
        deadline = self._caps.deadline
        scope = asyncio.timeout(deadline)
        try:
            async with scope:
                return await read
        except TimeoutError as exc:
            if not scope.expired():
                raise
            log.warning("VCC %s GET %s passed the %g s deadline", api.name, path, deadline)
            raise VccUnavailable(
                f"VCC {api.name} GET {path} did not finish within {deadline:g} s"
            ) from exc

    def _getter(self, api: Api, path: str, model: type[ModelT]) -> GetPage[ModelT]:
        """`get(params)` for paging: one page of `path`, decoded as `model`, counted against
        one read's caps (a getter is made per read)."""
        budget = Budget(self._caps, f"{api.name} GET {path}")

        async def get(params: Mapping[str, str]) -> ModelT:
            budget.take_page()
            page, size = await self._get(api, path, params, model)
            budget.take_bytes(size)
            return page

        return get

    # -- one GET, shared and retried ---------------------------------------------------------

    async def _get(
        self, api: Api, path: str, params: Mapping[str, str], model: type[ModelT]
    ) -> tuple[ModelT, int]:
        """GET one resource: the page and its body's size. Identical GETs in flight share one."""
        key: Hashable = (api.name, path, tuple(sorted(params.items())), model, self._policy)
        page, size = await self._shared.flights.run(
            key, lambda: self._fetch(api, path, params, model)
        )
        assert isinstance(page, model)  # the key holds the model
        return page, size

    async def _fetch(
        self, api: Api, path: str, params: Mapping[str, str], model: type[ModelT]
    ) -> tuple[ModelT, int]:
        """GET and parse one resource, retrying 429, 5xx and transport failures."""
        what = f"{api.name} GET {path}"
        backoff = self._shared.backoff
        turn = backoff.turn()
        attempts = self._policy.max_attempts
        try:
            for attempt in range(1, attempts + 1):
                await turn.ready()
                response: httpx.Response | None = None
                try:
                    response = await send_get(
                        self._http, self._shared.slots, api, path, params, self._caps
                    )
                    if response.status_code != 429:
                        backoff.open()
                        turn.release()  # the probe's job is done: the others may go now
                    return await parse(response, model, what), len(response.content)
                except (VccRateLimited, VccUnavailable) as exc:
                    retry_after = response.headers.get("Retry-After") if response else None
                    delay = self._policy.delay(
                        attempt, retry_after=retry_after, now=self._clock.now()
                    )
                    if isinstance(exc, VccRateLimited):
                        backoff.close(delay)  # every caller waits it out; see Turn.ready
                    if attempt >= attempts:
                        log.warning("VCC %s failed after %d attempts: %s", what, attempt, exc)
                        raise
                    log.info(
                        "VCC %s failed (attempt %d/%d): %s; retrying in %.2f s",
                        what,
                        attempt,
                        attempts,
                        exc,
                        delay,
                    )
                    if not isinstance(exc, VccRateLimited):
                        await self._sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            turn.release()


def build_vcc_client(
    *,
    base_url: str,
    token_url: str,
    client_id: str,
    client_secret: SecretStr,
    clock: Clock,
    timeout: float | httpx.Timeout = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    policy: RetryPolicy = _DEFAULT_POLICY,
    page_limit: int = 1000,
    window_limit: timedelta = timedelta(days=31),
    deadline: float = Caps.deadline,
    max_pages: int = Caps.max_pages,
    max_bytes: int = Caps.max_bytes,
    connections: int = POOL_SIZE,
) -> VccClient:
    """A VccClient on one `httpx.AsyncClient`, with one token cache per scope.

    Stats is read at `base_url + "/stats"` (scope `stats`), User Admin at
    `base_url + "/useradmin"` (scope `users:read`).

    Args:
        timeout: seconds per request phase, or an `httpx.Timeout` to set phases apart.
        transport: the httpx transport (None: httpx's own, over the network).
        sleep: how to wait between retries; tests inject a recorder.
        page_limit: the `limit` sent on every list request (halved if VCC rejects it).
        window_limit: longest `start`-`end` span per Stats request; longer windows are split.
        deadline, max_pages, max_bytes: per read (all its pages and retries), see `Caps`.
        connections: the connection pool's size, and how many requests are in flight at once
            (a `transport` of your own keeps its own pool: give it at least this many).
    """
    # Both validate before anything is opened.
    paging = Paging(page_limit=page_limit, window_limit=window_limit)
    caps = Caps(deadline=deadline, max_pages=max_pages, max_bytes=max_bytes)
    auth = functools.partial(  # one token flow (and cache) per scope
        ClientCredentialsAuth, token_url=token_url, client_id=client_id, clock=clock
    )
    root = base_url.rstrip("/")
    http = httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": "agentstate/0.1"},
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )

    return VccClient(
        http,
        stats_url=f"{root}/stats",
        useradmin_url=f"{root}/useradmin",
        stats_auth=auth(client_secret=client_secret, scope="stats"),
        users_auth=auth(client_secret=client_secret, scope="users:read"),
        clock=clock,
        sleep=sleep,
        policy=policy,
        paging=paging,
        caps=caps,
        connections=connections,
    )
