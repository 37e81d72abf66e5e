"""Reply -> Block Kit blocks and the plain notification text, phone first, within Slack's limits.

Short lines, at most two fields side by side, lists capped at a screenful or two with "and N
more". Outside text goes through `mrkdwn.inline()`/`escape()`; times are Slack date tokens, so
each viewer sees their own zone; every reply passes `kit.check_limits` before it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.errors import Choice
from bot.format.kit import (
    ACTIONS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    MAX_LINES,
    Block,
    actions,
    button,
    check_limits,
    context,
    fallback,
    listing,
    pack,
    section,
)
from bot.format.mrkdwn import (
    as_of,
    escape,
    inline,
    mention,
    plain_label,
    slack_time,
    state_text,
    state_words,
)
from bot.format.pieces import bar_lines, interaction, loading, timeline, totals
from bot.format.words import (
    count,
    duration,
    flag_text,
    labelled,
    percent,
    state_emoji,
    state_name,
)
from bot.query.results import (
    FLOOR_ANSWERS,
    AgentLine,
    AgentNow,
    ErrorAnswer,
    HelpAnswer,
    History,
    Offer,
    Reply,
    TeamsList,
    TeamSummary,
    WhoList,
)

__all__ = ["ACTION_REFRESH", "ACTION_RUN_PREFIX", "ACTION_SHARE", "BlockRenderer"]

ACTION_REFRESH = "agentstate_refresh"
ACTION_SHARE = "agentstate_share"
ACTION_RUN_PREFIX = "agentstate_run_"

# Our own budgets, below Slack's: a reply is read on a phone.
_BODY_BUDGET = 43  # blocks before the closing context and actions: 45 in all, 5 spare
_MAX_INTERACTIONS = 5
_NAME = 60  # characters of a name on a list line (before escaping)
_TITLE = 100  # characters of the name a reply is about
_WORD = 40  # characters of a flag or window label
_TEAMS_SHOWN = 300  # characters of team names on an agent's reply

_SIMULATED = "🧪 simulated contact center"


class BlockRenderer:
    """Replies as Block Kit for one floor, whose zone and simulation are decided once.

    Args:
        zone: the floor's time zone, for the fallback of Slack date tokens.
        simulated: the floor is the simulated contact center: every floor answer says so.
    """

    __slots__ = ("_floor_notes", "_zone")

    def __init__(self, zone: ZoneInfo, *, simulated: bool) -> None:
        self._zone = zone
        self._floor_notes: tuple[str, ...] = (_SIMULATED,) if simulated else ()

    def render(self, reply: Reply, *, shared_by: str | None = None) -> tuple[list[Block], str]:
        """Block Kit blocks and the fallback `text` for a reply.

        Args:
            reply: the answer and the command that produced it (the value of Refresh/Share).
            shared_by: the Slack user who shared it to a channel: then no buttons, and a
                "Shared by" line (an id that is not a Slack user id is left out).

        Raises:
            ValueError: from `check_limits`, if a layout ever broke a Slack limit (a bug).
        """
        answer, zone, buttons = reply.answer, self._zone, shared_by is None
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
            case _:
                assert_never(answer)
        notes: list[str] = []
        if isinstance(answer, FLOOR_ANSWERS):
            notes += [as_of(answer.freshness, zone), *self._floor_notes]
        if shared_by is not None and (sharer := mention(shared_by)):
            notes.append(f"Shared by {sharer}")
        if notes:
            blocks.append(context(*notes))
        if buttons and isinstance(answer, FLOOR_ANSWERS):
            blocks.extend(_floor_actions(reply.command))
        check_limits(blocks)
        return blocks, fallback(text)


# -- answers ------------------------------------------------------------------------------


def _agent_now(a: AgentNow, zone: ZoneInfo) -> tuple[list[Block], str]:
    now = a.freshness.as_of
    words = state_words(a.state, a.label, a.reason, a.elapsed)
    name = _name(a.agent.name, _TITLE)
    lines = [
        f"{state_emoji(a.state)} *{name}* — {words}",
        f"since {slack_time(a.since, now, zone)}",
    ]
    if a.teams:
        lines.append(f"👥 {_team_names(a.teams)}")
    if a.flag:
        lines.append(f"⚠️ {inline(flag_text(a.flag), _WORD)}")
    blocks = [section("\n".join(lines))]
    if a.interactions:
        shown = [interaction(i, now, zone) for i in a.interactions[:_MAX_INTERACTIONS]]
        hidden = len(a.interactions) - len(shown)
        if hidden:
            shown.append(f"…and {hidden} more")
        blocks.append(section("\n".join(shown)))
    # While today's rows are still loading the totals are partial: say so, show no zeros.
    blocks.append(section(loading()) if a.freshness.loading else totals("Today", a.today))
    return blocks, f"{name} — {words}"


def _history(h: History, zone: ZoneInfo) -> tuple[list[Block], str]:
    name = _name(h.agent.name, _TITLE)
    # Each bar row starts with its time; without a bar, the window's ends say where it lies.
    head = [f"🕘 *{name}* · {inline(h.window_label, _WORD)}"]
    ends = f"{slack_time(h.start, h.end, zone)} – {slack_time(h.end, h.start, zone)}"
    head.extend(bar_lines(h.bar, h.start, h.end, zone) or [ends])
    # Still loading: the periods known so far, but no partial totals.
    known = section(loading(history=True)) if h.freshness.loading else totals("Totals", h.totals)
    blocks = [section("\n".join(head)), known]
    if not h.periods:
        where = "known yet" if h.freshness.loading else "in this window"
        blocks.append(section(f"No state changes {where}."))
    else:
        lines = timeline(h.periods[-MAX_LINES:], h.end, zone)
        sections, shown = pack(lines, _BODY_BUDGET - len(blocks) - 1, from_end=True)
        hidden = len(h.periods) - shown
        if hidden:
            periods = "period" if hidden == 1 else "periods"
            blocks.append(context(f"… {hidden} earlier {periods} not shown"))
        blocks.extend(sections)
    return blocks, f"{name} · {inline(h.window_label, _WORD)}: {count(len(h.periods), 'period')}"


def _team_summary(t: TeamSummary) -> tuple[list[Block], str]:
    name = _name(t.team.name, _TITLE)
    total = len(t.agents)
    counts = " · ".join(f"{state_text(s)} {n}" for s, n in t.counts if n)
    head = [f"👥 *{name}* · {count(total, 'agent')}"]
    if counts:
        head.append(counts)
    today = not t.freshness.loading  # today's totals are known (not still loading)
    if today:
        head.append(f"Occupancy {percent(t.occupancy)} · away today {duration(t.away_today)}")
    else:
        head.append(loading())
    blocks = [section("\n".join(head))]
    if not t.agents:
        blocks.append(section("Nobody in this team."))
    else:
        blocks.extend(
            listing(
                [_agent_line(x, today=today) for x in t.agents],
                "Try `who &lt;state&gt; &lt;team&gt;` to narrow it.",
                _BODY_BUDGET - len(blocks),
            )
        )
    plain_counts = ", ".join(f"{n} {escape(state_name(s))}" for s, n in t.counts if n)
    return blocks, f"{name}: {plain_counts or count(total, 'agent')}"


def _teams_list(t: TeamsList) -> tuple[list[Block], str]:
    head = f"👥 *Teams* · {len(t.teams)}"
    lines = []
    for team in t.teams:
        name = _name(team.team.name, _NAME)
        flagged = f" · ⚠️ {team.flagged}" if team.flagged else ""
        lines.append(f"*{name}* — {team.logged_in} logged in · {team.ready} ready{flagged}")
    blocks = [section(head)]
    if lines:
        blocks.extend(listing(lines, "", _BODY_BUDGET - 1))
    else:
        blocks.append(section("No teams found."))
    return blocks, f"{len(t.teams)} teams"


def _who_list(w: WhoList) -> tuple[list[Block], str]:
    states = " or ".join(escape(state_name(s)) for s in w.states) or "that state"
    emoji = "".join(dict.fromkeys(state_emoji(s) for s in w.states))
    where = f" in *{_name(w.team.name, _NAME)}*" if w.team else ""
    agents = count(len(w.agents), "agent")
    blocks = [section(f"{emoji} *{states}*{where} · {agents}".strip())]
    if w.agents:
        blocks.extend(listing([_agent_line(x) for x in w.agents], "", _BODY_BUDGET - 1))
    else:
        blocks.append(section("Nobody right now."))
    team = f" in {_name(w.team.name, _NAME)}" if w.team else ""
    return blocks, f"{states}{team}: {agents}"


def _help(h: HelpAnswer) -> tuple[list[Block], str]:
    intro = escape(h.intro) if h.intro.strip() else "Type `/agentstate` and then:"
    entries = []
    for e in h.entries:
        examples = " · ".join(f"`/agentstate {escape(x)}`" for x in e.examples)
        entries.append(f"*`{escape(e.usage)}`*\n{escape(e.summary)}\n{examples}".rstrip())
    sections, _ = pack(entries, _BODY_BUDGET - 1, sep="\n\n")
    return [section(intro), *sections], "agentstate: what you can ask"


def _error(e: ErrorAnswer, *, buttons: bool) -> tuple[list[Block], str]:
    message = inline(e.message, 500) or "Something went wrong."
    text = message + (f"\n{inline(e.hint, 500)}" if e.hint else "")
    blocks = [section(text)]
    number = 0
    for prompt, offers in (("Did you mean…?", e.suggestions), ("Which one?", e.choices)):
        if not offers:
            continue
        if not buttons:
            listed = ", ".join(_choice_text(o.choice) for o in offers[:MAX_LINES])
            blocks.append(section(f"{prompt} {listed}"))
            continue
        row = _offer_buttons(offers, number)
        number += len(row)
        chunks = [row[i : i + ACTIONS_MAX] for i in range(0, len(row), ACTIONS_MAX)]
        room = (_BODY_BUDGET - len(blocks) - 1) // 2  # leave room for the other group
        if chunks and room > 0:
            blocks.append(section(prompt))
            blocks.extend(actions(c) for c in chunks[:room])
    return blocks, message


def _offer_buttons(offers: Sequence[Offer], first: int) -> list[Block]:
    """A button per offer running its command; action ids numbered on from `first`."""
    row: list[Block] = []
    for offer in offers:
        if len(offer.command) > BUTTON_VALUE_MAX:
            continue  # a cut command would run something else; better no button
        action_id = f"{ACTION_RUN_PREFIX}{first + len(row)}"
        row.append(button(_button_label(offer.choice), action_id, offer.command))
    return row


def _floor_actions(command: str) -> list[Block]:
    if not command.strip() or len(command) > BUTTON_VALUE_MAX:
        return []  # nothing to run again
    refresh = button("🔄 Refresh", ACTION_REFRESH, command)
    return [actions([refresh, button("📣 Share to channel", ACTION_SHARE, command)])]


# -- lines --------------------------------------------------------------------------------


def _agent_line(x: AgentLine, *, today: bool = False) -> str:
    """ "⚠️ Rosa Price — Away · Break · 23 min · _Away over 15 min_", and with `today` the
    agent's away time and occupancy so far today."""
    mark = "⚠️" if x.flag else state_emoji(x.state)
    words = state_words(x.state, x.label, x.reason, x.elapsed)
    parts = [f"{mark} {_name(x.agent.name, _NAME)} — {words}"]
    if x.flag:
        parts.append(f"_{inline(flag_text(x.flag), _WORD)}_")
    if today:
        parts.append(f"today away {duration(x.away_today)}, occ {percent(x.occupancy)}")
    return " · ".join(parts)


def _name(name: str, limit: int) -> str:
    """A name for mrkdwn; an empty one still shows (bold around nothing shows as "**")."""
    return inline(name, limit) or "(no name)"


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


def _choice_text(choice: Choice) -> str:
    return escape(labelled(choice.label, choice.id, _NAME, 20))


def _button_label(choice: Choice) -> str:
    if choice.id == choice.label or not choice.id:
        return plain_label(choice.label, BUTTON_TEXT_MAX) or "?"
    suffix = f" ({plain_label(choice.id, 20)})"
    return plain_label(choice.label, BUTTON_TEXT_MAX - len(suffix)) + suffix
