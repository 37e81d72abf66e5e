"""The simulated roster: ids, names and teams, and the directory file drawn from them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.directory import normalize
from bot.sim import Floor, FloorConfig
from tests.support.sim import SIM_DAY_START, SIM_NOW, at, by_agent

SHIPPED_DIRECTORY = Path(__file__).parents[2] / "bot" / "data" / "sample_directory.json"


class TestAgentsAndTeams:
    def test_ids_names_and_teams(self, sim_floor: Floor) -> None:
        """Ids run 1001.., names are unique even ignoring accents, teams split evenly."""
        agents = sim_floor.agents
        assert [a.agent_id for a in agents] == [str(1001 + i) for i in range(60)]
        folded = {normalize(a.name) for a in agents}
        assert len(folded) == len(agents)
        assert len({a.user_id for a in agents}) == len(agents)
        assert [t.name for t in sim_floor.teams] == [
            "Billing Support",
            "Tech Support",
            "Sales",
            "Retentions",
        ]
        assert [t.display_id for t in sim_floor.teams] == ["210", "220", "230", "240"]
        sizes = Counter(a.team_id for a in agents)
        assert set(sizes) == {t.team_id for t in sim_floor.teams}
        assert max(sizes.values()) - min(sizes.values()) <= 1

    def test_names_exercise_search(self, sim_floor: Floor) -> None:
        """Accented names and shared first names are on the default floor."""
        names = {a.name for a in sim_floor.agents}
        assert {"José Álvarez", "Zoë Brontë", "Renée Dubois", "Łukasz Nowak"} <= names
        assert sum(n.startswith("Sam ") for n in names) >= 2

    def test_featured_names_are_spread_over_teams(self, sim_floor: Floor) -> None:
        """The accented and shared names are not all in one team."""
        teams = {a.team_id for a in sim_floor.agents if a.name.startswith(("Sam ", "José", "Zoë"))}
        assert len(teams) >= 2

    def test_a_large_floor(self) -> None:
        """10,000 agents in 50 teams: distinct names and ids, every team staffed."""
        floor = Floor(FloorConfig(agents=10_000, teams=50))
        assert len({normalize(a.name) for a in floor.agents}) == 10_000
        assert floor.agents[-1].agent_id == "11000"
        assert len({a.team_id for a in floor.agents}) == 50
        assert len({t.name for t in floor.teams}) == 50

    def test_bad_config_is_refused(self) -> None:
        with pytest.raises(ValueError, match="agents"):
            FloorConfig(agents=0)
        with pytest.raises(ValueError, match="teams"):
            FloorConfig(teams=0)
        with pytest.raises(Exception, match="Nowhere"):
            FloorConfig(timezone="Europe/Nowhere")

    def test_shipped_directory_is_the_default_floor(self) -> None:
        """bot/data/sample_directory.json is what the default floor produces."""
        shipped = json.loads(SHIPPED_DIRECTORY.read_text(encoding="utf-8"))
        assert shipped == Floor(FloorConfig()).directory_json()

    def test_last_login(self, sim_floor: Floor) -> None:
        """The last login of a working agent is this morning's first row."""
        rows = by_agent(sim_floor.select(SIM_DAY_START, SIM_NOW).wire())
        agent_id, agent_rows = next(iter(sorted(rows.items())))
        assert sim_floor.last_login(agent_id) == at(agent_rows[0]["start"])
        assert sim_floor.last_login("nobody") is None
