"""Reply -> Block Kit blocks and the plain notification text, phone first, within Slack's limits.

Phone first: short lines, at most two fields side by side, lists capped at a screenful or
two with "and N more". Every outside text goes through `mrkdwn.inline()`/`escape()`; times a
viewer reads are Slack date tokens so each sees their own zone. `check_limits` is the last
guard: the renderers never trip it, the tests prove it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import Choice
from bot.format.mrkdwn import (
    as_of,
    clip,
    duration,
    escape,
    inline,
    percent,
    plain_label,
    reason_for,
    slack_date,
    state_emoji,
    state_name,
    state_text,
)
from bot.query.results import (
    AgentLine,
    AgentNow,
    ErrorAnswer,
    HelpAnswer,
    History,
    LiveInteraction,
    Period,
    Reply,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.vcc.models import State

__all__ = [
    "ACTION_REFRESH",
    "ACTION_RUN_PREFIX",
    "ACTION_SHARE",
    "check_limits",
    "render_blocks",
]

ACTION_REFRESH = "agentstate_refresh"
ACTION_SHARE = "agentstate_share"
ACTION_RUN_PREFIX = "agentstate_run_"

Block = dict[str, Any]

# Slack's limits (SLACK.md §4, slack_sdk/models/blocks).
_MAX_BLOCKS = 50
_SECTION_MAX = 3000
_FIELDS_MAX = 10
_FIELD_MAX = 2000
_HEADER_MAX = 150
_CONTEXT_MAX = 10
_ACTIONS_MAX = 25
_BUTTON_TEXT_MAX = 75
_BUTTON_VALUE_MAX = 2000
_ID_MAX = 255
_TEXT_MAX = 40_000

# Our own budgets, below Slack's: a reply is read on a phone.
_BODY_BUDGET = 43  # blocks before the closing context and actions: 45 in all, 5 spare
_MAX_LINES = 50  # agents, teams or periods listed in one reply
_MAX_INTERACTIONS = 5
_NAME = 60  # characters of a name on a list line (before escaping)
_TITLE = 100  # characters of the name a reply is about
_WORD = 40  # characters of a reason, label, medium or window label
_TEAMS_SHOWN = 300  # characters of team names on an agent's reply
_BAR_ROW = 12  # bar slots per line: fits a phone with the time in front
_BAR_MAX = 24

_FLOOR = (AgentNow, History, TeamSummary, TeamsList, WhoList)  # answers about the floor
_SHARED_BY = re.compile(r"[UW][A-Z0-9]{2,20}")
_SIMULATED = "🧪 simulated contact center"

# One colour square per state for the history bar; a legend says which is which.
_BAR: Mapping[State | None, str] = {
    State.READY: "🟩",
    State.READY_RFO: "🟦",
    State.BUSY: "🟥",
    State.WRAP: "🟨",
    State.AWAY: "🟧",
    State.EXTENDED_AWAY: "🟫",
    State.LOGGED_OUT: "⬛",
    State.UNEXPECTED: "🟪",
    State.FAILED: "🟪",
    State.UNKNOWN: "⬜",
    None: "⬜",
}


def render_blocks(
    reply: Reply, *, zone: ZoneInfo, shared_by: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Block Kit blocks and the fallback `text` for a reply.

    Args:
        reply: the answer and the command that produced it (the value of Refresh/Share).
        zone: the floor's time zone, for the fallback of Slack date tokens.
        shared_by: the Slack user who shared it to a channel: then no buttons, and a
            "Shared by" line (an id that is not a Slack user id is left out).

    Raises:
        ValueError: from `check_limits`, if a renderer ever broke a Slack limit (a bug).
    """
    answer = reply.answer
    buttons = shared_by is None
    notes: list[str] = []
    match answer:
        case AgentNow():
            blocks, text = _agent_now(answer, zone)
        case History():
            blocks, text = _history(answer, zone)
        case TeamSummary():
            blocks, text = _team_summary(answer)
        case TeamsList():
            blocks, text = _teams_list(answer)
        case WhoList():
            blocks, text = _who_list(answer)
        case HelpAnswer():
            blocks, text = _help(answer)
        case ErrorAnswer():
            blocks, text = _error(answer, buttons=buttons)
    floor = isinstance(answer, _FLOOR)
    if isinstance(answer, _FLOOR):
        notes.append(as_of(answer.freshness, zone))
        if reply.simulated:
            notes.append(_SIMULATED)
    if shared_by is not None and _SHARED_BY.fullmatch(shared_by):
        notes.append(f"Shared by <@{shared_by}>")
    if notes:
        blocks.append(_context(*notes))
    if floor and buttons:
        blocks.extend(_floor_actions(reply.command))
    check_limits(blocks)
    return blocks, text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


