"""Reply -> plain text for the console REPL: the same answers as Slack, tables by tabulate.

Times are the floor's (`zone`), as HH:MM or HH:MM:SS. No mrkdwn, no Slack tokens, no emoji
in tables (their width varies by terminal). Outside text is kept to one line without control
characters, so a name cannot move the cursor or fake a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import assert_never
from zoneinfo import ZoneInfo

from tabulate import tabulate

from bot.format.words import (
    LOADING_HISTORY,
    LOADING_TODAY,
    clip,
    count,
    duration,
    flag_text,
    labelled,
    percent,
    reason_for,
    same_day,
    stale_since,
    state_name,
)
from bot.query.results import (
    FLOOR_ANSWERS,
    AgentLine,
    AgentNow,
    ErrorAnswer,
    Freshness,
    HelpAnswer,
    History,
    Reply,
    TeamsList,
    TeamSummary,
    Totals,
    WhoList,
)
from bot.vcc.models import State

__all__ = ["TextRenderer"]

_NAME = 40
_WORD = 30
_LINE = 200
_SIMULATED = "simulated contact center"

# One character per bar slot; a legend under the bar says which is which.
_BAR: Mapping[State | None, str] = {
    State.READY: "R",
    State.READY_RFO: "O",
    State.BUSY: "B",
    State.WRAP: "W",
    State.AWAY: "a",
    State.EXTENDED_AWAY: "A",
    State.LOGGED_OUT: "-",
    State.UNEXPECTED: "!",
    State.FAILED: "x",
    State.UNKNOWN: "?",
    None: ".",
}


class TextRenderer:
    """Replies as terminal text for one floor, whose zone and simulation are decided once.

    Args:
        zone: the floor's time zone: every time prints in it.
        simulated: the floor is the simulated contact center: every floor answer says so.
    """

    __slots__ = ("_floor_notes", "_zone")

    def __init__(self, zone: ZoneInfo, *, simulated: bool) -> None:
        self._zone = zone
        self._floor_notes: tuple[str, ...] = (_SIMULATED,) if simulated else ()

    def render(self, reply: Reply) -> str:
        """The reply as terminal text."""
        answer, zone = reply.answer, self._zone
        match answer:
            case AgentNow():
                lines = _agent_now(answer, zone)
            case History():
                lines = _history(answer, zone)
            case TeamSummary():
                lines = _team_summary(answer)
            case TeamsList():
                lines = _teams_list(answer)
            case WhoList():
                lines = _who_list(answer)
            case HelpAnswer():
                lines = _help(answer)
            case ErrorAnswer():
                lines = _error(answer)
            case _:
                assert_never(answer)
        if isinstance(answer, FLOOR_ANSWERS):
            lines += ["", _as_of(answer.freshness, zone), *self._floor_notes]
        return "\n".join(lines)


def _agent_now(a: AgentNow, zone: ZoneInfo) -> list[str]:
    now = a.freshness.as_of
    lines = [
        f"{_agent(a.agent.name, a.agent.id)} — {_state_words(a.state, a.label, a.reason)}"
        f" · {duration(a.elapsed)}",
        f"since {_time(a.since, now, zone)}",
    ]
    if a.teams:
        lines.append("teams: " + clip(", ".join(a.teams), _LINE))
    if a.flag:
        lines.append(f"flag: {clip(flag_text(a.flag), _LINE)}")
    if a.interactions:
        rows = [
            [_word(i.medium), _word(i.direction), _word(i.state), _time(i.since, now, zone)]
            for i in a.interactions
        ]
        lines += ["", "Live:", _table(rows, ["Medium", "Direction", "State", "Since"])]
    # While today's rows are still loading the totals are partial: say so, show no zeros.
    lines += ["", LOADING_TODAY + "."] if a.freshness.loading else ["", "Today:", _totals(a.today)]
    return lines


def _history(h: History, zone: ZoneInfo) -> list[str]:
    window = f"{_time(h.start, h.end, zone)} – {_time(h.end, h.start, zone)}"
    lines = [f"{_agent(h.agent.name, h.agent.id)} · {clip(h.window_label, _WORD)} ({window})"]
    if h.bar:
        lines.append("|" + "".join(_BAR[s] for s in h.bar) + "|")
        legend = {_BAR[s]: "no data" if s is None else state_name(s) for s in h.bar}
        lines.append("  ".join(f"{c} {name}" for c, name in legend.items()))
    lines.append("")
    if h.periods:
        rows = []
        previous = h.end
        for p in h.periods:
            rows.append(
                [
                    _time(p.start, previous, zone),
                    state_name(p.state, p.label),
                    _word(reason_for(p.state, p.label, p.reason)),
                    duration(p.duration) + (" (now)" if p.ongoing else ""),
                ]
            )
            previous = p.start
        lines.append(_table(rows, ["Start", "State", "Reason", "For"]))
    else:
        known = "known yet" if h.freshness.loading else "in this window"
        lines.append(f"No state changes {known}.")
    if h.freshness.loading:  # the periods known so far, but no partial totals
        lines += ["", LOADING_HISTORY + "."]
    else:
        lines += ["", "Totals:", _totals(h.totals)]
    return lines


def _team_summary(t: TeamSummary) -> list[str]:
    counts = " · ".join(f"{state_name(s)} {n}" for s, n in t.counts if n)
    lines = [f"{clip(t.team.name, _LINE)} · {count(len(t.agents), 'agent')}"]
    if counts:
        lines.append(counts)
    headers = ["!", "Agent", "ID", "State", "Reason", "For", "Flag"]
    if t.freshness.loading:  # today's totals are partial: none shown, team's or agents'
        lines += [LOADING_TODAY + ".", ""]
        rows = [_agent_row(x) for x in t.agents]
    else:
        lines.append(f"Occupancy {percent(t.occupancy)} · away today {duration(t.away_today)}")
        lines.append("")
        rows = [[*_agent_row(x), duration(x.away_today), percent(x.occupancy)] for x in t.agents]
        headers += ["Away today", "Occ."]
    if rows:
        lines.append(_table(rows, headers))
    else:
        lines.append("Nobody in this team.")
    return lines


def _teams_list(t: TeamsList) -> list[str]:
    if not t.teams:
        return ["No teams found."]
    rows = [[clip(x.team.name, _NAME), x.logged_in, x.ready, x.flagged or ""] for x in t.teams]
    return [
        f"Teams · {len(t.teams)}",
        "",
        _table(rows, ["Team", "Logged in", "Ready", "Flagged"]),
    ]


def _who_list(w: WhoList) -> list[str]:
    states = " or ".join(state_name(s) for s in w.states) or "that state"
    where = f" in {clip(w.team.name, _NAME)}" if w.team else ""
    lines = [f"{states}{where} · {count(len(w.agents), 'agent')}", ""]
    if not w.agents:
        return [*lines, "Nobody right now."]
    rows = [_agent_row(x) for x in w.agents]
    return [*lines, _table(rows, ["!", "Agent", "ID", "State", "Reason", "For", "Flag"])]


def _help(h: HelpAnswer) -> list[str]:
    lines = [clip(h.intro, _LINE) if h.intro.strip() else "Type after /agentstate:"]
    for e in h.entries:
        lines += ["", f"  {e.usage}", f"      {e.summary}"]
        if e.examples:
            lines.append("      e.g. " + ", ".join(e.examples))
    return lines


def _error(e: ErrorAnswer) -> list[str]:
    lines = [clip(e.message, _LINE) or "Something went wrong."]
    if e.hint:
        lines.append(clip(e.hint, _LINE))
    # The console has no buttons: show what to type for each choice instead.
    for prompt, offers in (("Did you mean…?", e.suggestions), ("Which one?", e.choices)):
        if offers:
            lines.append(f"{prompt} Type one of:")
            names = [labelled(o.choice.label, o.choice.id, _NAME, _WORD) for o in offers]
            width = max(len(n) for n in names)
            for name, offer in zip(names, offers, strict=True):
                lines.append(f"  {name.ljust(width)}  → {clip(offer.command, _LINE)}")
    return lines


# -- shared pieces ------------------------------------------------------------------------


def _agent(name: str, agent_id: str) -> str:
    name = clip(name, _LINE) or "(no name)"
    return name if agent_id == name else f"{name} ({clip(agent_id, _WORD)})"


def _agent_row(x: AgentLine) -> list[str]:
    return [
        "!" if x.flag else "",
        clip(x.agent.name, _NAME),
        clip(x.agent.id, _WORD),
        state_name(x.state, x.label),
        _word(reason_for(x.state, x.label, x.reason)),
        duration(x.elapsed),
        _word(flag_text(x.flag) if x.flag else ""),
    ]


def _state_words(state: State, label: str, reason: str) -> str:
    name = state_name(state, label)
    reason = reason_for(state, label, reason)
    return f"{name} · {_word(reason)}" if reason.strip() else name


def _word(text: str) -> str:
    return clip(text, _WORD)


def _time(at: datetime, ref: datetime, zone: ZoneInfo) -> str:
    """HH:MM in the floor's zone, with the day when it is not `ref`'s day."""
    local = at.astimezone(zone)
    return local.strftime("%H:%M" if same_day(at, ref, zone) else "%a %d %b %H:%M")


def _as_of(freshness: Freshness, zone: ZoneInfo) -> str:
    """ "as of 14:02:11 GMT"; stale data says since when (the last good poll) instead."""
    local = freshness.as_of.astimezone(zone)
    tz = local.tzname() or zone.key
    secs = f"{local.strftime('%H:%M:%S')} {tz}"
    if not freshness.stale:
        return f"as of {secs}"
    return stale_since(f"{local.strftime('%H:%M')} {tz}", secs)


def _totals(t: Totals) -> str:
    rows = [
        ["Ready", duration(t.ready)],
        ["Busy", duration(t.busy)],
        ["Wrap", duration(t.wrap)],
        ["Away", duration(t.away)],
        ["Occupancy", percent(t.occupancy)],
    ]
    return _table(rows)


def _table(rows: Iterable[Sequence[object]], headers: Sequence[str] = ()) -> str:
    # numparse off: agent ids such as "0042" must print as given, not as 42.
    return tabulate(
        list(rows),
        headers=list(headers),
        tablefmt="simple" if headers else "plain",
        disable_numparse=True,
    )
