"""The async VCC client: one method per endpoint, paging, window splitting, retries, typed errors.

Everything VCC-shaped stops here: callers get `bot.vcc.models` values or a `bot.errors.VccError`
subclass. HTTP statuses and transport failures are mapped to that error tree in one place
(`_decode` and `_send`); retries sleep only through the injected `sleep`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.clock import Clock
from bot.errors import (
    VccAuthError,
    VccBadResponse,
    VccRateLimited,
    VccRequestError,
    VccUnavailable,
)
from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.models import (
    AgentState,
    AgentStatus,
    Group,
    GroupMember,
    Include,
    Meta,
    Page,
    StateRows,
    StatusSnapshot,
    User,
    format_time,
)
from bot.vcc.retry import RetryPolicy

__all__ = [
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
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

# A server that keeps saying "there is more" must not keep us paging forever.
_MAX_PAGES = 10_000

ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")


class _LimitRejected(VccRequestError):
    """A 400 whose message names the `limit` parameter (API.md §10: halve it and retry)."""


@dataclass(frozen=True)
class _Api:
    """One VCC API as the client talks to it: base URL, Accept header, auth (one per scope)."""

    name: str
    base_url: str
    accept: str
    auth: httpx.Auth


class _Listing(BaseModel, Generic[ItemT]):
    """A User Admin list: `{meta?, <name>: [...]}`; subclasses alias `entries` to the wire name."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    meta: Meta | None = None
    entries: list[ItemT]


class _UserListing(_Listing[User]):
    entries: list[User] = Field(alias="users")


class _GroupListing(_Listing[Group]):
    entries: list[Group] = Field(alias="groups")


class _MemberListing(_Listing[GroupMember]):
    entries: list[GroupMember] = Field(alias="users")


