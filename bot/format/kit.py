"""Block Kit primitives, packing lines into sections, and the guard of Slack's limits.

`check_limits` is the last guard before anything is sent: the layouts never trip it, the
tests prove it. Limits from SLACK.md §4 and slack_sdk/models/blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "ACTIONS_MAX",
    "BUTTON_TEXT_MAX",
    "BUTTON_VALUE_MAX",
    "MAX_LINES",
    "Block",
    "Surface",
    "actions",
    "button",
    "check_limits",
    "context",
    "fallback",
    "listing",
    "pack",
    "section",
]

Block = dict[str, Any]
Surface = Literal["message", "home", "modal"]

# Slack's limits.
_MAX_BLOCKS: Mapping[Surface, int] = MappingProxyType({"message": 50, "home": 100, "modal": 100})
_SECTION_MAX = 3000
_FIELDS_MAX = 10
_FIELD_MAX = 2000
_HEADER_MAX = 150
_CONTEXT_MAX = 10
ACTIONS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
_ID_MAX = 255
_TEXT_MAX = 40_000

MAX_LINES = 50  # our own budget: agents, teams or periods listed in one reply


def section(text: str, fields: Sequence[str] = ()) -> Block:
    """A section of mrkdwn `text`, with `fields` side by side under it (two a row)."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": f} for f in fields]
    return block


def context(*texts: str) -> Block:
    """A context block: small grey mrkdwn lines."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def button(text: str, action_id: str, value: str) -> Block:
    """A button with plain `text`; an empty `value` is left out."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
    }
    if value:
        element["value"] = value
    return element


def actions(elements: Sequence[Block]) -> Block:
    """An actions block holding `elements` (at most 25 buttons)."""
    return {"type": "actions", "elements": list(elements)}


def fallback(text: str) -> str:
    """The notification text of a message, cut with "…" to Slack's 40,000 characters."""
    return text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


def pack(
    lines: Sequence[str], max_blocks: int, *, from_end: bool = False, sep: str = "\n"
) -> tuple[list[Block], int]:
    """Lines into sections of at most 3000 characters, at most `max_blocks` of them.

    Returns the sections and how many lines they hold: the first ones, or with `from_end`
    the last ones (in their order).
    """
    groups: list[list[str]] = []
    size = 0
    for line in reversed(lines) if from_end else lines:
        if groups and size + len(sep) + len(line) <= _SECTION_MAX:
            groups[-1].append(line)
            size += len(sep) + len(line)
        elif len(groups) < max_blocks and len(line) <= _SECTION_MAX:
            groups.append([line])
            size = len(line)
        else:
            break
    if from_end:
        groups = [g[::-1] for g in reversed(groups)]
    return [section(sep.join(g)) for g in groups], sum(len(g) for g in groups)


def listing(lines: Sequence[str], narrow: str, max_blocks: int) -> list[Block]:
    """The first lines that fit (at most 50), then "…and N more" for the rest.

    `narrow` follows the count: how to ask for fewer.
    """
    sections, shown = pack(lines[:MAX_LINES], max_blocks - 1)
    hidden = len(lines) - shown
    if hidden:
        sections.append(context(f"…and {hidden} more. {narrow}".strip()))
    return sections


# -- the guard ----------------------------------------------------------------------------


def check_limits(blocks: Sequence[Mapping[str, Any]], surface: Surface = "message") -> None:
    """Check blocks against Slack's limits for `surface`.

    A message holds 50 blocks, a Home tab or a modal 100; every other limit is the same.

    Raises:
        ValueError: naming every block and limit broken (or an unknown `surface`).
    """
    most = _MAX_BLOCKS.get(surface)
    if most is None:
        raise ValueError(f"unknown Slack surface: {surface!r}")
    problems: list[str] = []
    if len(blocks) > most:
        problems.append(f"{len(blocks)} blocks ({surface}: at most {most})")
    action_ids: set[str] = set()
    for n, block in enumerate(blocks):
        _check_block(problems, f"block {n} ({block.get('type')})", block, action_ids)
    if problems:
        raise ValueError("Block Kit limits broken: " + "; ".join(problems))


def _check_block(
    problems: list[str], where: str, block: Mapping[str, Any], action_ids: set[str]
) -> None:
    kind = block.get("type")
    _check_text(problems, f"{where} block_id", block.get("block_id"), _ID_MAX, optional=True)
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            problems.append(f"{where}: neither text nor fields")
        if "text" in block:
            _check_text(problems, f"{where} text", _text_of(block["text"]), _SECTION_MAX)
        if len(fields) > _FIELDS_MAX:
            problems.append(f"{where}: {len(fields)} fields (at most {_FIELDS_MAX})")
        for f in fields:
            _check_text(problems, f"{where} field", _text_of(f), _FIELD_MAX)
    elif kind == "header":
        _check_text(problems, f"{where} text", _text_of(block.get("text")), _HEADER_MAX)
    elif kind == "context":
        _check_count(problems, where, block.get("elements"), _CONTEXT_MAX)
        for element in block.get("elements") or []:
            _check_text(problems, f"{where} element", _text_of(element), _SECTION_MAX)
    elif kind == "actions":
        _check_count(problems, where, block.get("elements"), ACTIONS_MAX)
        for element in block.get("elements") or []:
            _check_button(problems, where, element, action_ids)
    elif kind != "divider":
        problems.append(f"{where}: a block type the renderer does not make")


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, Mapping) else None


def _check_text(
    problems: list[str], where: str, text: Any, limit: int, *, optional: bool = False
) -> None:
    if text is None and optional:
        return
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: missing or empty")
    elif len(text) > limit:
        problems.append(f"{where}: {len(text)} characters (at most {limit})")


def _check_count(problems: list[str], where: str, elements: Any, limit: int) -> None:
    count = len(elements) if isinstance(elements, list) else 0
    if not 1 <= count <= limit:
        problems.append(f"{where}: {count} elements (1 to {limit})")


def _check_button(
    problems: list[str], where: str, element: Mapping[str, Any], seen: set[str]
) -> None:
    _check_text(problems, f"{where} button text", _text_of(element.get("text")), BUTTON_TEXT_MAX)
    value = element.get("value")
    _check_text(problems, f"{where} button value", value, BUTTON_VALUE_MAX, optional=True)
    action_id = element.get("action_id")
    _check_text(problems, f"{where} action_id", action_id, _ID_MAX)
    if isinstance(action_id, str):
        if action_id in seen:
            problems.append(f"{where}: action_id {action_id!r} used twice")
        seen.add(action_id)
