"""handle() through the whole stack: Query -> VccClient -> loopback simulator.

Expected values come from a second, independent Floor with the same seed and clock, so the
answers are checked against the simulated truth, not against themselves.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.handle import UNAVAILABLE, handle
from bot.query.results import AgentNow, ErrorAnswer, History, TeamsList, TeamSummary, WhoList
from bot.sim import Floor
from bot.vcc.models import State
from tests.support.app import simulated_app
from tests.support.sim import SIM_NOW


@pytest.fixture
def truth(sim_floor: Floor) -> Floor:
    """An independent copy of the floor the bot's simulator serves (same seed, clock)."""
    return sim_floor


@pytest.fixture
async def app(sim_clock: FrozenClock) -> AsyncIterator[App]:
    async with simulated_app(sim_clock, AGENTSTATE_VCC_TIMEOUT="2") as built:
        yield built


def open_rows(truth: Floor) -> dict[str, dict[str, Any]]:
    """Each agent's current (open) WFM row today, per the simulated truth."""
    rows = truth.select(SIM_NOW - timedelta(days=2), SIM_NOW, "StartedOrEnded").wire()
    return {r["agentId"]: r for r in rows if r["duration"] is None}


class TestAgent:
    async def test_current_state_matches_the_floor(self, app: App, truth: Floor) -> None:
        """An agent's answer shows the state, reason and start of their open row."""
        current = open_rows(truth)
        agent = next(a for a in truth.agents if a.agent_id in current)
        reply = await handle(agent.name, app.query)
        answer = reply.answer
        assert isinstance(answer, AgentNow)
        row = current[agent.agent_id]
        assert answer.state is State.from_wire(row["state"])
        assert answer.reason == row["description"]
        assert answer.since == datetime.fromisoformat(row["start"])
        assert answer.elapsed == SIM_NOW - answer.since
        assert answer.freshness.as_of == SIM_NOW
        assert not answer.freshness.stale
        assert app.simulated
        assert reply.command == agent.name

    async def test_busy_agent_shows_live_interaction(self, app: App, truth: Floor) -> None:
        """A Busy agent's answer carries the interaction from agent-status."""
        busy = [aid for aid, r in open_rows(truth).items() if r["state"] == "Busy"]
        assert busy, "the default floor at SIM_NOW has agents on calls"
        reply = await handle(busy[0], app.query)
        assert isinstance(reply.answer, AgentNow)
        assert reply.answer.state is State.BUSY
        assert reply.answer.interactions
        assert reply.answer.interactions[0].direction in {"Inbound", "Outbound", "Internal"}

    async def test_history_today_is_a_contiguous_timeline(self, app: App, truth: Floor) -> None:
        """Today's history of a working agent has back-to-back periods ending now."""
        agent_id = next(aid for aid, r in open_rows(truth).items() if r["state"] != "LoggedOut")
        reply = await handle(f"{agent_id} history today", app.query)
        answer = reply.answer
        assert isinstance(answer, History)
        assert answer.window_label == "today"
        assert len(answer.periods) > 3
        for before, after in zip(answer.periods, answer.periods[1:], strict=False):
            assert before.end == after.start
        assert answer.periods[-1].ongoing
        assert answer.periods[-1].end == SIM_NOW


class TestTeams:
    async def test_team_summary_covers_every_member(self, app: App, truth: Floor) -> None:
        """A team's counts add up to its size, and every member is listed once."""
        team = truth.teams[0]
        members = {a.agent_id for a in truth.members(team.team_id)}
        reply = await handle(f"team {team.name.lower()}", app.query)
        answer = reply.answer
        assert isinstance(answer, TeamSummary)
        assert sum(n for _, n in answer.counts) == len(members)
        assert {line.agent.id for line in answer.agents} == members
        flagged = [line for line in answer.agents if line.flag]
        assert list(answer.agents[: len(flagged)]) == flagged

    async def test_teams_lists_all_four(self, app: App, truth: Floor) -> None:
        """`teams` lists every team of the floor."""
        answer = (await handle("teams", app.query)).answer
        assert isinstance(answer, TeamsList)
        assert [t.team.name for t in answer.teams] == [t.name for t in truth.teams]

    async def test_who_away_lists_exactly_the_away_agents(self, app: App, truth: Floor) -> None:
        """`who away` is every agent whose open row is Away or ExtendedAway."""
        expected = {
            aid for aid, r in open_rows(truth).items() if r["state"] in ("Away", "ExtendedAway")
        }
        answer = (await handle("who away", app.query)).answer
        assert isinstance(answer, WhoList)
        assert {line.agent.id for line in answer.agents} == expected