# -- answers ------------------------------------------------------------------------------


def _agent_now(a: AgentNow, zone: ZoneInfo) -> tuple[list[Block], str]:
    now = a.freshness.as_of
    words = _state_words(a.state, a.label, a.reason, a.elapsed)
    name = _name(a.agent.name, _TITLE)
    lines = [
        f"{state_emoji(a.state)} *{name}* — {words}",
        f"since {_when(a.since, now, zone)}",
    ]
    if a.teams:
        lines.append(f"👥 {_team_names(a.teams)}")
    if a.flag:
        lines.append(f"⚠️ {inline(a.flag, _WORD)}")
    blocks = [_section("\n".join(lines))]
    if a.interactions:
        shown = [_interaction(i, now, zone) for i in a.interactions[:_MAX_INTERACTIONS]]
        hidden = len(a.interactions) - len(shown)
        if hidden:
            shown.append(f"…and {hidden} more")
        blocks.append(_section("\n".join(shown)))
    blocks.append(_totals("Today", a.today))
    return blocks, f"{name} — {words}"


def _history(h: History, zone: ZoneInfo) -> tuple[list[Block], str]:
    name = _name(h.agent.name, _TITLE)
    # Each bar row starts with its time; without a bar, the window's ends say where it lies.
    head = [f"🕘 *{name}* · {inline(h.window_label, _WORD)}"]
    head.extend(_bar_lines(h.bar, h.start, h.end, zone) or [_span(h.start, h.end, zone)])
    blocks = [_section("\n".join(head)), _totals("Totals", h.totals)]
    if not h.periods:
        blocks.append(_section("No state changes in this window."))
    else:
        lines = _timeline(h.periods[-_MAX_LINES:], h.end, zone)
        sections, shown = _pack(lines, _BODY_BUDGET - len(blocks) - 1, from_end=True)
        hidden = len(h.periods) - shown
        if hidden:
            periods = "period" if hidden == 1 else "periods"
            blocks.append(_context(f"… {hidden} earlier {periods} not shown"))
        blocks.extend(sections)
    count = len(h.periods)
    return blocks, f"{name} · {inline(h.window_label, _WORD)}: {count} " + (
        "period" if count == 1 else "periods"
    )


def _team_summary(t: TeamSummary) -> tuple[list[Block], str]:
    name = _name(t.team.name, _TITLE)
    total = len(t.agents)
    counts = " · ".join(f"{state_text(s)} {n}" for s, n in t.counts if n)
    head = [f"👥 *{name}* · {_agents(total)}"]
    if counts:
        head.append(counts)
    head.append(f"Occupancy {percent(t.occupancy)} · away today {duration(t.away_today)}")
    blocks = [_section("\n".join(head))]
    if not t.agents:
        blocks.append(_section("Nobody in this team."))
    else:
        blocks.extend(
            _listing(
                [_agent_line(x, today=True) for x in t.agents],
                "Try `who &lt;state&gt; &lt;team&gt;` to narrow it.",
                _BODY_BUDGET - len(blocks),
            )
        )
    plain_counts = ", ".join(f"{n} {escape(state_name(s))}" for s, n in t.counts if n)
    return blocks, f"{name}: {plain_counts or _agents(total)}"


def _teams_list(t: TeamsList) -> tuple[list[Block], str]:
    head = f"👥 *Teams* · {len(t.teams)}"
    lines = []
    for team in t.teams:
        name = _name(team.team.name, _NAME)
        flagged = f" · ⚠️ {team.flagged}" if team.flagged else ""
        lines.append(f"*{name}* — {team.logged_in} logged in · {team.ready} ready{flagged}")
    blocks = [_section(head)]
    if lines:
        blocks.extend(_listing(lines, "", _BODY_BUDGET - 1))
    else:
        blocks.append(_section("No teams found."))
    return blocks, f"{len(t.teams)} teams"


def _who_list(w: WhoList) -> tuple[list[Block], str]:
    states = " or ".join(escape(state_name(s)) for s in w.states) or "that state"
    emoji = "".join(dict.fromkeys(state_emoji(s) for s in w.states))
    where = f" in *{_name(w.team.name, _NAME)}*" if w.team else ""
    blocks = [_section(f"{emoji} *{states}*{where} · {_agents(len(w.agents))}".strip())]
    if w.agents:
        blocks.extend(_listing([_agent_line(x) for x in w.agents], "", _BODY_BUDGET - 1))
    else:
        blocks.append(_section("Nobody right now."))
    team = f" in {_name(w.team.name, _NAME)}" if w.team else ""
    return blocks, f"{states}{team}: {_agents(len(w.agents))}"


