"""The simulated VCC over real loopback HTTP: tokens, validation, paging, User Admin, faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.clock import FrozenClock
from bot.sim import Floor, FloorConfig, SimServer
from bot.vcc.models import AgentState, AgentStatus, Group, GroupMember, Page, User, format_time
from tests.sim_fixtures import (
    SIM_CLIENT_ID,
    SIM_CLIENT_SECRET,
    SIM_NOW,
    STATS_ACCEPT,
    USERADMIN_ACCEPT,
    sim_token,
)

STATES = "/stats/wfm/agent-states"
STATUS = "/stats/agent-status"
MORNING = {"start": "2026-03-11T09:00:00.000Z", "end": "2026-03-11T11:30:00.000Z"}


@pytest.fixture
def http(sim_server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_server.base_url, timeout=5) as client:
        yield client


@pytest.fixture
def stats(sim_server: SimServer, http: httpx.Client) -> dict[str, str]:
    """Headers for a Stats request with a valid token."""
    return {"Authorization": f"Bearer {sim_token(sim_server, client=http)}", "Accept": STATS_ACCEPT}


@pytest.fixture
def users(sim_server: SimServer, http: httpx.Client) -> dict[str, str]:
    """Headers for a User Admin request with a valid token."""
    token = sim_token(sim_server, "users:read", http)
    return {"Authorization": f"Bearer {token}", "Accept": USERADMIN_ACCEPT}


def token_form(**changes: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": SIM_CLIENT_ID,
        "client_secret": SIM_CLIENT_SECRET,
        "scope": "stats",
    }
    return {**form, **changes}


def statuses(sim: SimServer, path: str) -> list[int]:
    return [r.status for r in sim.requests if r.path == path]


class TestServer:
    def test_binds_loopback_on_an_os_chosen_port(self, sim_server: SimServer) -> None:
        """base_url is 127.0.0.1 with a real port; the token URL hangs off it."""
        assert sim_server.base_url.startswith("http://127.0.0.1:")
        assert int(sim_server.base_url.rsplit(":", 1)[1]) > 0
        assert sim_server.token_url == sim_server.base_url + "/Auth/connect/token"

    def test_stop_closes_the_port(self, sim_floor: Floor) -> None:
        """After stop, nothing answers; stopping twice is harmless."""
        sim = SimServer(sim_floor)
        sim.start()
        url = sim.base_url
        sim.stop()
        sim.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + STATUS, timeout=2)

    def test_stop_is_prompt_while_a_handler_hangs(self, sim_floor: Floor) -> None:
        """A request hanging for a minute does not hold stop() up."""
        sim = SimServer(sim_floor)
        sim.start()
        sim.hang_next(1, seconds=60)
        errors: list[Exception] = []

        def call() -> None:
            try:
                httpx.get(sim.base_url + STATUS, timeout=30)
            except httpx.HTTPError as exc:
                errors.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        time.sleep(0.2)
        began = time.monotonic()
        sim.stop()
        assert time.monotonic() - began < 2
        caller.join(timeout=5)
        assert not caller.is_alive()
        assert errors  # the connection was cut, not answered

    def test_unknown_path_and_wrong_method(self, http: httpx.Client, stats: dict[str, str]) -> None:
        """404 for a path that is not an endpoint, 405 for a method it does not take."""
        missing = http.get("/stats/nothing-here", headers=stats)
        assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
        wrong = http.post(STATUS, headers=stats)
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET"
        assert http.get("/Auth/connect/token").status_code == 405

    def test_requests_are_recorded(self, sim_server: SimServer, http: httpx.Client) -> None:
        """Method, path, query, lower-cased headers and the status sent, in order."""
        token = sim_token(sim_server)
        http.get(STATUS, params={"limit": "5"}, headers={"Authorization": f"Bearer {token}"})
        token_request, status_request = sim_server.requests
        assert (token_request.method, token_request.path, token_request.status) == (
            "POST",
            "/Auth/connect/token",
            200,
        )
        assert status_request.query == {"limit": "5"}
        assert status_request.headers["authorization"] == f"Bearer {token}"
        assert status_request.status == 400  # no Accept header
        sim_server.clear_requests()
        assert sim_server.requests == []

    async def test_serves_async_clients(self, sim_server: SimServer) -> None:
        """No event loop of its own: an AsyncClient in an async test is answered."""
        async with httpx.AsyncClient(base_url=sim_server.base_url) as client:
            token = (await client.post("/Auth/connect/token", data=token_form())).json()
            response = await client.get(
                STATUS,
                params={"limit": 1},
                headers={
                    "Authorization": f"Bearer {token['access_token']}",
                    "Accept": STATS_ACCEPT,
                },
            )
        assert response.status_code == 200


class TestToken:
    def test_issues_a_bearer_token_per_scope(self, http: httpx.Client) -> None:
        """A good form gets a token for its scope, living token_ttl seconds."""
        for scope in ("stats", "users:read"):
            response = http.post("/Auth/connect/token", data=token_form(scope=scope))
            assert response.status_code == 200
            body = response.json()
            assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
            assert (body["expires_in"], body["token_type"], body["scope"]) == (
                7200,
                "Bearer",
                scope,
            )
        first = http.post("/Auth/connect/token", data=token_form()).json()["access_token"]
        second = http.post("/Auth/connect/token", data=token_form()).json()["access_token"]
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
        self, http: httpx.Client, changes: dict[str, str], error: str
    ) -> None:
        """Wrong credentials, scope or grant: 400 with the OAuth error."""
        response = http.post("/Auth/connect/token", data=token_form(**changes))
        assert (response.status_code, response.json()) == (400, {"error": error})

    def test_wants_a_form_body(self, http: httpx.Client) -> None:
        """A JSON body is not the documented form encoding."""
        response = http.post("/Auth/connect/token", json=token_form())
        assert (response.status_code, response.json()) == (400, {"error": "invalid_request"})


class TestAuthorization:
    def test_missing_token(self, http: httpx.Client) -> None:
        response = http.get(STATUS, headers={"Accept": STATS_ACCEPT})
        assert response.status_code == 401
        assert response.json() == {
            "error_description": "The access token is missing",
            "error": "invalid_request",
        }

    def test_unknown_token(self, http: httpx.Client) -> None:
        response = http.get(
            STATUS, headers={"Accept": STATS_ACCEPT, "Authorization": "Bearer nope"}
        )
        assert response.status_code == 401
        assert response.json() == {
            "error_description": "The access token is invalid or has expired",
            "error": "invalid_token",
        }

    def test_token_expires_by_the_clock(
        self, http: httpx.Client, stats: dict[str, str], sim_clock: FrozenClock
    ) -> None:
        """A token is good until expires_in seconds have passed on the server's clock."""
        sim_clock.advance(timedelta(seconds=7199))
        assert http.get(STATUS, headers=stats).status_code == 200
        sim_clock.advance(timedelta(seconds=1))
        response = http.get(STATUS, headers=stats)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")

    def test_lower_case_bearer(self, sim_server: SimServer, http: httpx.Client) -> None:
        """The docs' curl examples write `bearer`; it is accepted."""
        headers = {
            "Authorization": f"bearer {sim_token(sim_server, client=http)}",
            "Accept": STATS_ACCEPT,
        }
        assert http.get(STATUS, headers=headers).status_code == 200

    def test_wrong_scope(
        self, http: httpx.Client, stats: dict[str, str], users: dict[str, str]
    ) -> None:
        """A users:read token on Stats, or a stats token on User Admin: 401 Unauthorized."""
        on_stats = http.get(STATUS, headers={**users, "Accept": STATS_ACCEPT})
        assert (on_stats.status_code, on_stats.json()) == (401, {"message": "Unauthorized"})
        on_users = http.get("/useradmin/groups", headers={**stats, "Accept": USERADMIN_ACCEPT})
        assert (on_users.status_code, on_users.json()) == (401, {"message": "Unauthorized"})


