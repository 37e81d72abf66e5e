"""Checks on rendered Block Kit shared by the unit and property tests."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.format import check_limits


def assert_valid(blocks: list[dict[str, Any]]) -> None:
    """Blocks pass our own guard and slack_sdk's models, and slack_sdk keeps every key."""
    check_limits(blocks)
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block  # to_dict validates nested objects too


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a reader sees: section text and fields, context elements, button labels."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", ()))
        for element in block.get("elements", ()):
            out.append(element["text"] if element["type"] != "button" else element["text"]["text"])
    return out


def all_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))
