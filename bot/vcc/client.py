"""The async VCC client: one method per endpoint, built once by `build_vcc_client`.

Everything VCC-shaped stops here: callers get `bot.vcc.models` values or a `bot.errors.VccError`
subclass. Statuses are mapped in `bot.vcc.decode`, list walking lives in `bot.vcc.paging`; this
module sends one request at a time, retries it by the `RetryPolicy` and sleeps only through the
injected `sleep`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr

from bot.clock import Clock
from bot.errors import VccBadResponse, VccRateLimited, VccUnavailable
from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.decode import decode
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

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class _Api:
    """One VCC API as the client talks to it: base URL, Accept header, auth (one per scope)."""

    name: str
    base_url: str
    accept: str
    auth: httpx.Auth


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
    ) -> None:
        self._paging = paging if paging is not None else Paging()
        self._http = http
        self._owns_http = True
        self._stats = _Api("stats", stats_url.rstrip("/"), STATS_ACCEPT, stats_auth)
        self._useradmin = _Api("useradmin", useradmin_url.rstrip("/"), USERADMIN_ACCEPT, users_auth)
        self._clock = clock
        self._sleep = sleep
        self._policy = policy

    def __repr__(self) -> str:
        return (
            f"VccClient(stats_url={self._stats.base_url!r}, "
            f"useradmin_url={self._useradmin.base_url!r})"
        )

    def with_policy(self, policy: RetryPolicy) -> VccClient:
        """This client with another retry policy, sharing its tokens, pool and paging.

        The view holds the same `httpx.AsyncClient` (one connection pool) and the same auth
        flows (one token cache per scope). Closing the view leaves the pool open: only the
        client that built it closes it.
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
        return await self._paging.state_rows(path, get, start, end, params)

    async def agent_status(self) -> StatusSnapshot:
        """Every agent's current status (`GET /stats/agent-status`), one per agent, by agentId.

        An agent seen on two pages (the list moved while we paged) keeps the later copy.
        """
        path = "/agent-status"
        get = self._getter(self._stats, path, Page[AgentStatus])
        items, up_to = await self._paging.stats(path, get, {})
        latest = {item.agent_id: item for item in items}
        ordered = tuple(latest[key] for key in sorted(latest))
        return StatusSnapshot(items=ordered, as_of=up_to)

    # -- User Admin ----------------------------------------------------------------------

    async def users(self, include: UserInclude = "Active") -> list[User]:
        """Users (`GET /useradmin/users`), in VCC's order, one per userId."""
        get = self._getter(self._useradmin, "/users", _UserListing)
        users = await self._paging.listing("/users", get, {"include": include})
        return list({user.user_id: user for user in users}.values())

    async def groups(self) -> list[Group]:
        """Groups (teams) (`GET /useradmin/groups`), in VCC's order, one per groupId."""
        get = self._getter(self._useradmin, "/groups", _GroupListing)
        groups = await self._paging.listing("/groups", get, {})
        return list({group.group_id: group for group in groups}.values())

    async def group_members(self, group_id: str) -> list[GroupMember]:
        """Members of one group (`GET /useradmin/groups/{groupId}/users`), one per userId."""
        path = f"/groups/{quote(group_id, safe='')}/users"
        get = self._getter(self._useradmin, path, _MemberListing)
        members = await self._paging.listing("/groups/{groupId}/users", get, {})
        return list({member.user_id: member for member in members}.values())

    # -- one request, retried --------------------------------------------------------------

    def _getter(self, api: _Api, path: str, model: type[ModelT]) -> GetPage[ModelT]:
        """`get(params)` for paging: one page of `path`, retried and decoded as `model`."""

        async def get(params: Mapping[str, str]) -> ModelT:
            return await self._get(api, path, params, model)

        return get

    async def _get(
        self, api: _Api, path: str, params: Mapping[str, str], model: type[ModelT]
    ) -> ModelT:
        """GET one resource and parse it, retrying 429, 5xx and transport failures."""
        url = api.base_url + path
        attempts = self._policy.max_attempts
        for attempt in range(1, attempts + 1):
            response: httpx.Response | None = None
            try:
                response = await self._send(api, url, params)
                return decode(response, model, f"{api.name} GET {path}")
            except (VccRateLimited, VccUnavailable) as exc:
                if attempt >= attempts:
                    log.warning(
                        "VCC %s GET %s failed after %d attempts: %s", api.name, path, attempt, exc
                    )
                    raise
                retry_after = response.headers.get("Retry-After") if response else None
                delay = self._policy.delay(attempt, retry_after=retry_after, now=self._clock.now())
                log.info(
                    "VCC %s GET %s failed (attempt %d/%d): %s; retrying in %.2f s",
                    api.name,
                    path,
                    attempt,
                    attempts,
                    exc,
                    delay,
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, api: _Api, url: str, params: Mapping[str, str]) -> httpx.Response:
        """One GET through the auth flow; transport failures become VccUnavailable."""
        try:
            return await self._http.get(
                url, params=dict(params), headers={"Accept": api.accept}, auth=api.auth
            )
        except httpx.TimeoutException as exc:
            raise VccUnavailable(f"VCC {api.name} timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise VccUnavailable(
                f"VCC {api.name} could not be reached ({type(exc).__name__})"
            ) from exc
        except httpx.RequestError as exc:  # e.g. undecodable content encoding
            raise VccBadResponse(f"VCC {api.name} answered unreadably: {exc}") from exc


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
    """
    paging = Paging(page_limit=page_limit, window_limit=window_limit)  # validates before we open
    root = base_url.rstrip("/")
    http = httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": "agentstate/0.1"},
    )

    def auth(scope: str) -> ClientCredentialsAuth:
        return ClientCredentialsAuth(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            clock=clock,
        )

    return VccClient(
        http,
        stats_url=f"{root}/stats",
        useradmin_url=f"{root}/useradmin",
        stats_auth=auth("stats"),
        users_auth=auth("users:read"),
        clock=clock,
        sleep=sleep,
        policy=policy,
        paging=paging,
    )