class TestFailures:
    async def test_vcc_down_is_a_friendly_answer(self, app: App) -> None:
        """VCC answering 500 on every retry becomes the friendly "not answering" reply."""
        assert app.sim is not None
        await handle("teams", app.query)  # directory loaded while VCC is up
        app.sim.fail_next(50, status=500)
        answer = (await handle("teams", app.query)).answer
        assert isinstance(answer, ErrorAnswer)
        assert answer.message == UNAVAILABLE

    async def test_unknown_agent_suggests(self, app: App, truth: Floor) -> None:
        """A misspelt name answers "did you mean" with the agent as a suggestion."""
        agent = truth.agents[0]
        typo = agent.name[:-1] + "x"
        answer = (await handle(typo, app.query)).answer
        assert isinstance(answer, ErrorAnswer)
        assert agent.agent_id in {o.choice.id for o in answer.suggestions}
        assert agent.agent_id in {o.command for o in answer.suggestions}

    async def test_window_older_than_history_limit(self, app: App, truth: Floor) -> None:
        """A date older than the history limit is a friendly answer, not a VCC call."""
        agent = truth.agents[0]
        answer = (await handle(f"{agent.agent_id} history 2026-01-01", app.query)).answer
        assert isinstance(answer, ErrorAnswer)
        assert "at most 7 days" in answer.message


class TestPastDays:
    async def test_a_day_off_shows_logged_out_all_day(self, app: App, truth: Floor) -> None:
        """An agent with no state change on Sunday shows one Logged out period for the whole
        day (the state began before it), not an empty timeline."""
        sunday = datetime.fromisoformat("2026-03-08T00:00:00+00:00")  # London is on GMT
        changed = {r["agentId"] for r in truth.select(sunday, sunday + timedelta(days=1)).wire()}
        idle = next(a for a in truth.agents if a.agent_id not in changed)
        answer = (await handle(f"{idle.agent_id} history 2026-03-08", app.query)).answer
        assert isinstance(answer, History)
        assert [(p.state, p.duration) for p in answer.periods] == [
            (State.LOGGED_OUT, timedelta(days=1))
        ]
        assert not answer.freshness.stale


class TestChoices:
    async def test_ambiguous_team_offers_each_as_a_command(self, app: App) -> None:
        """`team support` matches two teams: each choice runs `team <name>`."""
        answer = (await handle("team support", app.query)).answer
        assert isinstance(answer, ErrorAnswer)
        commands = {offer.command for offer in answer.choices}
        assert commands == {"team Billing Support", "team Tech Support"}

    async def test_ambiguous_agent_keeps_the_window(self, app: App) -> None:
        """`sam history today` matches several agents: each choice keeps `history today`."""
        answer = (await handle("sam history today", app.query)).answer
        assert isinstance(answer, ErrorAnswer)
        assert len(answer.choices) > 1
        for offer in answer.choices:
            assert offer.command == f"{offer.choice.id} history today"


class TestAgentsMissingFromTheDirectory:
    @pytest.fixture
    async def partial(
        self, sim_clock: FrozenClock, sim_floor: Floor, tmp_path: Path
    ) -> AsyncIterator[App]:
        """A bot whose directory file lists only the first team."""
        listing = sim_floor.directory_json()
        listing["teams"] = listing["teams"][:1]
        path = tmp_path / "directory.json"
        path.write_text(json.dumps(listing), encoding="utf-8")
        async with simulated_app(sim_clock, AGENTSTATE_DIRECTORY=str(path)) as built:
            yield built

    async def test_who_lists_them_by_bare_id(self, partial: App, truth: Floor) -> None:
        """`who away` covers the whole floor VCC reports, unlisted agents by their ID."""
        expected = {
            aid for aid, r in open_rows(truth).items() if r["state"] in ("Away", "ExtendedAway")
        }
        answer = (await handle("who away", partial.query)).answer
        assert isinstance(answer, WhoList)
        assert {line.agent.id for line in answer.agents} == expected
        listed = {a.agent_id for a in truth.members(truth.teams[0].team_id)}
        unlisted = [line.agent for line in answer.agents if line.agent.id not in listed]
        assert unlisted
        assert all(agent.name == agent.id for agent in unlisted)

    async def test_bare_id_answers(self, partial: App, truth: Floor) -> None:
        """An agent ID VCC knows but the directory lacks still answers, named by its ID;
        an ID VCC does not know is "couldn't find"."""
        outsider = truth.members(truth.teams[1].team_id)[0]
        answer = (await handle(outsider.agent_id, partial.query)).answer
        assert isinstance(answer, AgentNow)
        assert answer.agent.name == outsider.agent_id
        missing = (await handle("99999", partial.query)).answer
        assert isinstance(missing, ErrorAnswer)
        assert "couldn't find" in missing.message
