"""The simulated VCC's scripted faults over real loopback: failures, hangs, bad bodies."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sim import SimServer
from tests.support.sim import sim_token, token_form

STATUS = "/stats/agent-status"


def statuses(sim: SimServer, path: str) -> list[int]:
    return [r.status for r in sim.requests if r.path == path]


class TestFaults:
    def test_fail_next_then_recover(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """Two 500s, then normal answers again."""
        sim_server.fail_next(2)
        answers = [sim_http.get(STATUS, headers=stats_headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [500, 500, 200]
        assert answers[0].json() == {"message": "Internal Server Error"}

    def test_rate_limited_with_and_without_retry_after(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """429 `{"message": "Too Many Requests"}`, with Retry-After only when asked for."""
        sim_server.fail_next(1, status=429, retry_after="2")
        sim_server.fail_next(1, status=429, retry_after="Wed, 11 Mar 2026 11:30:02 GMT")
        sim_server.fail_next(1, status=429)
        answers = [sim_http.get(STATUS, headers=stats_headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [429, 429, 429]
        assert answers[0].json() == {"message": "Too Many Requests"}
        assert [a.headers.get("retry-after") for a in answers] == [
            "2",
            "Wed, 11 Mar 2026 11:30:02 GMT",
            None,
        ]

    def test_faults_spare_token_requests(
        self, sim_server: SimServer, sim_http: httpx.Client
    ) -> None:
        """Without a path prefix a fault waits for the next non-token request."""
        sim_server.fail_next(1, status=503)
        assert sim_http.post("/Auth/connect/token", data=token_form()).status_code == 200
        assert sim_http.get(STATUS).status_code == 503

    def test_path_prefix_narrows_a_fault(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """A fault for /useradmin leaves Stats alone; a prefix can aim at the token endpoint."""
        sim_server.fail_next(1, path_prefix="/useradmin")
        sim_server.fail_next(1, path_prefix="/Auth")
        assert sim_http.get(STATUS, headers=stats_headers).status_code == 200
        assert sim_http.get("/useradmin/groups").status_code == 500
        assert sim_http.post("/Auth/connect/token", data=token_form()).status_code == 500

    def test_hang_exceeds_a_client_timeout(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """A hang longer than the client's timeout times out; the next request is normal."""
        sim_server.hang_next(1, seconds=1.0)
        with pytest.raises(httpx.ReadTimeout):
            sim_http.get(STATUS, headers=stats_headers, timeout=0.2)
        assert sim_http.get(STATUS, headers=stats_headers).status_code == 200

    def test_hang_then_answer(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """A short hang answers normally afterwards."""
        sim_server.hang_next(1, seconds=0.3)
        began = time.monotonic()
        assert sim_http.get(STATUS, headers=stats_headers).status_code == 200
        assert time.monotonic() - began >= 0.3

    def test_malformed_body(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """200 with a body that is not JSON."""
        sim_server.malformed_next(1)
        response = sim_http.get(STATUS, headers=stats_headers)
        assert response.status_code == 200
        with pytest.raises(ValueError, match="Expecting value"):
            response.json()

    def test_expire_tokens(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """Tokens issued before expire_tokens() get invalid_token; a new one works."""
        sim_server.expire_tokens()
        response = sim_http.get(STATUS, headers=stats_headers)
        assert (response.status_code, response.json()["error"]) == (401, "invalid_token")
        fresh = {
            **stats_headers,
            "Authorization": f"Bearer {sim_token(sim_server, client=sim_http)}",
        }
        assert sim_http.get(STATUS, headers=fresh).status_code == 200
        assert sum(r.path == "/Auth/connect/token" for r in sim_server.requests) == 2

    def test_faults_queue_in_order_and_reset(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """Faults apply in the order queued; reset_faults drops the rest."""
        sim_server.fail_next(1, status=502)
        sim_server.fail_next(1, status=429)
        sim_server.malformed_next(3)
        codes = [sim_http.get(STATUS, headers=stats_headers).status_code for _ in range(2)]
        assert codes == [502, 429]
        sim_server.reset_faults()
        assert sim_http.get(STATUS, headers=stats_headers).json()["meta"]["totalCount"] == 60
        assert statuses(sim_server, STATUS) == [502, 429, 200]

    def test_n_must_be_positive(self, sim_server: SimServer) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            sim_server.fail_next(0)


class TestSlowAndBig:
    def test_trickle_sends_the_body_a_byte_at_a_time(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """Headers come at once; the body's bytes come `seconds_per_byte` apart."""
        sim_server.trickle_next(1, seconds_per_byte=0.02)
        began = time.monotonic()
        with sim_http.stream("GET", STATUS, headers=stats_headers) as response:
            assert response.status_code == 200
            first: list[bytes] = []
            for chunk in response.iter_raw(1):
                first.append(chunk)
                if len(b"".join(first)) >= 5:
                    break
        assert b"".join(first).startswith(b'{"met')
        assert time.monotonic() - began >= 0.08
        assert sim_http.get(STATUS, headers=stats_headers).json()["meta"]["totalCount"] == 60

    def test_huge_repeats_the_page_items(
        self, sim_server: SimServer, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """A huge page is the normal page with its items repeated; the next page is normal."""
        normal = sim_http.get(STATUS, headers=stats_headers).json()
        sim_server.huge_next(1, copies=3)
        huge = sim_http.get(STATUS, headers=stats_headers).json()
        assert huge["items"] == normal["items"] * 3
        assert {k: v for k, v in huge.items() if k != "items"} == {
            k: v for k, v in normal.items() if k != "items"
        }
        assert sim_http.get(STATUS, headers=stats_headers).json() == normal

    def test_huge_leaves_answers_without_items_alone(
        self, sim_server: SimServer, sim_http: httpx.Client, users_headers: dict[str, str]
    ) -> None:
        """A User Admin list (no `items`) passes through unchanged."""
        normal = sim_http.get("/useradmin/groups", headers=users_headers).content
        sim_server.huge_next(1, copies=3)
        assert sim_http.get("/useradmin/groups", headers=users_headers).content == normal
