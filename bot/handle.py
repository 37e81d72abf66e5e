"""handle(text) / answer(command) -> Reply: the one entry every front door calls. Never raises.

Errors become friendly answers by one table (`_FAILURES`): what the user did wrong says how to
ask; VCC's weather says so in one line; a bug says sorry, with the details in the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import assert_never

from bot.commands import (
    COMMANDS,
    AgentCmd,
    Command,
    Help,
    HistoryCmd,
    TeamCmd,
    Teams,
    Who,
    parse,
    tidy,
)
from bot.errors import (
    Choice,
    Unmatched,
    UserError,
    VccAuthError,
    VccError,
    VccRequestError,
    VccTooLarge,
)
from bot.query.results import Answer, ErrorAnswer, HelpAnswer, Offer, Reply
from bot.query.service import Query

__all__ = ["OOPS", "UNAVAILABLE", "answer", "handle"]

log = logging.getLogger(__name__)

UNAVAILABLE = "VCC isn't answering right now, try again in a minute."
_AUTH = "VCC didn't accept the bot's credentials. Ask an admin to check the VCC API credentials."
OOPS = "Something went wrong on my side. It's logged; try again in a minute."
_INTRO = "Type `/agentstate` and one of these. Names can be part of a name, any case, no accents."


async def handle(text: str, query: Query) -> Reply:
    """Answer the text that followed `/agentstate`. Every failure becomes a friendly answer."""
    typed = tidy(text)
    try:
        command = parse(typed)
    except UserError as exc:
        return Reply(ErrorAnswer(exc.message, exc.hint), typed)
    except Exception:  # a bug in the grammar must not become a traceback either
        log.exception("unexpected error parsing %r", typed)
        return Reply(ErrorAnswer(OOPS), typed)
    return Reply(await _answer(command, query), typed)


async def answer(command: Command, query: Query) -> Reply:
    """Answer a command built in code (a schedule, a button); never raises."""
    return Reply(await _answer(command, query), command.text())


async def _answer(command: Command, query: Query) -> Answer:
    try:
        return await _dispatch(command, query)
    except Unmatched as exc:
        return _with_offers(exc, command)
    except UserError as exc:
        return ErrorAnswer(exc.message, exc.hint)
    except VccError as exc:
        return _vcc_failure(exc)
    except Exception:
        # The last line of defence: a bug must not become a traceback in Slack.
        log.exception("unexpected error answering %r", command.text())
        return ErrorAnswer(OOPS)


async def _dispatch(command: Command, query: Query) -> Answer:
    match command:
        case Help():
            return HelpAnswer(COMMANDS, _INTRO)
        case Teams():
            return await query.teams()
        case TeamCmd(team=name):
            return await query.team(await query.find_team(name))
        case Who(states=states, word=word, team=name):
            team = await query.find_team(name) if name else None
            return await query.who(states, word, team)
        case AgentCmd(agent=name):
            return await query.agent_now(await query.find_agent(name, on_floor=True))
        case HistoryCmd(agent=name, window=window):
            return await query.history(await query.find_agent(name), window)
        case _:
            assert_never(command)


# VCC failures are expected weather, not bugs: one line each; the chain only at DEBUG. The
# first row whose type matches answers; a subclass's row stands before its parent's.
def _auth(exc: VccError) -> ErrorAnswer:
    log.error("VCC refused the bot's credentials: %s", exc)
    return ErrorAnswer(_AUTH)


def _rejected(exc: VccError) -> ErrorAnswer:
    log.warning("VCC rejected a request: %s", exc)
    hint = "Try a shorter or more recent window." if exc.status == 400 else None
    return ErrorAnswer("VCC couldn't answer that request.", hint)


def _too_large(exc: VccError) -> ErrorAnswer:
    assert isinstance(exc, VccTooLarge)  # the table's row for it
    log.warning("VCC answer over a cap: %s", exc)
    return ErrorAnswer(
        f"VCC's answer was larger than this bot reads at once ({exc.variable}={exc.value}).",
        "Ask for a narrower window or one team, or an admin can raise that setting.",
    )


def _unavailable(exc: VccError) -> ErrorAnswer:
    log.warning("VCC unavailable: %s", exc)
    return ErrorAnswer(UNAVAILABLE)


_FAILURES: tuple[tuple[type[VccError], Callable[[VccError], ErrorAnswer]], ...] = (
    (VccAuthError, _auth),
    (VccRequestError, _rejected),
    (VccTooLarge, _too_large),
    (VccError, _unavailable),
)


def _vcc_failure(exc: VccError) -> ErrorAnswer:
    log.debug("details", exc_info=exc)
    to_answer = next(answer for kind, answer in _FAILURES if isinstance(exc, kind))
    return to_answer(exc)


def _retarget(command: Command, choice: Choice) -> Command:
    """The command again, about the chosen agent or team."""
    match command:
        case HistoryCmd():
            return replace(command, agent=choice.id)
        case TeamCmd():
            return TeamCmd(choice.id)
        case Who():
            return replace(command, team=choice.id)
    return AgentCmd(choice.id)


def _with_offers(exc: Unmatched, command: Command) -> ErrorAnswer:
    """The answer to a name that named nothing or several: each candidate a command."""

    def offers(choices: tuple[Choice, ...]) -> tuple[Offer, ...]:
        return tuple(Offer(c, _retarget(command, c).text()) for c in choices)

    return ErrorAnswer(
        exc.message, exc.hint, suggestions=offers(exc.suggestions), choices=offers(exc.choices)
    )