class TestAccept:
    @pytest.mark.parametrize(
        ("accept", "message"),
        [
            (None, "Invalid Accept header!"),
            ("application/json", "Invalid Accept header!"),
            ("application/vnd.newvoicemedia.v4+json", "Invalid api-version! Valid values: 2,3"),
            ("application/vnd.newvoicemedia.v1+json", "Invalid api-version! Valid values: 2,3"),
        ],
    )
    def test_stats_wants_version_2_or_3(
        self, http: httpx.Client, stats: dict[str, str], accept: str | None, message: str
    ) -> None:
        headers = {"Authorization": stats["Authorization"]}
        if accept is not None:
            headers["Accept"] = accept
        response = http.get(STATUS, headers=headers)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    def test_version_2_is_accepted(self, http: httpx.Client, stats: dict[str, str]) -> None:
        headers = {**stats, "Accept": "application/vnd.newvoicemedia.v2+json"}
        assert http.get(STATUS, headers=headers).status_code == 200

    def test_user_admin_wants_version_4(self, http: httpx.Client, users: dict[str, str]) -> None:
        response = http.get("/useradmin/groups", headers={**users, "Accept": "application/json"})
        assert response.status_code == 400
        assert response.json()["message"] == "Version missing from Accept header!"
        wrong = http.get("/useradmin/groups", headers={**users, "Accept": STATS_ACCEPT})
        assert wrong.json()["message"] == "Invalid api-version! Valid values: 4"


