"""The simulated VCC's tokens over real loopback: issuing, refusing, checking, expiring."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.clock import FrozenClock
from bot.sim import SimServer
from tests.support.sim import STATS_ACCEPT, USERADMIN_ACCEPT, sim_token, token_form

STATUS = "/stats/agent-status"


class TestToken:
    def test_issues_a_bearer_token_per_scope(self, sim_http: httpx.Client) -> None:
        """A good form gets a token for its scope, living token_ttl seconds."""
        for scope in ("stats", "users:read"):
            response = sim_http.post("/Auth/connect/token", data=token_form(scope=scope))
            assert response.status_code == 200
            body = response.json()
            assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
            assert (body["expires_in"], body["token_type"], body["scope"]) == (
                7200,
                "Bearer",
                scope,
            )
        first = sim_http.post("/Auth/connect/token", data=token_form()).json()["access_token"]
        second = sim_http.post("/Auth/connect/token", data=token_form()).json()["access_token"]
        assert first != second

    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"client_secret": "wrong"}, "invalid_client"),
            ({"client_id": "someone-else"}, "invalid_client"),
            ({"scope": "calls"}, "invalid_scope"),
            ({"scope": ""}, "invalid_scope"),
            ({"grant_type": "password"}, "unsupported_grant_type"),
        ],
    )
    def test_refuses_a_bad_form(
        self, sim_http: httpx.Client, changes: dict[str, str], error: str
    ) -> None:
        """Wrong credentials, scope or grant: 400 with the OAuth error."""
        response = sim_http.post("/Auth/connect/token", data=token_form(**changes))
        assert (response.status_code, response.json()) == (400, {"error": error})

    def test_wants_a_form_body(self, sim_http: httpx.Client) -> None:
        """A JSON body is not the documented form encoding."""
        response = sim_http.post("/Auth/connect/token", json=token_form())
        assert (response.status_code, response.json()) == (400, {"error": "invalid_request"})


class TestAuthorization:
    def test_missing_token(self, sim_http: httpx.Client) -> None:
        response = sim_http.get(STATUS, headers={"Accept": STATS_ACCEPT})
        assert response.status_code == 401
        assert response.json() == {
            "error_description": "The access token is missing",
            "error": "invalid_request",
        }

    def test_unknown_token(self, sim_http: httpx.Client) -> None:
        response = sim_http.get(
            STATUS, headers={"Accept": STATS_ACCEPT, "Authorization": "Bearer nope"}
        )
        assert response.status_code == 401
        assert response.json() == {
            "error_description": "The access token is invalid or has expired",
            "error": "invalid_token",
        }

    def test_token_expires_by_the_clock(
        self, sim_http: httpx.Client, stats_headers: dict[str, str], sim_clock: FrozenClock
    ) -> None:
        """A token is good until expires_in seconds have passed on the server's clock."""
        sim_clock.advance(timedelta(seconds=7199))
        assert sim_http.get(STATUS, headers=stats_headers).status_code == 200
        sim_clock.advance(timedelta(seconds=1))
        response = sim_http.get(STATUS, headers=stats_headers)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")

    def test_lower_case_bearer(self, sim_server: SimServer, sim_http: httpx.Client) -> None:
        """The docs' curl examples write `bearer`; it is accepted."""
        headers = {
            "Authorization": f"bearer {sim_token(sim_server, client=sim_http)}",
            "Accept": STATS_ACCEPT,
        }
        assert sim_http.get(STATUS, headers=headers).status_code == 200

    def test_wrong_scope(
        self, sim_http: httpx.Client, stats_headers: dict[str, str], users_headers: dict[str, str]
    ) -> None:
        """A users:read token on Stats, or a stats token on User Admin: 401 Unauthorized."""
        on_stats = sim_http.get(STATUS, headers={**users_headers, "Accept": STATS_ACCEPT})
        assert (on_stats.status_code, on_stats.json()) == (401, {"message": "Unauthorized"})
        on_users = sim_http.get(
            "/useradmin/groups", headers={**stats_headers, "Accept": USERADMIN_ACCEPT}
        )
        assert (on_users.status_code, on_users.json()) == (401, {"message": "Unauthorized"})
