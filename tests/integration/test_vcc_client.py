"""VccClient against the simulated VCC over real loopback HTTP (no fakes, no monkeypatching).

Faults are scripted on the simulator; retries sleep through a recording `sleep`, so nothing
here waits except the two hang tests (client read timeouts of a tenth of a second).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.clock import FrozenClock
from bot.errors import VccAuthError, VccBadResponse, VccRequestError, VccUnavailable
from bot.sim.floor import Floor
from bot.sim.server import SimServer
from bot.vcc import STATS_ACCEPT, USERADMIN_ACCEPT, RetryPolicy, VccClient
from bot.vcc.models import format_time
from tests.fakes import Sleeps
from tests.support.vcc import HALF_JITTER, vcc_client

# A hang is a wait for the answer: only the read phase is short, connecting and sending are
# not. The reads the hang tests make (a token, the 4 groups) answer in a few milliseconds.
HANG_TIMEOUT = httpx.Timeout(5.0, read=0.1)


@pytest.fixture
def sim(sim_server: SimServer) -> SimServer:
    """The simulator with no faults pending and an empty request log."""
    sim_server.reset_faults()
    sim_server.clear_requests()
    return sim_server


MakeClient = Callable[..., VccClient]


@pytest.fixture
async def make_client(sim: SimServer, sleeps: Sleeps) -> AsyncIterator[MakeClient]:
    """Build VccClients on the simulator with `build_vcc_client(**overrides)`; closed afterwards."""
    made: list[VccClient] = []

    def make(**overrides: Any) -> VccClient:
        client = vcc_client(sim, sleep=sleeps, **overrides)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def vcc(sim: SimServer, sleeps: Sleeps) -> AsyncIterator[VccClient]:
    """A client from the production factory, pointed at the simulator."""
    async with vcc_client(sim, sleep=sleeps, policy=HALF_JITTER) as client:
        yield client


def token_posts(sim: SimServer) -> list[Any]:
    return [r for r in sim.requests if r.method == "POST" and r.path.endswith("/token")]


def calls(sim: SimServer, path: str) -> list[Any]:
    return [r for r in sim.requests if r.path == path]


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestTokens:
    async def test_twenty_concurrent_calls_cause_one_token_request(
        self, vcc: VccClient, sim: SimServer
    ) -> None:
        """asyncio.gather of 20 different reads on a cold client: exactly one token POST, 20
        reads (different, so none shares another's GET)."""
        agents = [a.agent_id for a in sim.floor.agents[:20]]
        end = sim.clock.now()
        start = end - timedelta(hours=1)
        reads = (vcc.agent_states(start, end, agent_id=agent) for agent in agents)
        results = await asyncio.gather(*reads)
        assert len(token_posts(sim)) == 1
        assert len(calls(sim, "/stats/wfm/agent-states")) == 20
        assert [
            {row.agent_id for row in r.rows} <= {a} for r, a in zip(results, agents, strict=True)
        ] == [True] * 20

    async def test_token_request_and_bearer_header(self, vcc: VccClient, sim: SimServer) -> None:
        """The token POST is form-encoded; reads carry `Bearer <token>` and the v3 Accept."""
        await vcc.agent_status()
        (post,) = token_posts(sim)
        assert post.headers["content-type"] == "application/x-www-form-urlencoded"
        assert post.status == 200
        (read,) = calls(sim, "/stats/agent-status")
        assert read.headers["authorization"].startswith("Bearer ")
        assert read.headers["accept"] == STATS_ACCEPT

    async def test_expired_token_is_refreshed_once(self, vcc: VccClient, sim: SimServer) -> None:
        """After the server expires tokens: one 401, one new token, the read succeeds."""
        await vcc.agent_status()
        sim.expire_tokens()
        snapshot = await vcc.agent_status()
        assert snapshot.items
        assert len(token_posts(sim)) == 2
        assert [r.status for r in calls(sim, "/stats/agent-status")] == [200, 401, 200]

    async def test_bad_secret_is_auth_error_without_the_secret(
        self, make_client: MakeClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """Wrong credentials: VccAuthError naming invalid_client; the secret is not in it."""
        vcc = make_client(client_secret=SecretStr("not-the-sim-secret"))
        with pytest.raises(VccAuthError, match="invalid_client") as info:
            await vcc.agent_status()
        assert "not-the-sim-secret" not in str(info.value)
        assert "not-the-sim-secret" not in repr(info.value)
        assert calls(sim, "/stats/agent-status") == []  # never reached the API
        assert sleeps.delays == []


class TestPaging:
    async def test_pages_union_equals_one_big_page(
        self,
        make_client: MakeClient,
        sim: SimServer,
        sim_clock: FrozenClock,
    ) -> None:
        """A small limit walks >= 3 pages with `end` pinned; the rows equal a one-page read."""
        end = sim_clock.now()
        start = end - timedelta(hours=1)  # ~1000 rows on the default floor at SIM_NOW
        whole = await make_client(page_limit=5000).agent_states(start, end)
        assert len(calls(sim, "/stats/wfm/agent-states")) == 1
        assert 12 <= len(whole.rows) < 5000

        limit = math.ceil(len(whole.rows) / 4)
        sim.clear_requests()
        paged = await make_client(page_limit=limit).agent_states(start, end)

        pages = calls(sim, "/stats/wfm/agent-states")
        assert len(pages) >= 3
        assert [r.query["page"] for r in pages] == [str(n) for n in range(1, len(pages) + 1)]
        assert {r.query["limit"] for r in pages} == {str(limit)}
        assert {r.query["end"] for r in pages} == {format_time(end)}
        assert {r.query["start"] for r in pages} == {format_time(start)}
        assert {r.query["include"] for r in pages} == {"StartedOrEnded"}
        assert paged.rows == whole.rows
        assert paged.as_of == whole.as_of

    async def test_rows_sorted_and_unique(
        self,
        vcc: VccClient,
        sim_clock: FrozenClock,
    ) -> None:
        """Rows come back sorted by (start, agentId) with no repeated (agentId, start)."""
        end = sim_clock.now()
        result = await vcc.agent_states(end - timedelta(hours=3), end)
        keys = [(r.start, r.agent_id) for r in result.rows]
        assert keys == sorted(keys)
        assert len({r.key for r in result.rows}) == len(result.rows)

    async def test_agent_filter_is_sent(
        self,
        vcc: VccClient,
        sim: SimServer,
        sim_clock: FrozenClock,
    ) -> None:
        """agent_id becomes `agentId`; only that agent's rows return."""
        end = sim_clock.now()
        result = await vcc.agent_states(end - timedelta(days=2), end, agent_id="1001")
        assert {r.agent_id for r in result.rows} <= {"1001"}
        (read,) = calls(sim, "/stats/wfm/agent-states")
        assert read.query["agentId"] == "1001"

    async def test_status_walks_pages_and_sorts_by_agent(
        self,
        make_client: MakeClient,
        sim: SimServer,
        sim_floor: Floor,
    ) -> None:
        """agent_status with limit 25 reads 3 pages for 60 agents; one item per agent."""
        snapshot = await make_client(page_limit=25).agent_status()
        ids = [item.agent_id for item in snapshot.items]
        assert ids == sorted(a.agent_id for a in sim_floor.agents)
        assert [r.query["page"] for r in calls(sim, "/stats/agent-status")] == ["1", "2", "3"]


class TestWindows:
    async def test_forty_days_become_two_contiguous_slices(
        self,
        make_client: MakeClient,
        sim: SimServer,
        sim_clock: FrozenClock,
    ) -> None:
        """40 days: two requests, each <= 31 days, the second starting where the first ended."""
        end = sim_clock.now()
        start = end - timedelta(days=40)
        # One agent and a big page keep it to one page per slice (~3400 rows in 40 days).
        vcc = make_client(page_limit=5000)
        result = await vcc.agent_states(start, end, agent_id="1001")

        reads = calls(sim, "/stats/wfm/agent-states")
        assert [r.status for r in reads] == [200, 200]
        (a_start, a_end), (b_start, b_end) = [
            (parse(r.query["start"]), parse(r.query["end"])) for r in reads
        ]
        assert a_start == parse(format_time(start))
        assert a_end == b_start
        assert b_end == parse(format_time(end))
        assert a_end - a_start <= timedelta(days=31)
        assert b_end - b_start <= timedelta(days=31)
        # Both slices contributed, merged into one sorted result.
        assert any(r.start < a_end for r in result.rows)
        assert any(r.start >= a_end for r in result.rows)
        assert [r.start for r in result.rows] == sorted(r.start for r in result.rows)

    async def test_unsplit_forty_days_would_be_refused(
        self,
        make_client: MakeClient,
        sim_clock: FrozenClock,
    ) -> None:
        """The simulator does refuse a 40-day window (so the split above is what saves us)."""
        vcc = make_client(window_limit=timedelta(days=40))
        end = sim_clock.now()
        with pytest.raises(VccRequestError, match="window size limit") as info:
            await vcc.agent_states(end - timedelta(days=40), end)
        assert info.value.status == 400


class TestFaults:
    async def test_429_retry_after_is_honoured(
        self, vcc: VccClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """429 with Retry-After: 2 → the client sleeps exactly 2 s (injected), then succeeds."""
        sim.fail_next(1, status=429, retry_after="2")
        snapshot = await vcc.agent_status()
        assert snapshot.items
        assert sleeps.delays == [2.0]
        assert [r.status for r in calls(sim, "/stats/agent-status")] == [429, 200]

    async def test_500_then_success(self, vcc: VccClient, sim: SimServer, sleeps: Sleeps) -> None:
        """One 500 is retried after a jittered backoff (0.5 s * jitter 0.5), then succeeds."""
        sim.fail_next(1, status=500)
        snapshot = await vcc.agent_status()
        assert snapshot.items
        assert sleeps.delays == [0.25]
        assert [r.status for r in calls(sim, "/stats/agent-status")] == [500, 200]

    async def test_persistent_503_is_unavailable(
        self, vcc: VccClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """5xx on every attempt: max_attempts tries, growing backoff, then VccUnavailable."""
        sim.fail_next(4, status=503)
        with pytest.raises(VccUnavailable, match="503") as info:
            await vcc.agent_status()
        assert info.value.status == 503
        assert sleeps.delays == [0.25, 0.5, 1.0]

    async def test_hang_past_timeout_is_unavailable(
        self, make_client: MakeClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """Answers slower than the client timeout are retried, then VccUnavailable (typed)."""
        vcc = make_client(
            timeout=HANG_TIMEOUT, policy=RetryPolicy(max_attempts=3, random=lambda: 0.5)
        )
        await vcc.groups()  # token fetched and a connection open before the hangs
        sleeps.delays.clear()
        sim.hang_next(3, seconds=2.0)
        with pytest.raises(VccUnavailable, match="timed out") as info:
            await vcc.groups()
        assert isinstance(info.value.__cause__, httpx.TimeoutException)
        assert sleeps.delays == [0.25, 0.5]

    async def test_hang_then_success(
        self, make_client: MakeClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """One slow answer is retried and the next attempt succeeds."""
        vcc = make_client(timeout=HANG_TIMEOUT)
        sim.hang_next(1, seconds=2.0)
        groups = await vcc.groups()
        assert groups
        assert sleeps.delays == [0.25]

    async def test_malformed_json_is_bad_response_not_retried(
        self, vcc: VccClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """A 200 with a truncated body is VccBadResponse at once.

        Not retried by design: a 2xx that is not the documented JSON points at a contract
        change or a wrong URL, which retrying would not fix (see `bot.vcc.decode.decode`).
        """
        sim.malformed_next(1)
        with pytest.raises(VccBadResponse, match="malformed JSON") as info:
            await vcc.agent_status()
        assert info.value.__cause__ is not None
        assert sleeps.delays == []
        assert len(calls(sim, "/stats/agent-status")) == 1


class TestUserAdmin:
    async def test_users_page_without_meta(
        self,
        make_client: MakeClient,
        sim: SimServer,
        sim_floor: Floor,
    ) -> None:
        """60 users at limit 25: pages 1-3, stopping on the short page; ids and names match."""
        users = await make_client(page_limit=25).users()
        assert [(u.agent_id, u.name) for u in users] == [
            (a.agent_id, a.name) for a in sim_floor.agents
        ]
        reads = calls(sim, "/useradmin/users")
        assert [r.query["page"] for r in reads] == ["1", "2", "3"]
        assert {r.query["include"] for r in reads} == {"Active"}
        assert {r.headers["accept"] for r in reads} == {USERADMIN_ACCEPT}

    async def test_users_and_stats_use_separate_scopes(
        self, vcc: VccClient, sim: SimServer
    ) -> None:
        """User Admin reads fetch their own `users:read` token, Stats its `stats` one."""
        await vcc.users()
        await vcc.agent_status()
        assert len(token_posts(sim)) == 2

    async def test_groups(self, vcc: VccClient, sim_floor: Floor) -> None:
        """Groups come back with id, name and display id."""
        groups = await vcc.groups()
        assert [(g.group_id, g.name, g.display_id) for g in groups] == [
            (t.team_id, t.name, t.display_id) for t in sim_floor.teams
        ]

    async def test_group_members(self, vcc: VccClient, sim_floor: Floor) -> None:
        """Each group's members carry the agent id (agentDisplayId) and name."""
        for team in sim_floor.teams:
            members = await vcc.group_members(team.team_id)
            assert [(m.user_id, m.agent_id, m.name) for m in members] == [
                (a.user_id, a.agent_id, a.name) for a in sim_floor.members(team.team_id)
            ]

    async def test_unknown_group_is_request_error(self, vcc: VccClient) -> None:
        """A group id VCC does not know is a 404 → VccRequestError with VCC's message."""
        with pytest.raises(VccRequestError, match="Not Found") as info:
            await vcc.group_members("no-such-group")
        assert info.value.status == 404


class TestWithPolicy:
    async def test_view_has_its_own_retries(
        self, vcc: VccClient, sim: SimServer, sleeps: Sleeps
    ) -> None:
        """A one-attempt view fails on the first 503 where its owner retries past it."""
        once = vcc.with_policy(RetryPolicy(max_attempts=1))
        sim.fail_next(1, status=503)
        with pytest.raises(VccUnavailable, match="503"):
            await once.agent_status()
        assert sleeps.delays == []
        sim.fail_next(1, status=503)
        assert (await vcc.agent_status()).items
        assert sleeps.delays == [0.25]
        assert [r.status for r in calls(sim, "/stats/agent-status")] == [503, 503, 200]

    async def test_view_shares_the_token_cache(self, vcc: VccClient, sim: SimServer) -> None:
        """Owner and view fetch one token per scope between them and send the same bearer."""
        view = vcc.with_policy(RetryPolicy(max_attempts=1))
        await view.agent_status()
        await vcc.agent_status()
        await vcc.groups()
        await view.groups()
        assert len(token_posts(sim)) == 2  # stats and users:read, once each
        for path in ("/stats/agent-status", "/useradmin/groups"):
            reads = calls(sim, path)
            assert len(reads) == 2
            assert len({r.headers["authorization"] for r in reads}) == 1

    async def test_view_shares_the_pool_and_never_closes_it(
        self, make_client: MakeClient, sim: SimServer
    ) -> None:
        """Closing a view leaves its owner working; closing the owner closes the view's pool."""
        owner = make_client()
        view = owner.with_policy(RetryPolicy(max_attempts=1))
        async with view:
            await view.groups()
        assert await owner.groups()  # the view's close left the shared pool open
        await owner.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await view.groups()  # the same pool: closed by its owner