class TestAgentStates:
    def test_envelope_and_headers(self, http: httpx.Client, stats: dict[str, str]) -> None:
        """`{meta, items, upTo}`, JSON, and the documented Cache-Control."""
        response = http.get(STATES, params={**MORNING, "limit": 10}, headers=stats)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "max-age=5, must-revalidate, private"
        body = response.json()
        assert list(body) == ["meta", "items", "upTo"]
        assert body["upTo"] == format_time(SIM_NOW)
        assert body["meta"]["page"] == 1
        assert body["meta"]["count"] == len(body["items"]) == 10
        assert body["meta"]["pageCount"] == -(-body["meta"]["totalCount"] // 10)
        page = Page[AgentState].model_validate(body)
        assert page.items[0].start.isoformat() >= "2026-03-11T09:00:00"

    def test_pages_add_up_to_the_whole(self, http: httpx.Client, stats: dict[str, str]) -> None:
        """Walking pages of 7 gives exactly the rows of one big page, in the same order."""
        window = {"start": "2026-03-11T11:00:00Z", "end": "2026-03-11T11:20:00Z"}
        params = {**window, "include": "StartedOrEnded"}
        whole = http.get(STATES, params={**params, "limit": 5000}, headers=stats).json()
        assert whole["meta"]["pageCount"] == 1
        walked: list[dict[str, Any]] = []
        page_count = None
        page = 1
        while page_count is None or page <= page_count:
            body = http.get(
                STATES, params={**params, "limit": 7, "page": page}, headers=stats
            ).json()
            page_count = body["meta"]["pageCount"]
            walked += body["items"]
            page += 1
        assert page_count >= 3
        assert walked == whole["items"]
        past = http.get(STATES, params={**params, "limit": 7, "page": page}, headers=stats).json()
        assert past["items"] == []
        assert past["meta"]["count"] == 0

    def test_empty_result(self, http: httpx.Client, stats: dict[str, str]) -> None:
        """No rows: pageCount 0, items []."""
        params = {**MORNING, "agentId": "no-such-agent", "limit": "10"}
        body = http.get(STATES, params=params, headers=stats).json()
        assert body["meta"] == {"page": 1, "count": 0, "pageCount": 0, "totalCount": 0}
        assert body["items"] == []

    def test_matches_the_floor(
        self, http: httpx.Client, stats: dict[str, str], sim_floor: Floor
    ) -> None:
        """The wire answer is the floor's answer: agentId, include and end defaulting to now."""
        start = SIM_NOW - timedelta(hours=1)
        params = {"start": format_time(start), "agentId": "1003", "limit": "5000"}
        for include in ("Started", "StartedOrEnded", "Processed"):
            body = http.get(STATES, params={**params, "include": include}, headers=stats).json()
            assert body["items"] == sim_floor.states(start, SIM_NOW, include, "1003")
        default = http.get(STATES, params=params, headers=stats).json()
        assert default["items"] == sim_floor.states(start, SIM_NOW, "Started", "1003")

    @pytest.mark.parametrize(
        "start",
        ["2026-03-11T09:00:00Z", "2026-03-11T09:00:00.5Z", "2026-03-11T10:00:00.000+01:00"],
    )
    def test_time_forms(self, http: httpx.Client, stats: dict[str, str], start: str) -> None:
        """`Z` with or without millis, or an offset."""
        response = http.get(STATES, params={"start": start, "limit": 1}, headers=stats)
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("params", "needle"),
        [
            ({}, "start"),
            ({"start": "yesterday"}, "start"),
            ({"start": "2026-03-11T09:00:00"}, "start"),  # no zone
            ({"start": "2026-13-11T09:00:00Z"}, "start"),
            ({**MORNING, "end": "2026-03-11 10:00"}, "end"),
            ({"start": "2026-03-11T10:00:00Z", "end": "2026-03-11T09:00:00Z"}, "end"),
            ({**MORNING, "include": "Everything"}, "include"),
            ({**MORNING, "limit": "0"}, "limit"),
            ({**MORNING, "limit": "5001"}, "limit"),
            ({**MORNING, "limit": "ten"}, "limit"),
            ({**MORNING, "page": "0"}, "page"),
        ],
    )
    def test_refuses_bad_parameters(
        self, http: httpx.Client, stats: dict[str, str], params: dict[str, str], needle: str
    ) -> None:
        """400 with a `{"message"}` naming the parameter."""
        response = http.get(STATES, params=params, headers=stats)
        assert response.status_code == 400
        assert needle in response.json()["message"]

    def test_window_of_31_days_at_most(self, http: httpx.Client, stats: dict[str, str]) -> None:
        """31 days is allowed; a millisecond more is the documented 400."""
        end = SIM_NOW - timedelta(days=1)
        allowed = {"start": format_time(end - timedelta(days=31)), "end": format_time(end)}
        assert (
            http.get(STATES, params={**allowed, "agentId": "1001", "limit": 1}, headers=stats)
        ).status_code == 200
        too_long = {**allowed, "start": format_time(end - timedelta(days=31, milliseconds=1))}
        response = http.get(STATES, params={**too_long, "limit": 1}, headers=stats)
        assert response.status_code == 400
        assert response.json() == {"message": "Request window size limit exceeded 31 days"}