def _help(h: HelpAnswer) -> tuple[list[Block], str]:
    intro = escape(h.intro) if h.intro.strip() else "Type `/agentstate` and then:"
    entries = []
    for e in h.entries:
        examples = " · ".join(f"`/agentstate {escape(x)}`" for x in e.examples)
        entries.append(f"*`{escape(e.usage)}`*\n{escape(e.summary)}\n{examples}".rstrip())
    blocks = [_section(intro)]
    sections, _ = _pack(entries, _BODY_BUDGET - 1, sep="\n\n")
    return blocks + sections, "agentstate: what you can ask"


def _error(e: ErrorAnswer, *, buttons: bool) -> tuple[list[Block], str]:
    message = escape(clip(e.message, 500)) or "Something went wrong."
    text = message + (f"\n{escape(clip(e.hint, 500))}" if e.hint else "")
    blocks = [_section(text)]
    number = 0
    for prompt, choices in (("Did you mean…?", e.suggestions), ("Which one?", e.choices)):
        if not choices:
            continue
        if not buttons:
            listed = ", ".join(_choice_text(c) for c in choices[:_MAX_LINES])
            blocks.append(_section(f"{prompt} {listed}"))
            continue
        row: list[Block] = []
        for choice in choices:
            value = e.command_template.format(id=choice.id)
            if len(value) > _BUTTON_VALUE_MAX:
                continue  # a cut command would run something else; better no button
            row.append(_button(_button_label(choice), f"{ACTION_RUN_PREFIX}{number}", value))
            number += 1
        chunks = [row[i : i + _ACTIONS_MAX] for i in range(0, len(row), _ACTIONS_MAX)]
        room = (_BODY_BUDGET - len(blocks) - 1) // 2  # leave room for the other group
        if chunks and room > 0:
            blocks.append(_section(prompt))
            blocks.extend({"type": "actions", "elements": c} for c in chunks[:room])
    return blocks, message


# -- lines --------------------------------------------------------------------------------


def _state_words(state: State, label: str, reason: str, elapsed: timedelta) -> str:
    """ "Extended away · Lunch · 47 min": the state, why (when known), and for how long."""
    parts = [escape(state_name(state, label))]
    reason = reason_for(state, label, reason)
    if reason.strip():
        parts.append(inline(reason, _WORD))
    parts.append(duration(elapsed))
    return " · ".join(parts)


def _agent_line(x: AgentLine, *, today: bool = False) -> str:
    """ "⚠️ Rosa Price — Away · Break · 23 min · _Away over 15 min_", and with `today` the
    agent's away time and occupancy so far today."""
    mark = "⚠️" if x.flag else state_emoji(x.state)
    words = _state_words(x.state, x.label, x.reason, x.elapsed)
    parts = [f"{mark} {_name(x.agent.name, _NAME)} — {words}"]
    if x.flag:
        parts.append(f"_{inline(x.flag, _WORD)}_")
    if today:
        parts.append(f"today away {duration(x.away_today)}, occ {percent(x.occupancy)}")
    return " · ".join(parts)


def _name(name: str, limit: int) -> str:
    """A name for mrkdwn; an empty one still shows (bold around nothing shows as "**")."""
    return inline(name, limit) or "(no name)"


def _agents(n: int) -> str:
    return "1 agent" if n == 1 else f"{n} agents"


def _team_names(names: Sequence[str]) -> str:
    shown: list[str] = []
    size = 0
    for name in names:
        if shown and size + len(name) > _TEAMS_SHOWN:
            break
        shown.append(_name(name, _NAME))
        size += len(name) + 2
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" +{more} more" if more else "")


def _interaction(i: LiveInteraction, now: datetime, zone: ZoneInfo) -> str:
    parts = [inline(p, _WORD) for p in (i.medium, i.direction, i.state) if p.strip()]
    what = " · ".join(parts) or "Interaction"
    return f"📞 {what} · since {_when(i.since, now, zone)} ({duration(now - i.since)})"


def _when(at: datetime, ref: datetime, zone: ZoneInfo) -> str:
    """A Slack time; with the day too when `at` is not on `ref`'s day in the floor's zone."""
    same_day = at.astimezone(zone).date() == ref.astimezone(zone).date()
    return slack_date(at, "{time}" if same_day else "{date_short_pretty} {time}", zone)


def _span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{_when(start, end, zone)} – {_when(end, start, zone)}"


def _timeline(periods: Sequence[Period], end: datetime, zone: ZoneInfo) -> list[str]:
    """One line per period; the day is shown where it changes (first against the window end)."""
    lines = []
    previous = end
    for p in periods:
        words = _state_words(p.state, p.label, p.reason, p.duration)
        now = " (now)" if p.ongoing else ""
        lines.append(f"{_when(p.start, previous, zone)} {state_emoji(p.state)} {words}{now}")
        previous = p.start
    return lines


