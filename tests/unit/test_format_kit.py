"""format.kit: block primitives, packing lines into sections, and Slack's limits per surface."""

from __future__ import annotations

from typing import Any

import pytest

from bot.format import check_limits
from bot.format.kit import button, context, fallback, listing, pack, section


def divider() -> dict[str, Any]:
    return {"type": "divider"}


class TestPrimitives:
    def test_section_with_fields(self) -> None:
        """A section holds mrkdwn text and, when given, mrkdwn fields."""
        assert section("t", ["a", "b"]) == {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "t"},
            "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "mrkdwn", "text": "b"}],
        }
        assert "fields" not in section("t")

    def test_button_without_a_value_has_none(self) -> None:
        """An empty value is left out rather than sent empty (Slack refuses "")."""
        assert "value" not in button("Go", "go", "")
        assert button("Go", "go", "team x")["value"] == "team x"

    def test_fallback_is_cut_to_slacks_limit(self) -> None:
        """Fallback text over 40,000 characters is cut to 40,000 ending with "…"."""
        assert fallback("x" * 40_000) == "x" * 40_000
        cut = fallback("x" * 40_001)
        assert len(cut) == 40_000
        assert cut.endswith("x…")


class TestPacking:
    def test_lines_fill_sections_of_at_most_3000(self) -> None:
        """Lines join into as few sections as fit 3000 characters each."""
        sections, shown = pack(["x" * 1000] * 5, 10)
        assert shown == 5
        assert [len(s["text"]["text"]) for s in sections] == [2001, 2001, 1000]

    def test_at_most_max_blocks_from_either_end(self) -> None:
        """Past `max_blocks` the rest is left out: the last lines with `from_end`."""
        lines = [str(n) * 2000 for n in range(4)]
        first, shown = pack(lines, 2)
        assert (shown, first[0]["text"]["text"][0]) == (2, "0")
        last, shown = pack(lines, 2, from_end=True)
        assert (shown, [s["text"]["text"][0] for s in last]) == (2, ["2", "3"])

    def test_listing_counts_what_it_leaves_out(self) -> None:
        """At most 50 lines are listed; "…and N more." says how many were not."""
        blocks = listing([f"line {n}" for n in range(80)], "Narrow it.", 10)
        assert blocks[-1] == context("…and 30 more. Narrow it.")
        assert blocks[0]["text"]["text"].count("\n") == 49


class TestCheckLimits:
    @staticmethod
    def section(text: str = "x", **extra: Any) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}

    @staticmethod
    def button(action_id: str = "a", text: str = "b", value: str = "v") -> dict[str, Any]:
        return {
            "type": "button",
            "text": {"type": "plain_text", "text": text},
            "action_id": action_id,
            "value": value,
        }

    def test_accepts_what_fits(self) -> None:
        """Blocks within every limit pass."""
        check_limits([self.section("x" * 3000), {"type": "actions", "elements": [self.button()]}])

    @pytest.mark.parametrize(
        ("blocks", "problem"),
        [
            ([{"type": "divider"}] * 51, "51 blocks"),
            ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001"),
            ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "empty"),
            (
                [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
                "11 fields",
            ),
            ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "2001"),
            ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151"),
            ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "11"),
            (
                [
                    {
                        "type": "section",
                        "block_id": "b" * 256,
                        "text": {"type": "mrkdwn", "text": "x"},
                    }
                ],
                "block_id",
            ),
            ([{"type": "image"}], "block type"),
        ],
    )
    def test_refuses_what_breaks_a_limit(self, blocks: list[dict[str, Any]], problem: str) -> None:
        """Each broken limit raises a ValueError that names it."""
        with pytest.raises(ValueError, match=problem):
            check_limits(blocks)

    def test_buttons(self) -> None:
        """Button text ≤ 75, value ≤ 2000, ≤ 25 per actions block, action_ids unique."""
        cases = [
            ([self.button(text="t" * 76)], "76"),
            ([self.button(value="v" * 2001)], "2001"),
            ([self.button(str(n)) for n in range(26)], "26 elements"),
            ([self.button(), self.button()], "used twice"),
        ]
        for elements, problem in cases:
            with pytest.raises(ValueError, match=problem):
                check_limits([{"type": "actions", "elements": elements}])


class TestSurfaces:
    def test_51_blocks_fail_a_message_but_fit_a_home_tab_or_modal(self) -> None:
        """A message holds 50 blocks (the default surface); a Home tab and a modal 100."""
        check_limits([divider()] * 50)
        with pytest.raises(ValueError, match=r"51 blocks \(message: at most 50\)"):
            check_limits([divider()] * 51)
        with pytest.raises(ValueError, match="51 blocks"):
            check_limits([divider()] * 51, surface="message")
        check_limits([divider()] * 51, surface="home")
        check_limits([divider()] * 100, surface="home")
        check_limits([divider()] * 100, surface="modal")

    @pytest.mark.parametrize("surface", ["home", "modal"])
    def test_101_blocks_fail_a_home_tab_and_a_modal(self, surface: Any) -> None:
        """Past 100 blocks a Home tab or a modal is refused, naming its surface."""
        with pytest.raises(ValueError, match=rf"101 blocks \({surface}: at most 100\)"):
            check_limits([divider()] * 101, surface=surface)

    def test_other_limits_hold_on_every_surface(self) -> None:
        """Only the block count differs: a 3001-character section fails a Home tab too."""
        with pytest.raises(ValueError, match="3001"):
            check_limits([section("x" * 3001)], surface="home")

    def test_an_unknown_surface_is_refused(self) -> None:
        """A surface Slack does not have is a programming error, not a pass."""
        with pytest.raises(ValueError, match="surface"):
            check_limits([divider()], surface="canvas")  # type: ignore[arg-type]
