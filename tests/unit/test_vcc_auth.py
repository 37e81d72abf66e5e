"""bot.vcc.auth, the OAuth client-credentials flow, against a scripted token endpoint.

No sockets: `httpx.MockTransport` is passed to `build_vcc_client` where the real transport
would be, so token requests travel the same `httpx.AsyncClient` as in production.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from bot.clock import FrozenClock
from bot.errors import VccAuthError, VccBadResponse, VccUnavailable
from bot.vcc import ClientCredentialsAuth, VccClient
from tests.fakes import Sleeps
from tests.support.vcc import (
    SCRIPTED_BASE,
    SCRIPTED_NOW,
    SCRIPTED_SECRET,
    SCRIPTED_TOKEN_URL,
    FakeVcc,
    scripted_client,
    status_route,
)

T0 = SCRIPTED_NOW


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
            "client_secret": [SCRIPTED_SECRET],
            "scope": ["stats"],
        }

    async def test_concurrent_requests_share_one_token_request(
        self, client: VccClient, fake: FakeVcc
    ) -> None:
        """Twenty concurrent reads (different ones, so none shares another's GET) cause
        exactly one token request."""
        path = "/stats/wfm/agent-states"
        fake.routes[path] = status_route()
        start = T0 - timedelta(hours=1)
        agents = [str(1001 + n) for n in range(20)]
        await asyncio.gather(*(client.agent_states(start, T0, agent_id=a) for a in agents))
        assert len(fake.token_posts()) == 1
        assert len(fake.api_requests(path)) == 20

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
        vcc = scripted_client(
            fake, clock, client_secret=SecretStr("wrong-secret-value"), sleep=sleeps
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
            httpx.Response(
                401, json={"error": "invalid_client", "error_description": SCRIPTED_SECRET}
            )
        )
        with pytest.raises(VccAuthError) as info:
            await client.agent_status()
        assert SCRIPTED_SECRET not in str(info.value)

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
            token_url=SCRIPTED_TOKEN_URL,
            client_id="cid",
            client_secret=SecretStr(SCRIPTED_SECRET),
            scope="stats",
            clock=clock,
        )

    def test_repr_hides_the_secret(self, auth: ClientCredentialsAuth) -> None:
        """Neither repr nor str of the auth shows the secret."""
        assert SCRIPTED_SECRET not in repr(auth)
        assert SCRIPTED_SECRET not in str(auth)
        assert SCRIPTED_SECRET not in repr(vars(auth))

    def test_sync_client_is_refused(self, auth: ClientCredentialsAuth) -> None:
        """The flow is async-only; a sync client gets a clear error, not a hang."""
        with (
            httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as sync,
            pytest.raises(RuntimeError, match="AsyncClient"),
        ):
            sync.get(f"{SCRIPTED_BASE}/stats/agent-status", auth=auth)
