"""The one rate budget against the simulated VCC over loopback: what the simulator sees is
what the budget let through, at its rate, interactive reads first, and a 429 slows everyone.

Time is virtual (`VirtualTime`): the client's clock reads it and its sleep is it, so a minute
of paced requests takes a fraction of a second, and nothing sleeps for real.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest

from bot.app import open_app
from bot.clock import FrozenClock
from bot.settings import load_settings
from bot.sim.server import SimServer
from bot.vcc import VccClient
from tests.fakes import Sleeps
from tests.support.sim import SIM_NOW
from tests.support.vcc import VirtualClock, cancellable, vcc_client
from tests.support.virtual_time import VirtualTime

ResultT = TypeVar("ResultT")

STATUS = "/stats/agent-status"
STATES = "/stats/wfm/agent-states"
USERS = "/useradmin/users"


async def drive(time: VirtualTime, work: Awaitable[ResultT]) -> ResultT:
    """`time.drive(work)`, given 10 real seconds: a waiter left stuck fails, not hangs."""
    async with asyncio.timeout(10):
        return await time.drive(work)


class Stamped(httpx.AsyncBaseTransport):
    """`VirtualTime`'s transport, writing down each request's virtual time, path and status."""

    def __init__(self, time: VirtualTime) -> None:
        self._time = time
        self._inner = time.transport()
        self.sent: list[tuple[float, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        at = self._time.now
        response = await self._inner.handle_async_request(request)
        self.sent.append((at, request.url.path, response.status_code))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def times(self, path: str | None = None) -> list[float]:
        return [at for at, sent, _ in self.sent if path is None or sent == path]


class Paced:
    """A client on the simulator on virtual time, its requests stamped."""

    def __init__(self, sim: SimServer, **overrides: Any) -> None:
        self.time = VirtualTime()
        self.wire = Stamped(self.time)
        self.vcc = vcc_client(
            sim,
            clock=VirtualClock(self.time, SIM_NOW),
            sleep=cancellable(self.time),
            transport=self.wire,
            **overrides,
        )


@pytest.fixture
def sim(sim_server: SimServer) -> SimServer:
    sim_server.reset_faults()
    sim_server.clear_requests()
    return sim_server


@pytest.fixture
async def paced(sim: SimServer) -> AsyncIterator[Callable[..., Paced]]:
    made: list[VccClient] = []

    def make(**overrides: Any) -> Paced:
        client = Paced(sim, **overrides)
        made.append(client.vcc)
        return client

    yield make
    for client in made:
        await client.aclose()


def most_in_a_window(times: list[float], width: float) -> int:
    return max(sum(start <= t < start + width for t in times) for start in times)


class TestRateAtTheSimulator:
    async def test_the_simulator_sees_what_the_budget_lets_through(
        self, paced: Callable[..., Paced], sim: SimServer
    ) -> None:
        """Three reads at once (one interactive, two background; ~40 pages and 2 token
        requests) at 4/s, burst 3: the simulator gets exactly the budget's count, never more
        than 3 + 4 s per window plus the two token requests, in (count - 3) / 4 s."""
        client = paced(rate=4.0, page_limit=5)
        vcc, time = client.vcc, client.time
        background = vcc.background()
        agent = sim.floor.agents[0].agent_id
        reads = asyncio.gather(
            vcc.agent_status(),
            background.users(),
            background.agent_states(SIM_NOW - timedelta(hours=8), SIM_NOW, agent_id=agent),
        )
        status, users, _ = await drive(time, reads)
        assert len(status.items) == 60
        assert len(users) == 60
        count = len(sim.requests)
        assert count == vcc.budget.requests == len(client.wire.sent)
        assert count > 30
        assert sum(r.method == "POST" for r in sim.requests) == 2
        times = client.wire.times()
        for width in (1.0, 2.0, 5.0):
            assert most_in_a_window(times, width) <= 3 + 4 * width + 2
        assert time.now == pytest.approx((count - 3) / 4, abs=0.01)

    async def test_an_interactive_read_goes_between_background_pages(
        self, paced: Callable[..., Paced], sim: SimServer
    ) -> None:
        """A background read of 31 pages at 1/s is under way when a supervisor asks about
        one agent at t=5.5: that read's pages go next (from t=6), not after the 25 left."""
        client = paced(rate=1.0, burst=1, page_limit=2)
        vcc, time = client.vcc, client.time
        agent = sim.floor.agents[0].agent_id
        done: dict[str, float] = {}

        async def lookup() -> None:
            await time(5.5)
            await vcc.agent_states(SIM_NOW - timedelta(hours=1), SIM_NOW, agent_id=agent)
            done["interactive"] = time.now

        async def catch_up() -> None:
            await vcc.background().users()
            done["background"] = time.now

        await drive(time, asyncio.gather(lookup(), catch_up()))
        asked = client.wire.times(STATES)
        # Its first page, and then one a second (the stats token request went with the first,
        # out of the bucket without waiting, so the next page waits a second turn).
        assert asked[0] == pytest.approx(6.0)
        assert done["interactive"] == pytest.approx(asked[-1])
        assert asked[-1] <= 6.0 + 2 * len(asked)
        assert done["background"] >= 31.0 + len(asked)
        assert len(sim.requests) == vcc.budget.requests


