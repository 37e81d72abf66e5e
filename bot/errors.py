"""One exception tree for the whole bot.

    AgentstateError
    ├── ConfigError            a setting is missing or invalid (startup; exit code 2)
    ├── UserError              bad input; carries the friendly reply and an optional hint
    │   └── Unmatched          a name that names nothing or several; suggestions, choices
    │       ├── UnknownAgent   no agent matches; may carry "did you mean" suggestions
    │       ├── AmbiguousAgent several agents match; carries the choices
    │       ├── UnknownTeam    no team matches; may carry suggestions
    │       └── AmbiguousTeam  several teams match; carries the choices
    └── VccError               talking to VCC failed (mapped from HTTP in vcc.decode only)
        ├── VccAuthError       token refused, or 401/403 after one refresh
        ├── VccRequestError    400 and other 4xx: VCC rejected what we asked
        ├── VccRateLimited     429 still after the bounded retries
        ├── VccUnavailable     5xx, timeouts, connection errors after retries
        ├── VccBadResponse     malformed JSON or a payload that is not the documented shape
        └── VccTooLarge        one read passed a cap (pages or bytes); names the setting

`handle()` turns every one of these into a friendly reply; nothing above it raises to Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AgentstateError",
    "AmbiguousAgent",
    "AmbiguousTeam",
    "Choice",
    "ConfigError",
    "UnknownAgent",
    "UnknownTeam",
    "Unmatched",
    "UserError",
    "VccAuthError",
    "VccBadResponse",
    "VccError",
    "VccRateLimited",
    "VccRequestError",
    "VccTooLarge",
    "VccUnavailable",
]


class AgentstateError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(AgentstateError):
    """A setting is missing or invalid. `variable` names the environment variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class UserError(AgentstateError):
    """Bad input. `message` is what the user sees; `hint` suggests what to type instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Choice:
    """One candidate in a "did you mean" or "which one" answer."""

    id: str
    label: str


class Unmatched(UserError):
    """A name that names no agent or team (`suggestions`: near misses, best first), or
    several (`choices`: the candidates). `query` is the name as typed."""

    def __init__(
        self,
        message: str,
        query: str,
        *,
        hint: str | None = None,
        suggestions: Sequence[Choice] = (),
        choices: Sequence[Choice] = (),
    ) -> None:
        super().__init__(message, hint)
        self.query = query
        self.suggestions = tuple(suggestions)
        self.choices = tuple(choices)


class _NoMatch(Unmatched):
    """Nothing matches; a subclass names what was looked for and where to look instead."""

    _what = "anything"
    _where = "Try `help`."

    def __init__(self, query: str, suggestions: Sequence[Choice] = ()) -> None:
        message = f"I couldn't find {self._what} called “{query}”."
        super().__init__(message, query, hint=self._where, suggestions=suggestions)


class _SeveralMatch(Unmatched):
    """Several match; a subclass names what they are."""

    _plural = "things"

    def __init__(self, query: str, choices: Sequence[Choice]) -> None:
        message = f"“{query}” matches {len(choices)} {self._plural}."
        super().__init__(message, query, choices=choices)


class UnknownAgent(_NoMatch):
    _what = "an agent"
    _where = "Try `teams` to see who is on each team."


class AmbiguousAgent(_SeveralMatch):
    _plural = "agents"


class UnknownTeam(_NoMatch):
    _what = "a team"
    _where = "Try `teams` for the list."


class AmbiguousTeam(_SeveralMatch):
    """`choices` hold each team with its name as its id."""

    _plural = "teams"


class VccError(AgentstateError):
    """Talking to VCC failed. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class VccAuthError(VccError):
    """VCC refused our credentials or token."""


class VccRequestError(VccError):
    """VCC rejected the request (400 or another 4xx)."""


class VccRateLimited(VccError):
    """VCC kept answering 429 after the bounded retries."""


class VccUnavailable(VccError):
    """VCC did not answer usefully: 5xx, timeout or connection failure after retries."""


class VccBadResponse(VccError):
    """VCC answered with something that is not the documented JSON."""


class VccTooLarge(VccError):
    """VCC's answer to one read passed a cap this bot sets itself.

    `cap` is "pages" or "bytes"; `variable` and `value` name the setting that sets it as an
    operator would write it (`AGENTSTATE_VCC_MAX_PAGES`, `200`).
    """

    def __init__(self, message: str, *, cap: str, variable: str, value: str) -> None:
        super().__init__(message)
        self.cap = cap
        self.variable = variable
        self.value = value