class TestAgentStatus:
    def test_every_agent_by_id_over_pages(
        self, http: httpx.Client, stats: dict[str, str], sim_floor: Floor
    ) -> None:
        """Pages of 25 (the default limit) cover every agent once, in agentId order."""
        first = http.get(STATUS, headers=stats).json()
        assert first["meta"] == {"page": 1, "count": 25, "pageCount": 3, "totalCount": 60}
        items = first["items"]
        for page in (2, 3):
            items += http.get(STATUS, params={"page": page}, headers=stats).json()["items"]
        assert [i["agentId"] for i in items] == sorted(a.agent_id for a in sim_floor.agents)
        assert items == sim_floor.status()
        for item in items:
            AgentStatus.model_validate(item)


class TestUserAdmin:
    def test_users(self, http: httpx.Client, users: dict[str, str], sim_floor: Floor) -> None:
        """`{"users": [...]}` with no meta; full user objects keyed by agentDisplayId."""
        body = http.get("/useradmin/users", params={"limit": 100}, headers=users).json()
        assert list(body) == ["users"]
        parsed = [User.model_validate(u) for u in body["users"]]
        assert [(u.agent_id, u.name) for u in parsed] == [
            (a.agent_id, a.name) for a in sim_floor.agents
        ]
        first = body["users"][0]
        assert first["userAccountConfiguration"]["role"] == "Agent"
        assert first["email"].endswith("@example.com")
        assert first["lastLoginTime"] <= format_time(SIM_NOW)

    def test_users_pages_and_include(self, http: httpx.Client, users: dict[str, str]) -> None:
        """limit and page cut the list; nobody is archived."""
        page = http.get("/useradmin/users", params={"limit": 25, "page": 3}, headers=users).json()
        assert len(page["users"]) == 10
        archived = http.get("/useradmin/users", params={"include": "Archived"}, headers=users)
        assert archived.json() == {"users": []}
        bad = http.get("/useradmin/users", params={"include": "Nobody"}, headers=users)
        assert bad.status_code == 400

    def test_groups_and_members(
        self, http: httpx.Client, users: dict[str, str], sim_floor: Floor
    ) -> None:
        """Groups with meta; each group's members with meta and groupId."""
        body = http.get("/useradmin/groups", params={"limit": 100}, headers=users).json()
        assert body["meta"] == {"page": 1, "count": 4, "pageCount": 1, "totalCount": 4}
        groups = [Group.model_validate(g) for g in body["groups"]]
        assert [g.name for g in groups] == [
            "Billing Support",
            "Tech Support",
            "Sales",
            "Retentions",
        ]
        assert body["groups"][0]["groupMaxWrapUpTime"] == 60
        seen: list[str] = []
        for group in groups:
            path = f"/useradmin/groups/{group.group_id}/users"
            members = http.get(path, params={"limit": 100}, headers=users).json()
            assert members["groupId"] == group.group_id
            assert members["meta"]["totalCount"] == len(members["users"]) == 15
            seen += [GroupMember.model_validate(m).agent_id or "" for m in members["users"]]
        assert sorted(seen) == sorted(a.agent_id for a in sim_floor.agents)

    def test_unknown_group(self, http: httpx.Client, users: dict[str, str]) -> None:
        response = http.get("/useradmin/groups/not-a-group/users", headers=users)
        assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


