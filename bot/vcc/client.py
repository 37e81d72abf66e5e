"""The async VCC client: one method per endpoint, built once by `build_vcc_client`.

Everything VCC-shaped stops here: callers get `bot.vcc.models` values or a `bot.errors.VccError`
subclass. Statuses are mapped in `bot.vcc.decode`, list walking lives in `bot.vcc.paging`.

Each method is one read: it ends by its deadline and takes in at most its caps
(`bot.vcc.limits`). A GET identical to one in flight waits for that one (`bot.vcc.flight`).
Every request takes its turn from the one rate budget (`bot.vcc.budget`), interactive views
before `background()` ones; a 429 holds back every caller together, other failures are retried
by the `RetryPolicy`, and sleeping is only ever through the injected `sleep`. A semaphore sized
to the connection pool lets requests queue for a connection without meeting httpx's pool timeout.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from bot.clock import Clock
from bot.errors import VccRateLimited, VccUnavailable
from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.budget import Priority, RateBudget
from bot.vcc.exchange import Api, parse, send_get
from bot.vcc.flight import Shared
from bot.vcc.limits import Budget, Caps, within_deadline
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
from bot.vcc.paging import GetPage, GroupListing, MemberListing, Paging, UserListing
from bot.vcc.retry import RetryPolicy

__all__ = [
    "BACKGROUND_DEADLINE",
    "PATIENT_RETRIES",
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

# For work nobody is waiting on: a poller can sit out a long 429 storm rather than fail a read.
PATIENT_RETRIES = RetryPolicy(max_attempts=8, base=1.0, cap=60.0, max_retry_after=120.0)
# A background read's deadline: the default page cap (200) at 1 request/s, plus 429 pauses.
BACKGROUND_DEADLINE = 600.0

# Connections to VCC at once. Its fair-use budget is low (API.md §10); more would only queue
# there instead of here.
POOL_SIZE = 20

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")


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
        budget: the rate budget every request takes a turn from (default: unlimited, pausing
            only for 429s).

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
        budget: RateBudget | None = None,
    ) -> None:
        if budget is None:
            budget = RateBudget(None, clock=clock, sleep=sleep)
        self._paging = paging if paging is not None else Paging()
        self._caps = caps if caps is not None else Caps()
        self._shared = Shared(connections, budget)
        self._priority = Priority.INTERACTIVE
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

    @property
    def budget(self) -> RateBudget:
        """The rate budget shared by this client and all its views."""
        return self._shared.budget

    def with_policy(self, policy: RetryPolicy) -> VccClient:
        """This client with another retry policy, sharing its tokens, pool, paging and caps.

        The view holds the same `httpx.AsyncClient` (one connection pool), the same auth
        flows (one token cache per scope), the same GETs in flight and the same rate budget,
        at this client's priority. Closing the view leaves the pool open: only the client
        that built it closes it.
        """
        # A shallow copy shares every collaborator by reference; only these two differ.
        view = copy.copy(self)
        view._policy = policy
        view._owns_http = False
        return view

    def background(
        self, policy: RetryPolicy = PATIENT_RETRIES, *, deadline: float | None = None
    ) -> VccClient:
        """This client for reads nobody is waiting on (the poller, catch-up pages, directory
        refreshes), sharing everything as `with_policy` does.

        Its requests take their turns at the rate budget only when no interactive request is
        waiting. Each read may take `deadline` seconds (default: the longer of this client's
        deadline and `BACKGROUND_DEADLINE`), since its pages queue behind interactive ones.
        """
        view = self.with_policy(policy)
        view._priority = Priority.BACKGROUND
        if deadline is None:
            deadline = max(self._caps.deadline, BACKGROUND_DEADLINE)
        view._caps = dataclasses.replace(self._caps, deadline=deadline)  # validates it
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
        get = self._getter(self._useradmin, "/users", UserListing)
        read = self._paging.listing("/users", get, {"include": include})
        users = await self._bounded(self._useradmin, "/users", read)
        return list({user.user_id: user for user in users}.values())

    async def groups(self) -> list[Group]:
        """Groups (teams) (`GET /useradmin/groups`), in VCC's order, one per groupId."""
        get = self._getter(self._useradmin, "/groups", GroupListing)
        groups = await self._bounded(
            self._useradmin, "/groups", self._paging.listing("/groups", get, {})
        )
        return list({group.group_id: group for group in groups}.values())

    async def group_members(self, group_id: str) -> list[GroupMember]:
        """Members of one group (`GET /useradmin/groups/{groupId}/users`), one per userId."""
        path = f"/groups/{quote(group_id, safe='')}/users"
        get = self._getter(self._useradmin, path, MemberListing)
        read = self._paging.listing("/groups/{groupId}/users", get, {})
        members = await self._bounded(self._useradmin, path, read)
        return list({member.user_id: member for member in members}.values())

    # -- one read, bounded --------------------------------------------------------------

    async def _bounded(self, api: Api, path: str, read: Awaitable[ResultT]) -> ResultT:
        """`read`, ended by the deadline: then VccUnavailable, its requests cancelled."""
        return await within_deadline(read, self._caps.deadline, f"{api.name} GET {path}")

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
        query = tuple(sorted(params.items()))
        key: Hashable = (api.name, path, query, model, self._policy, self._priority)
        page, size = await self._shared.flights.run(
            key, lambda: self._fetch(api, path, params, model)
        )
        assert isinstance(page, model)  # the key holds the model
        return page, size

    async def _fetch(
        self, api: Api, path: str, params: Mapping[str, str], model: type[ModelT]
    ) -> tuple[ModelT, int]:
        """GET and parse one resource, each attempt on its own turn from the rate budget;
        429, 5xx and transport failures are retried."""
        what = f"{api.name} GET {path}"
        attempts = self._policy.max_attempts
        for attempt in range(1, attempts + 1):
            response: httpx.Response | None = None
            async with self._shared.budget.admit(self._priority) as permit:
                try:
                    response = await send_get(
                        self._http, self._shared.slots, api, path, params, self._caps
                    )
                    if response.status_code != 429:
                        permit.answered()
                    return await parse(response, model, what), len(response.content)
                except (VccRateLimited, VccUnavailable) as exc:
                    retry_after = response.headers.get("Retry-After") if response else None
                    delay = self._policy.delay(
                        attempt, retry_after=retry_after, now=self._clock.now()
                    )
                    if isinstance(exc, VccRateLimited):
                        permit.throttled(delay)  # every caller waits it out at the budget
                    if attempt >= attempts:
                        log.warning("VCC %s failed after %d attempts: %s", what, attempt, exc)
                        raise
                    failure: VccRateLimited | VccUnavailable = exc
            retry = f"{what} failed (attempt {attempt}/{attempts})"
            log.info("VCC %s: %s; retrying in %.2f s", retry, failure, delay)
            if not isinstance(failure, VccRateLimited):
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


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
    rate: float | None = None,
    burst: int = 3,
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
        rate, burst: the `RateBudget` every request counts against (`AGENTSTATE_VCC_RATE`);
            `rate` None or 0: unlimited, pausing only for 429s.
    """
    # Both validate before anything is opened.
    paging = Paging(page_limit=page_limit, window_limit=window_limit)
    caps = Caps(deadline=deadline, max_pages=max_pages, max_bytes=max_bytes)
    budget = RateBudget(rate, burst=burst, clock=clock, sleep=sleep)
    auth = functools.partial(  # one token flow (and cache) per scope; its requests count too
        ClientCredentialsAuth, token_url=token_url, client_id=client_id, clock=clock
    )
    root = base_url.rstrip("/")
    return VccClient(
        _http_client(timeout, transport, connections),
        stats_url=f"{root}/stats",
        useradmin_url=f"{root}/useradmin",
        stats_auth=auth(client_secret=client_secret, scope="stats", charge=budget.charge),
        users_auth=auth(client_secret=client_secret, scope="users:read", charge=budget.charge),
        clock=clock,
        sleep=sleep,
        policy=policy,
        paging=paging,
        caps=caps,
        connections=connections,
        budget=budget,
    )


def _http_client(
    timeout: float | httpx.Timeout, transport: httpx.AsyncBaseTransport | None, connections: int
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": "agentstate/0.1"},
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
