"""The simulated VCC's endpoints over real loopback: validation, paging, Stats, User Admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.sim import Floor
from bot.vcc.models import AgentState, AgentStatus, Group, GroupMember, Page, User, format_time
from tests.support.sim import SIM_NOW, STATS_ACCEPT

STATES = "/stats/wfm/agent-states"
STATUS = "/stats/agent-status"
MORNING = {"start": "2026-03-11T09:00:00.000Z", "end": "2026-03-11T11:30:00.000Z"}


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
        self,
        sim_http: httpx.Client,
        stats_headers: dict[str, str],
        accept: str | None,
        message: str,
    ) -> None:
        headers = {"Authorization": stats_headers["Authorization"]}
        if accept is not None:
            headers["Accept"] = accept
        response = sim_http.get(STATUS, headers=headers)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    def test_version_2_is_accepted(
        self, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        headers = {**stats_headers, "Accept": "application/vnd.newvoicemedia.v2+json"}
        assert sim_http.get(STATUS, headers=headers).status_code == 200

    def test_user_admin_wants_version_4(
        self, sim_http: httpx.Client, users_headers: dict[str, str]
    ) -> None:
        response = sim_http.get(
            "/useradmin/groups", headers={**users_headers, "Accept": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["message"] == "Version missing from Accept header!"
        wrong = sim_http.get("/useradmin/groups", headers={**users_headers, "Accept": STATS_ACCEPT})
        assert wrong.json()["message"] == "Invalid api-version! Valid values: 4"


class TestAgentStates:
    def test_envelope_and_headers(
        self, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """`{meta, items, upTo}`, JSON, and the documented Cache-Control."""
        response = sim_http.get(STATES, params={**MORNING, "limit": 10}, headers=stats_headers)
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

    def test_pages_add_up_to_the_whole(
        self, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """Walking pages of 7 gives exactly the rows of one big page, in the same order."""
        window = {"start": "2026-03-11T11:00:00Z", "end": "2026-03-11T11:20:00Z"}
        params = {**window, "include": "StartedOrEnded"}
        whole = sim_http.get(STATES, params={**params, "limit": 5000}, headers=stats_headers).json()
        assert whole["meta"]["pageCount"] == 1
        walked: list[dict[str, Any]] = []
        page_count = None
        page = 1
        while page_count is None or page <= page_count:
            body = sim_http.get(
                STATES, params={**params, "limit": 7, "page": page}, headers=stats_headers
            ).json()
            page_count = body["meta"]["pageCount"]
            walked += body["items"]
            page += 1
        assert page_count >= 3
        assert walked == whole["items"]
        past = sim_http.get(
            STATES, params={**params, "limit": 7, "page": page}, headers=stats_headers
        ).json()
        assert past["items"] == []
        assert past["meta"]["count"] == 0

    def test_empty_result(self, sim_http: httpx.Client, stats_headers: dict[str, str]) -> None:
        """No rows: pageCount 0, items []."""
        params = {**MORNING, "agentId": "no-such-agent", "limit": "10"}
        body = sim_http.get(STATES, params=params, headers=stats_headers).json()
        assert body["meta"] == {"page": 1, "count": 0, "pageCount": 0, "totalCount": 0}
        assert body["items"] == []

    def test_matches_the_floor(
        self, sim_http: httpx.Client, stats_headers: dict[str, str], sim_floor: Floor
    ) -> None:
        """The wire answer is the floor's answer: agentId, include and end defaulting to now."""
        start = SIM_NOW - timedelta(hours=1)
        params = {"start": format_time(start), "agentId": "1003", "limit": "5000"}
        for include in ("Started", "StartedOrEnded", "Processed"):
            body = sim_http.get(
                STATES, params={**params, "include": include}, headers=stats_headers
            ).json()
            assert body["items"] == sim_floor.select(start, SIM_NOW, include, "1003").wire()
        default = sim_http.get(STATES, params=params, headers=stats_headers).json()
        assert default["items"] == sim_floor.select(start, SIM_NOW, "Started", "1003").wire()

    @pytest.mark.parametrize(
        "start",
        ["2026-03-11T09:00:00Z", "2026-03-11T09:00:00.5Z", "2026-03-11T10:00:00.000+01:00"],
    )
    def test_time_forms(
        self, sim_http: httpx.Client, stats_headers: dict[str, str], start: str
    ) -> None:
        """`Z` with or without millis, or an offset."""
        response = sim_http.get(STATES, params={"start": start, "limit": 1}, headers=stats_headers)
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
        self,
        sim_http: httpx.Client,
        stats_headers: dict[str, str],
        params: dict[str, str],
        needle: str,
    ) -> None:
        """400 with a `{"message"}` naming the parameter."""
        response = sim_http.get(STATES, params=params, headers=stats_headers)
        assert response.status_code == 400
        assert needle in response.json()["message"]

    def test_window_of_31_days_at_most(
        self, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """31 days is allowed; a millisecond more is the documented 400."""
        end = SIM_NOW - timedelta(days=1)
        allowed = {"start": format_time(end - timedelta(days=31)), "end": format_time(end)}
        assert (
            sim_http.get(
                STATES, params={**allowed, "agentId": "1001", "limit": 1}, headers=stats_headers
            )
        ).status_code == 200
        too_long = {**allowed, "start": format_time(end - timedelta(days=31, milliseconds=1))}
        response = sim_http.get(STATES, params={**too_long, "limit": 1}, headers=stats_headers)
        assert response.status_code == 400
        assert response.json() == {"message": "Request window size limit exceeded 31 days"}


class TestAgentStatus:
    def test_every_agent_by_id_over_pages(
        self, sim_http: httpx.Client, stats_headers: dict[str, str], sim_floor: Floor
    ) -> None:
        """Pages of 25 (the default limit) cover every agent once, in agentId order."""
        first = sim_http.get(STATUS, headers=stats_headers).json()
        assert first["meta"] == {"page": 1, "count": 25, "pageCount": 3, "totalCount": 60}
        items = first["items"]
        for page in (2, 3):
            items += sim_http.get(STATUS, params={"page": page}, headers=stats_headers).json()[
                "items"
            ]
        assert [i["agentId"] for i in items] == sorted(a.agent_id for a in sim_floor.agents)
        assert items == sim_floor.status()
        for item in items:
            AgentStatus.model_validate(item)


class TestUserAdmin:
    def test_users(
        self, sim_http: httpx.Client, users_headers: dict[str, str], sim_floor: Floor
    ) -> None:
        """`{"users": [...]}` with no meta; full user objects keyed by agentDisplayId."""
        body = sim_http.get("/useradmin/users", params={"limit": 100}, headers=users_headers).json()
        assert list(body) == ["users"]
        parsed = [User.model_validate(u) for u in body["users"]]
        assert [(u.agent_id, u.name) for u in parsed] == [
            (a.agent_id, a.name) for a in sim_floor.agents
        ]
        first = body["users"][0]
        assert first["userAccountConfiguration"]["role"] == "Agent"
        assert first["email"].endswith("@example.com")
        assert first["lastLoginTime"] <= format_time(SIM_NOW)

    def test_users_pages_and_include(
        self, sim_http: httpx.Client, users_headers: dict[str, str]
    ) -> None:
        """limit and page cut the list; nobody is archived."""
        page = sim_http.get(
            "/useradmin/users", params={"limit": 25, "page": 3}, headers=users_headers
        ).json()
        assert len(page["users"]) == 10
        archived = sim_http.get(
            "/useradmin/users", params={"include": "Archived"}, headers=users_headers
        )
        assert archived.json() == {"users": []}
        bad = sim_http.get("/useradmin/users", params={"include": "Nobody"}, headers=users_headers)
        assert bad.status_code == 400

    def test_groups_and_members(
        self, sim_http: httpx.Client, users_headers: dict[str, str], sim_floor: Floor
    ) -> None:
        """Groups with meta; each group's members with meta and groupId."""
        body = sim_http.get(
            "/useradmin/groups", params={"limit": 100}, headers=users_headers
        ).json()
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
            members = sim_http.get(path, params={"limit": 100}, headers=users_headers).json()
            assert members["groupId"] == group.group_id
            assert members["meta"]["totalCount"] == len(members["users"]) == 15
            seen += [GroupMember.model_validate(m).agent_id or "" for m in members["users"]]
        assert sorted(seen) == sorted(a.agent_id for a in sim_floor.agents)

    def test_unknown_group(self, sim_http: httpx.Client, users_headers: dict[str, str]) -> None:
        response = sim_http.get("/useradmin/groups/not-a-group/users", headers=users_headers)
        assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
