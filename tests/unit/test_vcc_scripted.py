"""bot.vcc.auth and bot.vcc.client against scripted responses through an injected transport.

These cover what the simulator cannot easily be made to say (token-endpoint failures, a 400
naming `limit`, 403, users lists with and without `meta`). No sockets: `httpx.MockTransport`
is passed in exactly where the real transport would be. The loopback tests against the
simulator live in tests/integration/test_vcc_client.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from bot.clock import FrozenClock
from bot.errors import (
    VccAuthError,
    VccBadResponse,
    VccRateLimited,
    VccRequestError,
    VccUnavailable,
)
from bot.vcc import ClientCredentialsAuth, RetryPolicy, VccClient, build_vcc_client
from tests.fakes import Sleeps

SECRET = "s3cr3t-do-not-leak"
BASE = "https://vcc.test"
TOKEN_URL = "https://auth.test/Auth/connect/token"
T0 = datetime(2025, 3, 11, 14, 0, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def state_row(agent: str, start: datetime, state: str = "Ready") -> dict[str, Any]:
    return {
        "agentId": agent,
        "start": iso(start),
        "duration": None,
        "state": state,
        "description": state,
    }


def page(items: list[dict[str, Any]], page_no: int, page_count: int, up_to: datetime) -> Any:
    return {
        "meta": {
            "page": page_no,
            "count": len(items),
            "pageCount": page_count,
            "totalCount": 0,
        },
        "items": items,
        "upTo": iso(up_to),
    }


@dataclass
class FakeVcc:
    """Token endpoint plus scripted API routes; records every request."""

    routes: dict[str, Handler] = field(default_factory=dict)
    token_responses: list[httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    issued: int = 0
    valid: set[str] = field(default_factory=set)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent requests interleave
        if str(request.url) == TOKEN_URL:
            if self.token_responses:
                return self.token_responses.pop(0)
            form = parse_qs(request.content.decode())
            if form["client_secret"] != [SECRET]:
                return httpx.Response(400, json={"error": "invalid_client"})
            self.issued += 1
            token = f"tok-{form['scope'][0]}-{self.issued}"
            self.valid.add(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": 7200})
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid:
            return httpx.Response(
                401,
                json={
                    "error_description": "The access token is invalid or has expired",
                    "error": "invalid_token",
                },
            )
        handler = self.routes.get(request.url.path)
        if handler is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return handler(request)

    def token_posts(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == TOKEN_URL]

    def api_requests(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def fake() -> FakeVcc:
    return FakeVcc()


@pytest.fixture
async def client(fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps) -> Any:
    vcc = build_vcc_client(
        base_url=BASE,
        token_url=TOKEN_URL,
        client_id="cid",
        client_secret=SecretStr(SECRET),
        clock=clock,
        transport=httpx.MockTransport(fake),
        sleep=sleeps,
        policy=RetryPolicy(max_attempts=3, random=lambda: 0.5),
    )
    yield vcc
    await vcc.aclose()


def make_client(fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps, **kwargs: Any) -> VccClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))

    def auth(scope: str) -> ClientCredentialsAuth:
        return ClientCredentialsAuth(
            token_url=TOKEN_URL,
            client_id="cid",
            client_secret=SecretStr(SECRET),
            scope=scope,
            clock=clock,
        )

    return VccClient(
        http,
        stats_url=f"{BASE}/stats",
        useradmin_url=f"{BASE}/useradmin",
        stats_auth=auth("stats"),
        users_auth=auth("users:read"),
        clock=clock,
        sleep=sleeps,
        policy=RetryPolicy(max_attempts=3, random=lambda: 0.5),
        **kwargs,
    )


def status_route(up_to: datetime = T0) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page([], 1, 0, up_to))

    return handler


class TestAuth:
    async def test_token_request_is_form_encoded_client_credentials(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """The token POST carries all four form fields, URL-encoded, for the right scope."""
        fake.routes["/stats/agent-status"] = status_route()
        await client.agent_status()
        (post,) = fake.token_posts()
        assert post.method == "POST"
        assert post.headers["content-type"] == "application/x-www-form-urlencoded"
        assert parse_qs(post.content.decode()) == {
            "grant_type": ["client_credentials"],
            "client_id": ["cid"],
            "client_secret": [SECRET],
            "scope": ["stats"],
        }

    async def test_concurrent_requests_share_one_token_request(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """Twenty concurrent reads cause exactly one token request."""
        fake.routes["/stats/agent-status"] = status_route()
        await asyncio.gather(*(client.agent_status() for _ in range(20)))
        assert len(fake.token_posts()) == 1
        assert len(fake.api_requests("/stats/agent-status")) == 20

    async def test_one_token_per_scope(self, client: VccClient, fake: FakeVcc) -> None:
        """Stats and User Admin use separate tokens, fetched for their own scopes."""
        fake.routes["/stats/agent-status"] = status_route()
        fake.routes["/useradmin/groups"] = lambda r: httpx.Response(200, json={"groups": []})
        await client.agent_status()
        await client.groups()
        scopes = [parse_qs(p.content.decode())["scope"][0] for p in fake.token_posts()]
        assert scopes == ["stats", "users:read"]

    async def test_token_reused_until_refresh_margin(
        self, client: VccClient, fake: FakeVcc, clock: FrozenClock
    ) -> None:
        """The token is cached and replaced only within 5 minutes of its expiry."""
        fake.routes["/stats/agent-status"] = status_route()
        await client.agent_status()
        clock.advance(timedelta(seconds=7200 - 301))
        await client.agent_status()
        assert len(fake.token_posts()) == 1
        clock.advance(timedelta(seconds=2))
        await client.agent_status()
        assert len(fake.token_posts()) == 2

    async def test_short_lived_token_is_not_refetched_every_time(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """A token shorter-lived than the margin is still reused (margin capped at half life)."""
        fake.routes["/stats/agent-status"] = status_route()
        fake.token_responses.append(
            httpx.Response(200, json={"access_token": "short", "expires_in": 60})
        )
        fake.valid.add("short")
        await client.agent_status()
        await client.agent_status()
        assert len(fake.token_posts()) == 1

    async def test_401_refreshes_once_and_resends(self, client: VccClient, fake: FakeVcc) -> None:
        """A 401 drops the token, fetches one new token and resends the request once."""
        fake.routes["/stats/agent-status"] = status_route()
        await client.agent_status()
        fake.valid.clear()  # the server forgets every token
        await client.agent_status()
        assert len(fake.token_posts()) == 2
        assert len(fake.api_requests("/stats/agent-status")) == 3

    async def test_second_401_is_vcc_auth_error(self, client: VccClient, fake: FakeVcc) -> None:
        """A 401 on the resend is not retried again; it surfaces as VccAuthError."""
        fake.token_responses.extend(
            httpx.Response(200, json={"access_token": f"dud{n}", "expires_in": 7200})
            for n in range(2)
        )
        with pytest.raises(VccAuthError, match="invalid or has expired") as info:
            await client.agent_status()
        assert info.value.status == 401
        assert len(fake.token_posts()) == 2
        assert len(fake.api_requests("/stats/agent-status")) == 2

    async def test_refused_credentials_name_the_oauth_error_not_the_secret(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A token 400 is VccAuthError naming `invalid_client`; the secret appears nowhere."""
        caplog.set_level(logging.DEBUG)
        vcc = build_vcc_client(
            base_url=BASE,
            token_url=TOKEN_URL,
            client_id="cid",
            client_secret=SecretStr("wrong-secret-value"),
            clock=clock,
            transport=httpx.MockTransport(fake),
            sleep=sleeps,
        )
        async with vcc:
            with pytest.raises(VccAuthError, match="invalid_client") as info:
                await vcc.agent_status()
        assert info.value.status == 400
        assert "wrong-secret-value" not in str(info.value)
        assert "wrong-secret-value" not in repr(info.value)
        assert "wrong-secret-value" not in caplog.text
        assert sleeps.delays == []  # refused credentials are not retried

    async def test_secret_echoed_by_server_is_redacted(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """Even a token endpoint that echoes the secret cannot put it in the error text."""
        fake.token_responses.append(
            httpx.Response(401, json={"error": "invalid_client", "error_description": SECRET})
        )
        with pytest.raises(VccAuthError) as info:
            await client.agent_status()
        assert SECRET not in str(info.value)

    async def test_token_endpoint_5xx_is_retried_then_unavailable(
        self, client: VccClient, fake: FakeVcc, sleeps: Sleeps
    ) -> None:
        """A failing token endpoint is retried like any 5xx, then VccUnavailable."""
        fake.token_responses.extend(httpx.Response(503) for _ in range(3))
        with pytest.raises(VccUnavailable, match="token endpoint"):
            await client.agent_status()
        assert len(sleeps.delays) == 2

    async def test_malformed_token_response_is_bad_response(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """A 200 from the token endpoint without an access token is VccBadResponse."""
        fake.token_responses.append(httpx.Response(200, json={"expires_in": 7200}))
        with pytest.raises(VccBadResponse, match="token"):
            await client.agent_status()

    @pytest.fixture
    def auth(self, clock: FrozenClock) -> ClientCredentialsAuth:
        return ClientCredentialsAuth(
            token_url=TOKEN_URL,
            client_id="cid",
            client_secret=SecretStr(SECRET),
            scope="stats",
            clock=clock,
        )

    def test_repr_hides_the_secret(self, auth: ClientCredentialsAuth) -> None:
        """Neither repr nor str of the auth shows the secret."""
        assert SECRET not in repr(auth)
        assert SECRET not in str(auth)
        assert SECRET not in repr(vars(auth))

    def test_sync_client_is_refused(self, auth: ClientCredentialsAuth) -> None:
        """The flow is async-only; a sync client gets a clear error, not a hang."""
        with (
            httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as sync,
            pytest.raises(RuntimeError, match="AsyncClient"),
        ):
            sync.get(f"{BASE}/stats/agent-status", auth=auth)


class TestStatusMapping:
    @pytest.mark.parametrize(
        ("status", "body", "error", "text"),
        [
            (400, {"message": "Invalid DateTime"}, VccRequestError, "Invalid DateTime"),
            (404, {"message": "Not Found"}, VccRequestError, "Not Found"),
            (422, {"error": "unprocessable"}, VccRequestError, "unprocessable"),
            (403, {}, VccAuthError, "403"),
            (
                400,
                {"statusCode": 400, "error": "Bad Request", "message": "Invalid Accept header!"},
                VccRequestError,
                "Invalid Accept header!",
            ),
            (
                409,
                {"error_description": "described", "error": "code"},
                VccRequestError,
                "described",
            ),
        ],
    )
    async def test_4xx_is_typed_with_the_server_message(
        self,
        client: VccClient,
        fake: FakeVcc,
        sleeps: Sleeps,
        status: int,
        body: dict[str, Any],
        error: type[Exception],
        text: str,
    ) -> None:
        """Other 4xx map to their error with VCC's message (`message`, else the OAuth keys)."""
        fake.routes["/stats/agent-status"] = lambda r: httpx.Response(status, json=body)
        with pytest.raises(error, match=text) as info:
            await client.agent_status()
        assert getattr(info.value, "status", None) == status
        assert sleeps.delays == []  # client errors are not retried

    async def test_429_honours_http_date_retry_after(
        self, client: VccClient, fake: FakeVcc, sleeps: Sleeps, clock: FrozenClock
    ) -> None:
        """Retry-After as an HTTP date is waited out relative to the injected clock."""
        answers = iter(
            [
                httpx.Response(
                    429,
                    headers={
                        "Retry-After": format_datetime(clock.now() + timedelta(seconds=7), True)
                    },
                    json={"message": "Too Many Requests"},
                ),
                httpx.Response(200, json=page([], 1, 0, T0)),
            ]
        )
        fake.routes["/stats/agent-status"] = lambda r: next(answers)
        await client.agent_status()
        assert sleeps.delays == [7.0]

    async def test_429_until_exhausted_is_rate_limited(
        self, client: VccClient, fake: FakeVcc, sleeps: Sleeps
    ) -> None:
        """429 on every attempt ends as VccRateLimited after max_attempts."""
        fake.routes["/stats/agent-status"] = lambda r: httpx.Response(
            429, json={"message": "Too Many Requests"}
        )
        with pytest.raises(VccRateLimited, match="Too Many Requests"):
            await client.agent_status()
        assert len(fake.api_requests("/stats/agent-status")) == 3
        assert sleeps.delays == [0.25, 0.5]  # backoff 0.5, 1.0 with jitter 0.5

    async def test_wrong_shape_is_bad_response(self, client: VccClient, fake: FakeVcc) -> None:
        """Valid JSON that is not the documented envelope is VccBadResponse, not retried."""
        fake.routes["/stats/agent-status"] = lambda r: httpx.Response(200, json={"items": 3})
        with pytest.raises(VccBadResponse, match="unexpected shape"):
            await client.agent_status()
        assert len(fake.api_requests("/stats/agent-status")) == 1

    async def test_connection_error_is_retried_then_unavailable(
        self, client: VccClient, fake: FakeVcc, sleeps: Sleeps
    ) -> None:
        """A transport failure is retried with backoff, then VccUnavailable from the cause."""

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        fake.routes["/stats/agent-status"] = refuse
        with pytest.raises(VccUnavailable, match="ConnectError") as info:
            await client.agent_status()
        assert isinstance(info.value.__cause__, httpx.ConnectError)
        assert len(sleeps.delays) == 2


class TestPaging:
    async def test_limit_named_in_400_is_halved(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps
    ) -> None:
        """A 400 naming `limit` restarts the read with half the limit, which then sticks."""
        seen: list[int] = []

        def handler(request: httpx.Request) -> httpx.Response:
            limit = int(request.url.params["limit"])
            seen.append(limit)
            if limit > 250:
                return httpx.Response(
                    400,
                    json={
                        "statusCode": 400,
                        "error": "Bad Request",
                        "message": '"limit" must be less than or equal to 250',
                    },
                )
            return httpx.Response(200, json=page([], 1, 0, T0))

        fake.routes["/stats/agent-status"] = handler
        async with make_client(fake, clock, sleeps, page_limit=1000) as vcc:
            await vcc.agent_status()
            await vcc.agent_status()
        assert seen == [1000, 500, 250, 250]

    async def test_window_limit_message_is_not_a_page_limit(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """ "Request window size limit exceeded" is a plain VccRequestError, limit untouched."""
        fake.routes["/stats/wfm/agent-states"] = lambda r: httpx.Response(
            400, json={"message": "Request window size limit exceeded 31 days"}
        )
        with pytest.raises(VccRequestError, match="window size"):
            await client.agent_states(T0 - timedelta(days=1), T0)
        assert len(fake.api_requests("/stats/wfm/agent-states")) == 1

    async def test_overlapping_slices_deduplicate_later_copy_wins(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps
    ) -> None:
        """A row returned by two slices appears once, as the later slice's copy, sorted."""
        first_start = T0 - timedelta(days=3)
        boundary = T0 - timedelta(days=2)

        def handler(request: httpx.Request) -> httpx.Response:
            start = request.url.params["start"]
            if start == iso(first_start):
                rows = [
                    state_row("2", boundary - timedelta(minutes=5), "Busy"),
                    state_row("1", boundary - timedelta(minutes=5), "Ready"),
                ]
                return httpx.Response(200, json=page(rows, 1, 1, T0))
            rows = [
                state_row("1", boundary - timedelta(minutes=5), "Away"),
                state_row("1", boundary + timedelta(minutes=1), "Ready"),
            ]
            return httpx.Response(200, json=page(rows, 1, 1, T0 + timedelta(seconds=1)))

        fake.routes["/stats/wfm/agent-states"] = handler
        async with make_client(fake, clock, sleeps, max_window=timedelta(days=1)) as vcc:
            result = await vcc.agent_states(first_start, T0 - timedelta(days=1))
        assert [(r.agent_id, r.raw_state) for r in result.rows] == [
            ("1", "Away"),
            ("2", "Busy"),
            ("1", "Ready"),
        ]
        assert result.as_of == T0

    async def test_empty_window_still_asks_once(self, client: VccClient, fake: FakeVcc) -> None:
        """start == end is one request (for `upTo`), not zero; end before start is refused."""
        fake.routes["/stats/wfm/agent-states"] = status_route(T0)
        result = await client.agent_states(T0, T0)
        assert result.rows == ()
        assert result.as_of == T0
        with pytest.raises(ValueError, match="before"):
            await client.agent_states(T0, T0 - timedelta(seconds=1))

    async def test_users_without_meta_stop_on_short_page(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps
    ) -> None:
        """The users list has no meta: paging stops at the first page shorter than limit."""

        def handler(request: httpx.Request) -> httpx.Response:
            page_no = int(request.url.params["page"])
            count = {1: 2, 2: 2, 3: 1}[page_no]
            users = [
                {"userId": f"u{page_no}-{n}", "name": f"User {page_no}.{n}"} for n in range(count)
            ]
            return httpx.Response(200, json={"users": users})

        fake.routes["/useradmin/users"] = handler
        async with make_client(fake, clock, sleeps, page_limit=2) as vcc:
            users = await vcc.users(include="All")
        assert [u.user_id for u in users] == ["u1-0", "u1-1", "u2-0", "u2-1", "u3-0"]
        requests = fake.api_requests("/useradmin/users")
        assert [r.url.params["page"] for r in requests] == ["1", "2", "3"]
        assert {r.url.params["include"] for r in requests} == {"All"}
        assert {r.headers["accept"] for r in requests} == {"application/vnd.newvoicemedia.v4+json"}

    async def test_users_with_meta_stop_on_last_page(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps
    ) -> None:
        """When a meta is present, its pageCount ends paging even on a full page."""

        def handler(request: httpx.Request) -> httpx.Response:
            body = {
                "meta": {"page": 1, "count": 2, "pageCount": 1, "totalCount": 2},
                "users": [{"userId": "a"}, {"userId": "b"}],
            }
            return httpx.Response(200, json=body)

        fake.routes["/useradmin/users"] = handler
        async with make_client(fake, clock, sleeps, page_limit=2) as vcc:
            users = await vcc.users()
        assert [u.user_id for u in users] == ["a", "b"]
        assert len(fake.api_requests("/useradmin/users")) == 1

    async def test_meta_wins_over_a_short_page(
        self, fake: FakeVcc, clock: FrozenClock, sleeps: Sleeps
    ) -> None:
        """A server that caps pages below our limit still has every page read: with a meta,
        pageCount (not a short page) says when to stop."""

        def handler(request: httpx.Request) -> httpx.Response:
            page_no = int(request.url.params["page"])
            body = {
                "meta": {"page": page_no, "count": 1, "pageCount": 3, "totalCount": 3},
                "groups": [{"groupId": f"g{page_no}", "groupName": f"Team {page_no}"}],
            }
            return httpx.Response(200, json=body)

        fake.routes["/useradmin/groups"] = handler
        async with make_client(fake, clock, sleeps, page_limit=100) as vcc:
            groups = await vcc.groups()
        assert [g.group_id for g in groups] == ["g1", "g2", "g3"]

    async def test_group_id_is_path_escaped(self, client: VccClient, fake: FakeVcc) -> None:
        """A group id is one path segment, whatever characters it holds."""
        fake.routes["/useradmin/groups/a/b/users"] = lambda r: httpx.Response(  # decoded path
            200, json={"users": [{"userId": "u", "agentDisplayId": "002", "name": "N"}]}
        )
        members = await client.group_members("a/b")
        assert [(m.user_id, m.agent_id, m.name) for m in members] == [("u", "002", "N")]
        (request,) = fake.api_requests("/useradmin/groups/a/b/users")
        assert request.url.raw_path.startswith(b"/useradmin/groups/a%2Fb/users?")


class TestLogging:
    async def test_retries_logged_without_secret_or_token(
        self,
        client: VccClient,
        fake: FakeVcc,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Retries and refreshes are logged on "bot.vcc"; neither secret nor token appears."""
        caplog.set_level(logging.DEBUG)
        answers = iter(
            [
                httpx.Response(503, json={"message": "Service Unavailable"}),
                httpx.Response(200, json=page([], 1, 0, T0)),
                httpx.Response(200, json=page([], 1, 0, T0)),
            ]
        )
        fake.routes["/stats/agent-status"] = lambda r: next(answers)
        await client.agent_status()
        fake.valid.clear()
        await client.agent_status()
        retries = [
            r for r in caplog.records if r.name == "bot.vcc" and "retrying" in r.getMessage()
        ]
        assert [r.levelno for r in retries] == [logging.INFO]
        assert any("401" in r.getMessage() for r in caplog.records if r.name == "bot.vcc")
        assert SECRET not in caplog.text
        assert "tok-" not in caplog.text
