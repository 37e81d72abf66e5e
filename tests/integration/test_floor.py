"""The live floor model in the whole bot, on the simulated VCC over loopback.

The app is built by the production `open_app`; the poller runs as the app runs it (a service
beside the front door) or cycle by cycle on a frozen clock, and the simulator counts what VCC
was asked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from slack_bolt.app.async_app import AsyncApp

from bot.app import App
from bot.clock import FrozenClock
from bot.floor import read_model
from bot.handle import handle
from bot.query.source import ReadScope, VccSource
from bot.slack.serve import build_web_app, listen
from bot.vcc.models import AgentState
from tests.support.app import simulated_app

AT = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)  # a Wednesday afternoon in London
STATS = "/stats/"


def _stats_requests(app: App) -> list[str]:
    assert app.sim is not None
    return [r.path for r in app.sim.requests if r.path.startswith(STATS)]


async def _lookups(app: App) -> list[str]:
    directory = await app.query.directory()
    agent, team = directory.agents[3], directory.teams[1]
    commands = [
        agent.name,
        f"{agent.name} history today",
        f"team {team.name}",
        "teams",
        "who away",
        "who ready",
    ]
    return [app.text.render(await handle(text, app.query)) for text in commands]


def _rows(read_rows: dict[str, list[AgentState]]) -> set[tuple[str, datetime, int | None]]:
    return {(r.agent_id, r.start, r.duration_ms) for rows in read_rows.values() for r in rows}


class TestLookupsFromMemory:
    async def test_a_running_bot_answers_every_lookup_without_asking_vcc(self) -> None:
        """With the poller running, agent, history today, team, teams and who make no Stats
        request; and they say what the same bot says reading VCC per command."""
        clock = FrozenClock(AT)
        async with simulated_app(clock) as naive:
            expected = await _lookups(naive)  # the poller never ran: VCC per command
            assert _stats_requests(naive)
        async with simulated_app(clock) as app:
            assert app.floor is not None

            async def front_door() -> int:
                assert app.floor is not None
                assert app.sim is not None
                await app.floor.poller.loaded.wait()
                await app.query.directory()
                app.sim.clear_requests()
                assert await _lookups(app) == expected
                assert _stats_requests(app) == []
                return 0

            assert await app.run(front_door) == 0

    async def test_older_windows_are_read_once_then_kept(self) -> None:
        """Yesterday comes from VCC the first time, from memory the second."""
        async with simulated_app(FrozenClock(AT)) as app:
            assert app.floor is not None
            assert app.sim is not None
            await app.floor.poller.cycle()
            directory = await app.query.directory()
            text = f"{directory.agents[0].name} history yesterday"
            first = app.text.render(await handle(text, app.query))
            app.sim.clear_requests()
            assert app.text.render(await handle(text, app.query)) == first
            assert _stats_requests(app) == []


class TestOutages:
    async def test_failed_polls_back_off_say_stale_and_catch_up_without_a_gap(self) -> None:
        """While VCC fails, polls back off and answers say since when they are stale; when it
        is back, one cycle reads the whole gap: the model equals a fresh read of VCC."""
        clock = FrozenClock(AT)
        async with simulated_app(clock) as app:
            assert app.floor is not None
            assert app.sim is not None
            poller = app.floor.poller
            assert await poller.tick() == app.settings.poll_seconds
            agent = (await app.query.directory()).agents[0].name
            app.sim.fail_next(10_000, status=503)
            clock.advance(timedelta(minutes=20))
            waits = [await poller.tick() for _ in range(3)]
            assert waits == sorted(waits)
            assert waits[0] > app.settings.poll_seconds
            answer = app.text.render(await handle(agent, app.query))
            assert "Stale since" in answer
            app.sim.reset_faults()
            clock.advance(timedelta(minutes=20))
            assert await poller.tick() == app.settings.poll_seconds
            assert "Stale" not in app.text.render(await handle(agent, app.query))
            now, model = clock.now(), poller.model
            mine = read_model(model, ReadScope(model.origin, now), now)
            client = app.floor.direct
            fresh = await VccSource(client).read(ReadScope(model.origin, now))
            assert _rows(dict(mine.rows)) == _rows(dict(fresh.rows))

    async def test_while_todays_rows_load_answers_say_so(self) -> None:
        """Statuses in, rows not yet: an agent's answer has their state now and says today's
        totals are still loading (no zeros)."""
        async with simulated_app(FrozenClock(AT)) as app:
            assert app.floor is not None
            assert app.sim is not None
            agent = (await app.query.directory()).agents[0].name
            app.sim.fail_next(10_000, status=503, path_prefix="/stats/wfm")
            await app.floor.poller.tick()
            assert app.floor.poller.status_ready.is_set()
            assert not app.floor.poller.loaded.is_set()
            answer = app.text.render(await handle(agent, app.query))
            assert "still loading" in answer
            assert "Occupancy" not in answer


class TestReadiness:
    async def test_readyz_waits_for_the_floor_then_reports_its_age(self) -> None:
        """GET /readyz is 503 until the first agent-status read is in, then 200 with the
        model's age; while polls fail it stays 200 and the age and failures grow."""
        clock = FrozenClock(AT)
        async with simulated_app(clock) as app:
            assert app.floor is not None
            assert app.sim is not None
            bolt = AsyncApp(signing_secret="s", token="xoxb-1")
            web_app = build_web_app(bolt, signing_secret="s", readiness=app.floor.readiness)
            runner = await listen(web_app, "127.0.0.1", 0)
            host, port = runner.addresses[0][:2]
            try:
                async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
                    starting = await http.get("/readyz")
                    await app.floor.poller.tick()
                    fresh = await http.get("/readyz")
                    app.sim.fail_next(10_000, status=503)
                    clock.advance(timedelta(minutes=20))
                    await app.floor.poller.tick()
                    stale = await http.get("/readyz")
            finally:
                await runner.cleanup()
        assert starting.status_code == 503
        assert (fresh.status_code, stale.status_code) == (200, 200)
        assert fresh.json()["floor"]["age_seconds"] == 0
        assert fresh.json()["floor"]["loading"] is False
        assert stale.json()["floor"]["age_seconds"] == 1200
        assert stale.json()["floor"]["failed_polls"] == 1
