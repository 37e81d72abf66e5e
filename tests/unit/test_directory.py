"""directory: finding agents and teams the way supervisors type them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.directory import Agent, Directory, DirectoryCache, Team, load_directory_file, normalize
from bot.errors import (
    AmbiguousAgent,
    AmbiguousTeam,
    ConfigError,
    UnknownAgent,
    UnknownTeam,
    UserError,
    VccUnavailable,
)

DIRECTORY = Directory(
    agents=(
        Agent("1101", "Priya Natarajan"),
        Agent("1102", "Sam Okafor"),
        Agent("1103", "Sam Whitaker"),
        Agent("1104", "Zoë Brontë"),
        Agent("1105", "Łukasz Nowak"),
        Agent("0042", "José Álvarez"),
    ),
    teams=(
        Team("g1", "Billing Support", ("1101", "1102", "0042")),
        Team("g2", "Tech Support", ("1103", "1104", "1105")),
        Team("g3", "Sales", ()),
    ),
)


class TestNormalize:
    def test_folds_case_accents_and_space(self) -> None:
        """Case, accents and runs of spaces do not matter."""
        assert normalize("  ZOË   Brontë ") == "zoe bronte"
        assert normalize("Łukasz") == "lukasz"


class TestFindAgent:
    @pytest.mark.parametrize(
        ("text", "agent_id"),
        [
            ("1101", "1101"),
            ("0042", "0042"),
            ("Priya Natarajan", "1101"),
            ("priya", "1101"),
            ("NATARAJAN", "1101"),
            ("zoe", "1104"),
            ("Zoë Brontë", "1104"),
            ("lukasz nowak", "1105"),
            ("jose", "0042"),
            ("sam w", "1103"),
            ("tara", "1101"),
        ],
    )
    def test_finds_by_id_name_or_part(self, text: str, agent_id: str) -> None:
        """An ID, a full name, or part of one finds the agent, ignoring case and accents."""
        assert DIRECTORY.find_agent(text).id == agent_id

    def test_shared_name_lists_the_choices(self) -> None:
        """A name two agents share raises AmbiguousAgent with both as choices."""
        with pytest.raises(AmbiguousAgent) as caught:
            DIRECTORY.find_agent("sam")
        assert {c.id for c in caught.value.choices} == {"1102", "1103"}

    def test_near_miss_suggests(self) -> None:
        """A typo raises UnknownAgent with the close name as a suggestion."""
        with pytest.raises(UnknownAgent) as caught:
            DIRECTORY.find_agent("Pria Natarjan")
        assert caught.value.suggestions[0].id == "1101"

    def test_nothing_like_it(self) -> None:
        """A name like no other gets no suggestions."""
        with pytest.raises(UnknownAgent) as caught:
            DIRECTORY.find_agent("qqqqqq")
        assert caught.value.suggestions == ()

    def test_empty(self) -> None:
        """Blank text asks which agent."""
        with pytest.raises(UserError):
            DIRECTORY.find_agent("  ")

    def test_unknown_id_shows_bare_id(self) -> None:
        """An agent VCC knows but the directory does not is shown by its ID."""
        assert DIRECTORY.agent("9999") == Agent("9999", "9999")


class TestFindTeam:
    def test_by_name_part_or_id(self) -> None:
        """A team is found by id, name or an unambiguous part of its name, any case."""
        assert DIRECTORY.find_team("billing").id == "g1"
        assert DIRECTORY.find_team("TECH SUPPORT").id == "g2"
        assert DIRECTORY.find_team("g3").name == "Sales"

    def test_ambiguous_part_offers_both(self) -> None:
        """ "support" matches two teams: AmbiguousTeam offers both as choices."""
        with pytest.raises(AmbiguousTeam) as caught:
            DIRECTORY.find_team("support")
        assert {c.label for c in caught.value.choices} == {"Billing Support", "Tech Support"}

    def test_typo_suggests(self) -> None:
        """A typo suggests the close team."""
        with pytest.raises(UnknownTeam) as caught:
            DIRECTORY.find_team("Saels")
        assert [c.label for c in caught.value.suggestions][:1] == ["Sales"]

    def test_teams_of(self) -> None:
        assert [t.name for t in DIRECTORY.teams_of("1104")] == ["Tech Support"]


class TestDirectoryFile:
    def test_reads_teams_and_agents(self, tmp_path: Path) -> None:
        """A directory file gives agents (ids kept as strings) and their teams."""
        path = tmp_path / "dir.json"
        path.write_text(
            json.dumps(
                {"teams": [{"id": "t", "name": "T", "agents": [{"id": "007", "name": "B"}]}]}
            ),
            encoding="utf-8",
        )
        directory = load_directory_file(path)
        assert directory.find_agent("007") == Agent("007", "B")
        assert directory.teams == (Team("t", "T", ("007",)),)

    @pytest.mark.parametrize("content", [None, "not json", '{"teams": [{"name": "x"}]}'])
    def test_bad_file_is_a_config_error(self, tmp_path: Path, content: str | None) -> None:
        """A missing or malformed file names AGENTSTATE_DIRECTORY."""
        path = tmp_path / "dir.json"
        if content is not None:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_directory_file(path)
        assert caught.value.variable == "AGENTSTATE_DIRECTORY"


class TestDirectoryCache:
    async def test_loads_once_then_again_after_ttl(self) -> None:
        """Within the TTL the loaded directory is reused; after it, loaded again."""
        clock = FrozenClock(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
        loads: list[int] = []

        async def load() -> Directory:
            loads.append(1)
            return DIRECTORY

        cache = DirectoryCache(load, clock, timedelta(minutes=10))
        await asyncio.gather(*(cache.get() for _ in range(5)))
        clock.advance(timedelta(minutes=9))
        await cache.get()
        assert len(loads) == 1
        clock.advance(timedelta(minutes=2))
        assert await cache.get() is DIRECTORY
        assert len(loads) == 2

    async def test_failed_reload_keeps_the_old_directory(self) -> None:
        """A VCC failure on reload keeps the last good directory; on first load it raises."""
        clock = FrozenClock(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
        fail = [False]

        async def load() -> Directory:
            if fail[0]:
                raise VccUnavailable("down")
            return DIRECTORY

        cache = DirectoryCache(load, clock, timedelta(minutes=10))
        await cache.get()
        fail[0] = True
        clock.advance(timedelta(hours=1))
        assert await cache.get() is DIRECTORY

        broken = DirectoryCache(load, clock, timedelta(minutes=10))
        with pytest.raises(VccUnavailable):
            await broken.get()
