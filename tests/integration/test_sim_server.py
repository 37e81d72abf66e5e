"""The simulated VCC's HTTP plumbing over real loopback: binding, stopping, recording, scale."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bot.clock import FrozenClock
from bot.sim import Floor, FloorConfig, SimServer
from tests.support.sim import SIM_NOW, STATS_ACCEPT, sim_token, token_form

STATUS = "/stats/agent-status"


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

    def test_unknown_path_and_wrong_method(
        self, sim_http: httpx.Client, stats_headers: dict[str, str]
    ) -> None:
        """404 for a path that is not an endpoint, 405 for a method it does not take."""
        missing = sim_http.get("/stats/nothing-here", headers=stats_headers)
        assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})
        wrong = sim_http.post(STATUS, headers=stats_headers)
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET"
        assert sim_http.get("/Auth/connect/token").status_code == 405

    def test_requests_are_recorded(self, sim_server: SimServer, sim_http: httpx.Client) -> None:
        """Method, path, query, lower-cased headers and the status sent, in order."""
        token = sim_token(sim_server)
        sim_http.get(STATUS, params={"limit": "5"}, headers={"Authorization": f"Bearer {token}"})
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
