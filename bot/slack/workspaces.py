"""Which Slack workspaces the bot answers, and the token check that learns its own.

The bot token belongs to one workspace; `auth.test` says which. Besides it,
AGENTSTATE_ALLOWED_TEAMS lists others: workspace ids (`T…`), or an Enterprise Grid's id
(`E…`), which admits every workspace in that organization. A valid signature alone does not
say a request is from one of these: every workspace the app is installed in sends signed
requests.

Until auth.test has answered, only the allow-list is answered and the bot token's own
workspace is asked to try again in a moment: answering an unconfirmed workspace could show
the floor to strangers, while a short wait costs a supervisor one retry. `check_token` asks
beside the server (serving starts at once) and keeps asking, backing off, until Slack answers;
only Slack's explicit refusal of the token is a bad setting.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError

__all__ = ["REFUSALS", "Admission", "Unanswered", "Workspaces", "check_token", "until_answered"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")

# Slack's word that the token itself is bad; any other failure may pass.
REFUSALS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})
FIRST_DELAY = 1.0  # seconds before asking auth.test again; doubles up to MAX_DELAY
MAX_DELAY = 300.0
ATTEMPT_SECONDS = 10.0  # one auth.test may take this long before it counts as a failure


class Admission(enum.Enum):
    """What to do with a request from a workspace."""

    ADMITTED = "admitted"
    FOREIGN = "foreign"  # neither the token's workspace nor on the allow-list
    UNCONFIRMED = "unconfirmed"  # not on the allow-list; auth.test has not said whose it is


class Workspaces:
    """The workspaces answered: the bot token's own (once learned) and the allow-list.

    Args:
        allowed: AGENTSTATE_ALLOWED_TEAMS (team or Enterprise Grid ids).
        own: the bot token's team id when already known (tests); else `check_token` learns it.
    """

    def __init__(self, allowed: Iterable[str], *, own: str | None = None) -> None:
        self._allowed = frozenset(allowed)
        self._own = own
        self._asking: asyncio.Event | None = None  # set when the auth.test in flight is back

    @property
    def own(self) -> str | None:
        """The bot token's team id, once auth.test has said it."""
        return self._own

    def learn(self, team_id: str) -> None:
        """auth.test said the bot token is `team_id`'s."""
        self._own = team_id

    def asking(self) -> None:
        """An auth.test is on its way: requests may wait a moment for it (`settled`)."""
        self._asking = asyncio.Event()

    def asked(self) -> None:
        """The auth.test on its way has come back (answered or failed)."""
        if self._asking is not None:
            self._asking.set()

    async def settled(self, seconds: float) -> None:
        """Wait up to `seconds` for the auth.test on its way, if the workspace is not known:
        a command in the first moments after start is answered rather than turned away."""
        pending = self._asking
        if self._own is None and pending is not None and not pending.is_set():
            try:
                async with asyncio.timeout(seconds):
                    await pending.wait()
            except TimeoutError:
                pass  # answer with what is known now

    def admits(self, team_id: str | None, enterprise_id: str | None) -> Admission:
        """Whether a request from `team_id` (in Enterprise Grid `enterprise_id`) is answered."""
        ids = {team_id, enterprise_id} - {None}
        if ids & self._allowed or (self._own is not None and self._own in ids):
            return Admission.ADMITTED
        return Admission.FOREIGN if self._own is not None else Admission.UNCONFIRMED


def _error(exc: SlackApiError) -> str | None:
    """Slack's error code in a failed answer, if the answer was JSON with one."""
    data = getattr(exc.response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error else None


class Unanswered(Exception):
    """Slack answered, but not with what was asked for (e.g. no team_id): try again."""


def _why(exc: Exception) -> tuple[str, float]:
    """(what went wrong, in words, without secrets; Retry-After in seconds or 0)."""
    if isinstance(exc, Unanswered):
        return str(exc), 0.0
    if not isinstance(exc, SlackApiError):
        return type(exc).__name__, 0.0
    status = getattr(exc.response, "status_code", None)
    headers = getattr(exc.response, "headers", None) or {}
    try:
        retry_after = float(headers.get("Retry-After", 0) or 0)
    except ValueError:
        retry_after = 0.0
    error = _error(exc)
    return f"HTTP {status}" + (f", {error}" if error else ""), max(0.0, retry_after)


async def until_answered(
    ask: Callable[[], Awaitable[T]], *, variable: str, sleep: Sleep, first: str, again: str
) -> T:
    """Call `ask` until it returns. Slack's explicit refusal of the token (REFUSALS) is a bad
    setting; every other failure (5xx, 429, not JSON, a timeout, no connection, `Unanswered`)
    is an outage: asked again after 1, 2, 4 ... up to 300 s (at least Retry-After).

    Args:
        variable: the setting holding the token `ask` uses, named by the ConfigError.
        first: the warning for the first failure (%s why, %.0f the wait); `again` the info
            line for each later one.

    Raises:
        ConfigError: Slack refused the token.
    """
    delay, failures = FIRST_DELAY, 0
    while True:
        try:
            return await ask()
        except SlackApiError as exc:
            if (error := _error(exc)) in REFUSALS:
                raise ConfigError(variable, f"Slack refused the token ({error})") from None
            why, retry_after = _why(exc)
        except Exception as exc:  # any other failure is an outage, not a bad token
            why, retry_after = _why(exc)
        wait = max(delay, retry_after)
        failures += 1
        if failures == 1:
            log.warning(first, why, wait)
        else:
            log.info(again, why, wait)
        await sleep(wait)
        delay = min(delay * 2, MAX_DELAY)


async def _ask(client: AsyncWebClient, seconds: float) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        who = await client.auth_test()
    return dict(who.data) if isinstance(who.data, dict) else {}


async def check_token(
    client: AsyncWebClient,
    workspaces: Workspaces,
    *,
    sleep: Sleep = asyncio.sleep,
    attempt_seconds: float = ATTEMPT_SECONDS,
) -> None:
    """Ask Slack who the bot is (auth.test) until it answers; learn the workspace.

    Every other failure than a refusal is an outage: logged once as a warning, then asked
    again, backing off (`until_answered`).

    Raises:
        ConfigError: Slack refused SLACK_BOT_TOKEN (invalid_auth, not_authed,
            account_inactive, token_revoked).
    """

    async def attempt() -> dict[str, Any]:
        workspaces.asking()
        try:
            who = await _ask(client, attempt_seconds)
            team_id = str(who.get("team_id") or "")
            if not team_id:
                raise Unanswered("no team_id in the answer")
            workspaces.learn(team_id)
            return who
        finally:
            workspaces.asked()

    who = await until_answered(
        attempt,
        variable="SLACK_BOT_TOKEN",
        sleep=sleep,
        first="could not reach Slack to check the bot token (%s): answering only the "
        "allow-list (AGENTSTATE_ALLOWED_TEAMS) until it answers; asking again in %.0f s",
        again="Slack still not answering auth.test (%s); asking again in %.0f s",
    )
    log.info("Slack: signed in as bot user %s in team %s", who.get("user_id"), workspaces.own)
