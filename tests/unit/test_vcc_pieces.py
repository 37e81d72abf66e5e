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