class TestFaults:
    def test_fail_next_then_recover(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """Two 500s, then normal answers again."""
        sim_server.fail_next(2)
        answers = [http.get(STATUS, headers=stats) for _ in range(3)]
        assert [a.status_code for a in answers] == [500, 500, 200]
        assert answers[0].json() == {"message": "Internal Server Error"}

    def test_rate_limited_with_and_without_retry_after(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """429 `{"message": "Too Many Requests"}`, with Retry-After only when asked for."""
        sim_server.fail_next(1, status=429, retry_after="2")
        sim_server.fail_next(1, status=429, retry_after="Wed, 11 Mar 2026 11:30:02 GMT")
        sim_server.fail_next(1, status=429)
        answers = [http.get(STATUS, headers=stats) for _ in range(3)]
        assert [a.status_code for a in answers] == [429, 429, 429]
        assert answers[0].json() == {"message": "Too Many Requests"}
        assert [a.headers.get("retry-after") for a in answers] == [
            "2",
            "Wed, 11 Mar 2026 11:30:02 GMT",
            None,
        ]

    def test_faults_spare_token_requests(self, sim_server: SimServer, http: httpx.Client) -> None:
        """Without a path prefix a fault waits for the next non-token request."""
        sim_server.fail_next(1, status=503)
        assert http.post("/Auth/connect/token", data=token_form()).status_code == 200
        assert http.get(STATUS).status_code == 503

    def test_path_prefix_narrows_a_fault(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """A fault for /useradmin leaves Stats alone; a prefix can aim at the token endpoint."""
        sim_server.fail_next(1, path_prefix="/useradmin")
        sim_server.fail_next(1, path_prefix="/Auth")
        assert http.get(STATUS, headers=stats).status_code == 200
        assert http.get("/useradmin/groups").status_code == 500
        assert http.post("/Auth/connect/token", data=token_form()).status_code == 500

    def test_hang_exceeds_a_client_timeout(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """A hang longer than the client's timeout times out; the next request is normal."""
        sim_server.hang_next(1, seconds=1.0)
        with pytest.raises(httpx.ReadTimeout):
            http.get(STATUS, headers=stats, timeout=0.2)
        assert http.get(STATUS, headers=stats).status_code == 200

    def test_hang_then_answer(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """A short hang answers normally afterwards."""
        sim_server.hang_next(1, seconds=0.3)
        began = time.monotonic()
        assert http.get(STATUS, headers=stats).status_code == 200
        assert time.monotonic() - began >= 0.3

    def test_malformed_body(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """200 with a body that is not JSON."""
        sim_server.malformed_next(1)
        response = http.get(STATUS, headers=stats)
        assert response.status_code == 200
        with pytest.raises(ValueError, match="Expecting value"):
            response.json()

    def test_expire_tokens(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """Tokens issued before expire_tokens() get invalid_token; a new one works."""
        sim_server.expire_tokens()
        response = http.get(STATUS, headers=stats)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
        fresh = {**stats, "Authorization": f"Bearer {sim_token(sim_server, client=http)}"}
        assert http.get(STATUS, headers=fresh).status_code == 200
        assert sum(r.path == "/Auth/connect/token" for r in sim_server.requests) == 2

    def test_faults_queue_in_order_and_reset(
        self, sim_server: SimServer, http: httpx.Client, stats: dict[str, str]
    ) -> None:
        """Faults apply in the order queued; reset_faults drops the rest."""
        sim_server.fail_next(1, status=502)
        sim_server.fail_next(1, status=429)
        sim_server.malformed_next(3)
        codes = [http.get(STATUS, headers=stats).status_code for _ in range(2)]
        assert codes == [502, 429]
        sim_server.reset_faults()
        assert http.get(STATUS, headers=stats).json()["meta"]["totalCount"] == 60
        assert statuses(sim_server, STATUS) == [502, 429, 200]

    def test_n_must_be_positive(self, sim_server: SimServer) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            sim_server.fail_next(0)


class TestScale:
    def test_a_large_floor_over_pages(self) -> None:
        """2,000 agents: four status pages of 500 cover the floor."""
        floor = Floor(FloorConfig(agents=2000, teams=20), FrozenClock(SIM_NOW))
        with SimServer(floor) as sim, httpx.Client(base_url=sim.base_url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {_token(client)}", "Accept": STATS_ACCEPT}
            total = 0
            for page in range(1, 5):
                body = client.get(STATUS, params={"limit": 500, "page": page}, headers=headers)
                total += len(body.json()["items"])
            assert total == 2000


def _token(client: httpx.Client) -> str:
    response = client.post("/Auth/connect/token", data=token_form())
    return str(response.json()["access_token"])