class VccClient:
    """Reads the VCC Insights Stats and User Admin APIs; implements `StateSource`.

    Args:
        http: the one `httpx.AsyncClient` (timeouts and transport are configured there).
        stats_url: base of the Stats API, e.g. `https://emea.api.newvoicemedia.com/stats`.
        useradmin_url: base of the User Admin API, e.g. `https://emea.api.newvoicemedia.com/useradmin`.
        stats_auth, users_auth: auth flows for the `stats` and `users:read` scopes.
        clock: "now" for Retry-After dates.
        sleep: how to wait between retries; tests inject a recorder.
        policy: when and how often to retry.
        page_limit: the `limit` sent on every list request (halved if VCC rejects it).
        max_window: longest `start`-`end` span per Stats request; longer windows are split.

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
        page_limit: int = 1000,
        max_window: timedelta = timedelta(days=31),
    ) -> None:
        if page_limit < 1:
            raise ValueError("page_limit must be at least 1")
        if max_window <= timedelta(0):
            raise ValueError("max_window must be positive")
        self._http = http
        self._stats = _Api("stats", stats_url.rstrip("/"), STATS_ACCEPT, stats_auth)
        self._useradmin = _Api("useradmin", useradmin_url.rstrip("/"), USERADMIN_ACCEPT, users_auth)
        self._clock = clock
        self._sleep = sleep
        self._policy = policy
        self._page_limit = page_limit
        self._max_window = max_window
        # Per endpoint: the limit VCC last accepted after a "limit" 400; sticks for later reads.
        self._limits: dict[str, int] = {}

    def __repr__(self) -> str:
        return (
            f"VccClient(stats_url={self._stats.base_url!r}, "
            f"useradmin_url={self._useradmin.base_url!r})"
        )

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
        """Close the underlying `httpx.AsyncClient`."""
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

        Windows longer than `max_window` are read as consecutive slices. Rows are
        de-duplicated by (agentId, start), the later copy winning, and sorted by start then
        agentId. `as_of` is the `upTo` of the first page of the first slice.
        """
        if end < start:
            raise ValueError("end is before start")
        rows: dict[tuple[str, datetime], AgentState] = {}
        as_of: datetime | None = None
        for slice_start, slice_end in _slices(start, end, self._max_window):
            params: dict[str, str] = {
                "start": format_time(slice_start),
                "end": format_time(slice_end),
                "include": include,
            }
            if agent_id is not None:
                params["agentId"] = agent_id
            items, up_to = await self._read_stats("/wfm/agent-states", params, Page[AgentState])
            if as_of is None:
                as_of = up_to
            for row in items:
                rows[row.key] = row  # the later copy wins
        assert as_of is not None  # _slices yields at least one slice
        ordered = sorted(rows.values(), key=lambda row: (row.start, row.agent_id))
        return StateRows(rows=tuple(ordered), as_of=as_of)

    async def agent_status(self) -> StatusSnapshot:
        """Every agent's current status (`GET /stats/agent-status`), one per agent, by agentId.

        An agent seen on two pages (the list moved while we paged) keeps the later copy.
        """
        items, up_to = await self._read_stats("/agent-status", {}, Page[AgentStatus])
        latest = {item.agent_id: item for item in items}
        ordered = tuple(latest[key] for key in sorted(latest))
        return StatusSnapshot(items=ordered, as_of=up_to)

    # -- User Admin ----------------------------------------------------------------------

    async def users(self, include: UserInclude = "Active") -> list[User]:
        """Users (`GET /useradmin/users`), in VCC's order, one per userId."""
        users = await self._read_useradmin("/users", {"include": include}, _UserListing)
        return list({user.user_id: user for user in users}.values())

    async def groups(self) -> list[Group]:
        """Groups (teams) (`GET /useradmin/groups`), in VCC's order, one per groupId."""
        groups = await self._read_useradmin("/groups", {}, _GroupListing)
        return list({group.group_id: group for group in groups}.values())

    async def group_members(self, group_id: str) -> list[GroupMember]:
        """Members of one group (`GET /useradmin/groups/{groupId}/users`), one per userId."""
        path = f"/groups/{quote(group_id, safe='')}/users"
        members = await self._read_useradmin(
            path, {}, _MemberListing, limit_key="/groups/{groupId}/users"
        )
        return list({member.user_id: member for member in members}.values())

    # -- paging --------------------------------------------------------------------------

    async def _read_stats(
        self, path: str, params: Mapping[str, str], model: type[Page[ItemT]]
    ) -> tuple[list[ItemT], datetime]:
        """All pages of one Stats read, same params (so `end` is pinned) on every page.

        Returns the items and the `upTo` of the first page. If VCC rejects `limit`, the
        whole read starts again from page 1 with half the limit.
        """
        return await self._with_limit(
            path, lambda limit: self._walk_stats(path, params, model, limit)
        )

    async def _walk_stats(
        self, path: str, params: Mapping[str, str], model: type[Page[ItemT]], limit: int
    ) -> tuple[list[ItemT], datetime]:
        items: list[ItemT] = []
        as_of: datetime | None = None
        for page_no in _page_numbers():
            page = await self._get(
                self._stats, path, {**params, "limit": str(limit), "page": str(page_no)}, model
            )
            if as_of is None:
                as_of = page.up_to
            items.extend(page.items)
            if not page.items or page_no >= page.meta.page_count:
                return items, as_of
        raise AssertionError("unreachable")  # pragma: no cover

    async def _read_useradmin(
        self,
        path: str,
        params: Mapping[str, str],
        model: type[_Listing[ItemT]],
        *,
        limit_key: str | None = None,
    ) -> list[ItemT]:
        """All pages of one User Admin list.

        Stops on a short or empty page, or when a `meta` (where present) says it was the last.
        `limit_key` names the endpoint for the remembered limit when `path` holds an id.
        """
        return await self._with_limit(
            limit_key or path, lambda limit: self._walk_useradmin(path, params, model, limit)
        )

    async def _with_limit(self, key: str, walk: Callable[[int], Awaitable[ResultT]]) -> ResultT:
        """Run one paged read with the endpoint's page limit; if VCC rejects the limit, start
        again from page 1 with half of it (remembered for the endpoint)."""
        while True:
            limit = self._limits.get(key, self._page_limit)
            try:
                return await walk(limit)
            except _LimitRejected:
                if limit <= 1:
                    raise
                self._lower_limit(key, limit)

    async def _walk_useradmin(
        self, path: str, params: Mapping[str, str], model: type[_Listing[ItemT]], limit: int
    ) -> list[ItemT]:
        items: list[ItemT] = []
        for page_no in _page_numbers():
            listing = await self._get(
                self._useradmin,
                path,
                {**params, "limit": str(limit), "page": str(page_no)},
                model,
            )
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

    def _lower_limit(self, path: str, limit: int) -> None:
        lower = max(1, limit // 2)
        log.warning(
            "VCC rejected limit=%d on %s; reading again from page 1 with limit=%d",
            limit,
            path,
            lower,
        )
        self._limits[path] = lower

    # -- one request, retried --------------------------------------------------------------

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
                return _decode(response, model, f"{api.name} GET {path}")
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


def _decode(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
    """The one status mapping: 2xx → model; everything else → the matching VccError.

    Malformed JSON or an unexpected shape on a 2xx is VccBadResponse and is NOT retried: a
    2xx body that is not the documented JSON is most likely a contract change or a wrong base
    URL (an HTML page), which a retry would not fix; it would only spend the shared rate
    budget. A truncated transfer surfaces as an httpx transport error instead, and that is
    retried.
    """
    status = response.status_code
    if 200 <= status < 300:
        try:
            # Parsed and validated in one pass by pydantic-core: a big floor's day is ~10^5 rows.
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise VccBadResponse(
                    f"VCC {what} answered {status} with malformed JSON", status
                ) from exc
            raise VccBadResponse(
                f"VCC {what} answered {status} with an unexpected shape "
                f"({exc.error_count()} problems, first at {_first_location(exc)})",
                status,
            ) from exc
    message = _server_message(response)
    text = f"VCC {what} answered {status}: {message}"
    if status in (401, 403):
        raise VccAuthError(text, status)
    if status == 429:
        raise VccRateLimited(text, status)
    if status >= 500:
        raise VccUnavailable(text, status)
    if status == 400 and _names_limit(message):
        raise _LimitRejected(text, status)
    if status >= 400:
        raise VccRequestError(text, status)
    raise VccBadResponse(text, status)  # 1xx/3xx: we never follow redirects to VCC


def _server_message(response: httpx.Response) -> str:
    """VCC's error text: `message`, else `error_description`, else `error`, else the body."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    text = response.text.strip()
    if text:
        return text[:200]
    return response.reason_phrase or "no message"


_LIMIT_WORD = re.compile(r"\blimit\b", re.IGNORECASE)


def _names_limit(message: str) -> bool:
    # "Request window size limit exceeded 31 days" also says "limit" but is about the window.
    return bool(_LIMIT_WORD.search(message)) and "window" not in message.lower()


def _first_location(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    if not errors:
        return "?"
    return ".".join(str(part) for part in errors[0]["loc"]) or "top level"


def _page_numbers() -> Iterator[int]:
    return iter(range(1, _MAX_PAGES + 1))


def _slices(
    start: datetime, end: datetime, width: timedelta
) -> Iterator[tuple[datetime, datetime]]:
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


def build_vcc_client(
    *,
    base_url: str,
    token_url: str,
    client_id: str,
    client_secret: SecretStr,
    clock: Clock,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    policy: RetryPolicy = _DEFAULT_POLICY,
) -> VccClient:
    """A VccClient on one `httpx.AsyncClient`, with one token cache per scope.

    Stats is read at `base_url + "/stats"` (scope `stats`), User Admin at
    `base_url + "/useradmin"` (scope `users:read`).
    """
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
    )
