"""handle(text, query) -> Reply: the one entry every front door calls. It never raises."""

from __future__ import annotations

import logging

from bot.commands import COMMANDS, AgentCmd, Command, Help, HistoryCmd, TeamCmd, Teams, Who, parse
from bot.errors import (
    AmbiguousAgent,
    AmbiguousTeam,
    UnknownAgent,
    UnknownTeam,
    UserError,
    VccAuthError,
    VccError,
    VccRequestError,
)
from bot.query.results import Answer, ErrorAnswer, HelpAnswer, Reply
from bot.query.service import Query

__all__ = ["OOPS", "UNAVAILABLE", "handle"]

log = logging.getLogger(__name__)

UNAVAILABLE = "VCC isn't answering right now, try again in a minute."
_AUTH = "VCC didn't accept the bot's credentials. Ask an admin to check the VCC API credentials."
OOPS = "Something went wrong on my side. It's logged; try again in a minute."
_INTRO = "Type `/agentstate` and one of these. Names can be part of a name, any case, no accents."


async def handle(text: str, query: Query, *, simulated: bool = False) -> Reply:
    """Answer the text that followed `/agentstate`. Every failure becomes a friendly answer."""
    command_text = " ".join(text.split())
    return Reply(await _answer(command_text, query), command_text, simulated)


async def _answer(text: str, query: Query) -> Answer:
    command: Command | None = None
    try:
        command = parse(text)
        return await _dispatch(command, query)
    except (UnknownAgent, AmbiguousAgent, UnknownTeam, AmbiguousTeam) as exc:
        return _with_buttons(exc, command)
    except UserError as exc:
        return ErrorAnswer(exc.message, exc.hint)
    # VCC failures are expected weather, not bugs: one line each; the chain only at DEBUG.
    except VccAuthError as exc:
        log.error("VCC refused the bot's credentials: %s", exc)
        log.debug("details", exc_info=True)
        return ErrorAnswer(_AUTH)
    except VccRequestError as exc:
        log.warning("VCC rejected a request: %s", exc)
        log.debug("details", exc_info=True)
        hint = "Try a shorter or more recent window." if exc.status == 400 else None
        return ErrorAnswer("VCC couldn't answer that request.", hint)
    except VccError as exc:
        log.warning("VCC unavailable: %s", exc)
        log.debug("details", exc_info=True)
        return ErrorAnswer(UNAVAILABLE)
    except Exception:
        # The last line of defence: a bug must not become a traceback in Slack.
        log.exception("unexpected error answering %r", text)
        return ErrorAnswer(OOPS)


async def _dispatch(command: Command, query: Query) -> Answer:
    match command:
        case Help():
            return HelpAnswer(COMMANDS, _INTRO)
        case Teams():
            return await query.teams()
        case TeamCmd(team=team):
            return await query.team(team)
        case Who(states=states, word=word, team=team):
            return await query.who(states, word, team)
        case AgentCmd(agent=agent):
            return await query.agent_now(agent)
        case HistoryCmd(agent=agent, window=window):
            return await query.history(agent, window)
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _template(command: Command | None) -> str:
    """What a "did you mean" / "which one" button runs, with `{id}` for the choice."""
    match command:
        case HistoryCmd(window_text=window_text):
            suffix = window_text.replace("{", "{{").replace("}", "}}")
            return f"{{id}} history {suffix}".rstrip()
        case TeamCmd():
            return "team {id}"
        case Who(word=word):
            return f"who {word} {{id}}"
    return "{id}"


def _with_buttons(
    exc: UnknownAgent | AmbiguousAgent | UnknownTeam | AmbiguousTeam, command: Command | None
) -> ErrorAnswer:
    template = _template(command)
    if isinstance(exc, AmbiguousAgent | AmbiguousTeam):
        return ErrorAnswer(exc.message, exc.hint, choices=exc.choices, command_template=template)
    return ErrorAnswer(
        exc.message, exc.hint, suggestions=exc.suggestions, command_template=template
    )
