"""A big body decoded in pieces (`bot.vcc.decode.parse_in_pieces`) reads as one decoded whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.errors import VccBadResponse
from bot.vcc.decode import parse_body, parse_in_pieces
from bot.vcc.models import AgentState, Page
from bot.vcc.paging import GroupListing, UserListing
from tests.support.vcc import page, state_row

T0 = datetime(2026, 3, 11, 11, 30, tzinfo=UTC)


def both(body: bytes, model: type[Any]) -> tuple[Any, Any]:
    whole = parse_body(httpx.Response(200, content=body), model, "test")
    return whole, parse_in_pieces(body, model, "test")


class TestPieces:
    @pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 700])
    @pytest.mark.parametrize("indent", [None, 0, 2])
    def test_a_stats_page_reads_the_same(self, count: int, indent: int | None) -> None:
        """Any number of rows (whole pieces of 256, a rest, none), any layout: the same page."""
        rows = [state_row(str(1000 + n % 50), T0) for n in range(count)]
        body = json.dumps(page(rows, 1, 1, T0), indent=indent).encode()
        whole, pieces = both(body, Page[AgentState])
        assert pieces == whole

    def test_user_admin_lists_read_the_same(self) -> None:
        users = {"users": [{"userId": f"u{n}", "name": f"N {n}"} for n in range(300)]}
        groups = {"meta": None, "groups": [{"groupId": "g", "groupName": "Tech"}]}
        for payload, model in ((users, UserListing), (groups, GroupListing)):
            whole, pieces = both(json.dumps(payload).encode(), model)
            assert pieces == whole

    @pytest.mark.parametrize(
        "body",
        [b'{"meta": ', b"[1, 2]", b'{"items": [1,]}', b'{"a": 1} x', b"\xff", b"{1: 2}"],
    )
    def test_bad_bodies_are_bad_responses(self, body: bytes) -> None:
        with pytest.raises(VccBadResponse):
            parse_in_pieces(body, Page[AgentState], "test")

    def test_a_wrong_item_names_a_problem(self) -> None:
        body = json.dumps(page([{"agentId": 1}], 1, 1, T0)).encode()
        with pytest.raises(VccBadResponse, match="unexpected shape"):
            parse_in_pieces(body, Page[AgentState], "test")


class TestItemMemo:
    def test_unchanged_items_are_the_same_objects_changed_ones_validated_again(self) -> None:
        """The second read of a big agent-status page reuses each unchanged item and
        validates only the changed one; the memo keeps at most its size."""
        from pydantic import TypeAdapter

        from bot.vcc.decode import ItemMemo
        from bot.vcc.models import AgentStatus

        def item(agent: str, name: str) -> str:
            presence = {"since": "2026-03-11T09:00:00.000Z", "name": name}
            return json.dumps({"agentId": agent, "presence": presence})

        adapter = TypeAdapter(list[AgentStatus])
        memo = ItemMemo(size=3)
        first = memo.items([item("1", "Ready"), item("2", "Away")], adapter)
        second = memo.items([item("1", "Ready"), item("2", "Ready")], adapter)
        assert second[0] is first[0]
        assert second[1] is not first[1]
        assert second[1].presence.name == "Ready"
        assert second == adapter.validate_json(f"[{item('1', 'Ready')},{item('2', 'Ready')}]")
        memo.items([item("3", "Ready"), item("4", "Ready")], adapter)
        assert memo.items([item("1", "Ready")], adapter)[0] is not first[0]  # dropped: oldest