def _bar_lines(
    bar: Sequence[State | None], start: datetime, end: datetime, zone: ZoneInfo
) -> list[str]:
    """The bar in rows of 12 squares, each row led by its start time, then a legend."""
    slots = _squeeze(bar, _BAR_MAX)
    if not slots:
        return []
    step = (end - start) / len(slots)
    rows = []
    for n in range(0, len(slots), _BAR_ROW):
        at = start + step * n
        squares = "".join(_BAR[s] for s in slots[n : n + _BAR_ROW])
        rows.append(f"{_when(at, end, zone)} {squares}")
    legend: dict[str, str] = {}
    for s in slots:
        name = "no data" if s is None else escape(state_name(s))
        legend.setdefault(f"{_BAR[s]} {name}", "")
    rows.append(" · ".join(legend))
    return rows


def _squeeze(bar: Sequence[State | None], most: int) -> list[State | None]:
    """At most `most` slots: longer bars are resampled (the real one has 24)."""
    if len(bar) <= most:
        return list(bar)
    return [bar[n * len(bar) // most] for n in range(most)]


def _totals(title: str, t: Totals) -> Block:
    fields = [
        f"{state_emoji(State.READY)} *Ready*\n{duration(t.ready)}",
        f"{state_emoji(State.BUSY)} *Busy*\n{duration(t.busy)}",
        f"{state_emoji(State.WRAP)} *Wrap*\n{duration(t.wrap)}",
        f"{state_emoji(State.AWAY)} *Away*\n{duration(t.away)}",
    ]
    return _section(f"*{title}* · occupancy {percent(t.occupancy)}", fields)


def _choice_text(choice: Choice) -> str:
    label = inline(choice.label, _NAME)
    return label if choice.id == choice.label else f"{label} ({inline(choice.id, 20)})"


def _button_label(choice: Choice) -> str:
    if choice.id == choice.label or not choice.id:
        return plain_label(choice.label, _BUTTON_TEXT_MAX) or "?"
    suffix = f" ({plain_label(choice.id, 20)})"
    return plain_label(choice.label, _BUTTON_TEXT_MAX - len(suffix)) + suffix


# -- blocks -------------------------------------------------------------------------------


def _section(text: str, fields: Sequence[str] = ()) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": f} for f in fields]
    return block


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _button(text: str, action_id: str, value: str) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
    }
    if value:
        button["value"] = value
    return button


def _floor_actions(command: str) -> list[Block]:
    if not command.strip() or len(command) > _BUTTON_VALUE_MAX:
        return []  # nothing to run again
    return [
        {
            "type": "actions",
            "elements": [
                _button("🔄 Refresh", ACTION_REFRESH, command),
                _button("📣 Share to channel", ACTION_SHARE, command),
            ],
        }
    ]


def _pack(
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
    return [_section(sep.join(g)) for g in groups], sum(len(g) for g in groups)


def _listing(lines: Sequence[str], narrow: str, max_blocks: int) -> list[Block]:
    """The first lines that fit (at most 50), then "…and N more" for the rest."""
    sections, shown = _pack(lines[:_MAX_LINES], max_blocks - 1)
    hidden = len(lines) - shown
    if hidden:
        sections.append(_context(f"…and {hidden} more. {narrow}".strip()))
    return sections


# -- the guard ----------------------------------------------------------------------------


def check_limits(blocks: Sequence[Mapping[str, Any]]) -> None:
    """Check blocks against Slack's limits for a message.

    Raises:
        ValueError: naming every block and limit broken.
    """
    problems: list[str] = []
    if len(blocks) > _MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {_MAX_BLOCKS})")
    action_ids: set[str] = set()
    for n, block in enumerate(blocks):
        kind = block.get("type")
        where = f"block {n} ({kind})"
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
            _check_count(problems, where, block.get("elements"), _ACTIONS_MAX)
            for element in block.get("elements") or []:
                _check_button(problems, where, element, action_ids)
        elif kind != "divider":
            problems.append(f"{where}: a block type the renderer does not make")
    if problems:
        raise ValueError("Block Kit limits broken: " + "; ".join(problems))


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
    _check_text(problems, f"{where} button text", _text_of(element.get("text")), _BUTTON_TEXT_MAX)
    value = element.get("value")
    _check_text(problems, f"{where} button value", value, _BUTTON_VALUE_MAX, optional=True)
    action_id = element.get("action_id")
    _check_text(problems, f"{where} action_id", action_id, _ID_MAX)
    if isinstance(action_id, str):
        if action_id in seen:
            problems.append(f"{where}: action_id {action_id!r} used twice")
        seen.add(action_id)