class TestRateLimitedAtTheSimulator:
    async def test_a_429_to_background_holds_the_interactive_reads_too(
        self, paced: Callable[..., Paced], sim: SimServer
    ) -> None:
        """The users pages (background) meet one 429 with Retry-After: 3. For the next 3 s no
        request goes, interactive ones included; then they go at half the rate (2/s, not 4/s),
        and a minute later at 4/s again. Every read answers, and the simulator saw what the
        budget counted."""
        client = paced(rate=4.0, page_limit=5)
        vcc, time = client.vcc, client.time
        sim.fail_next(1, status=429, retry_after="3", path_prefix=USERS)
        rates: list[float | None] = []

        async def scene() -> None:
            await asyncio.gather(vcc.agent_status(), vcc.background().users())
            await time(60.0)
            rates.append(vcc.budget.rate)

        await drive(time, scene())
        (hit,) = [at for at, _, status in client.wire.sent if status == 429]
        after = [at for at in client.wire.times() if at > hit]
        assert min(after) == pytest.approx(hit + 3.0)
        assert any(path == STATUS and at > hit for at, path, _ in client.wire.sent)
        # The probe at hit + 3, then one every 0.5 s: 10 in the next 5 s (20 at 4/s).
        assert sum(hit + 3 <= at < hit + 8 for at in after) == 10
        assert rates == [pytest.approx(4.0)]
        assert len(sim.requests) == vcc.budget.requests

    async def test_a_resend_after_401_and_its_token_request_are_counted(
        self, paced: Callable[..., Paced], sim: SimServer
    ) -> None:
        """Tokens expired at VCC: the 401, the token request and the resend are three
        requests, and the budget counted all three."""
        client = paced(rate=None)
        vcc, time = client.vcc, client.time
        await drive(time, vcc.agent_status())
        sim.expire_tokens()
        sim.clear_requests()
        before = vcc.budget.requests
        await drive(time, vcc.agent_status())
        assert [r.status for r in sim.requests] == [401, 200, 200]
        assert vcc.budget.requests - before == 3


class TestTheSetting:
    @pytest.mark.parametrize(
        ("env", "paced"),
        [({}, False), ({"AGENTSTATE_VCC_RATE": "1"}, True)],
        ids=["simulator-default-unlimited", "set-explicitly"],
    )
    async def test_the_simulated_bot_is_budgeted_only_when_asked(
        self, sim_clock: FrozenClock, env: dict[str, str], paced: bool
    ) -> None:
        """On the simulated contact center the budget is unlimited unless AGENTSTATE_VCC_RATE
        is set: loading the directory (7 requests) waits only when it is set to 1/s."""
        sleeps = Sleeps()
        settings = load_settings({"AGENTSTATE_TIMEZONE": "Europe/London", **env})
        async with open_app(settings, sim_clock, sleep=sleeps, slack_retry_handlers=[]) as app:
            assert app.sim is not None
            await app.query.directory()
            requests = len(app.sim.requests)
        assert requests >= 7
        waited = sum(sleeps.delays)
        if paced:
            assert waited == pytest.approx(requests - 3, abs=0.01)
        else:
            assert sleeps.delays == []
