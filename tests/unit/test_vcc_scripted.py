"""bot.vcc.client, decode and paging against scripted responses through an injected transport.

These cover what the simulator cannot easily be made to say (a 400 naming `limit`, 403, users
lists with and without `meta`, rows repeated across slices). No sockets: `httpx.MockTransport`
is passed to `build_vcc_client` exactly where the real transport would be. The token flow's
scripted tests are in test_vcc_auth.py, the loopback tests against the simulator in
tests/integration/test_vcc_client.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from bot.clock import FrozenClock
from bot.errors import (
    VccAuthError,
    VccBadResponse,
    VccError,
    VccRateLimited,
    VccRequestError,
    VccUnavailable,
)
from bot.vcc import VccClient
from bot.vcc.decode import error_for_status
from tests.fakes import Sleeps
from tests.support.vcc import (
    SCRIPTED_NOW,
    SCRIPTED_SECRET,
    FakeVcc,
    iso,
    page,
    scripted_client,
    state_row,
    status_route,
)

T0 = SCRIPTED_NOW


class TestStatusMapping:
    @pytest.mark.parametrize(
        ("status", "api", "token_endpoint"),
        [
            (200, None, None),
            (204, None, None),
            (301, VccBadResponse, VccBadResponse),
            (400, VccRequestError, VccAuthError),
            (401, VccAuthError, VccAuthError),
            (403, VccAuthError, VccAuthError),
            (404, VccRequestError, VccAuthError),
            (429, VccRateLimited, VccRateLimited),
            (500, VccUnavailable, VccUnavailable),
            (503, VccUnavailable, VccUnavailable),
        ],
    )
    def test_the_one_status_map(
        self,
        status: int,
        api: type[VccError] | None,
        token_endpoint: type[VccError] | None,
    ) -> None:
        """Each status means one error; at the token endpoint every 4xx is refused credentials."""
        assert error_for_status(status) is api
        assert error_for_status(status, token_endpoint=True) is token_endpoint

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
        async with scripted_client(fake, clock, sleep=sleeps, page_limit=1000) as vcc:
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
        async with scripted_client(
            fake, clock, sleep=sleeps, window_limit=timedelta(days=1)
        ) as vcc:
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
        async with scripted_client(fake, clock, sleep=sleeps, page_limit=2) as vcc:
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
        async with scripted_client(fake, clock, sleep=sleeps, page_limit=2) as vcc:
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
        async with scripted_client(fake, clock, sleep=sleeps, page_limit=100) as vcc:
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
        assert SCRIPTED_SECRET not in caplog.text
        assert "tok-" not in caplog.text
