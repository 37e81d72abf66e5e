"""Pure retry policy: how long to wait before the next attempt. Never sleeps itself.

`Retry-After` wins when the server sends one (delay-seconds or an HTTP date, RFC 9110 §10.2.3),
clamped to `[0, max_retry_after]`; otherwise capped exponential backoff with jitter. The jitter
source is injected so tests are deterministic.
"""

from __future__ import annotations

import random as _random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

__all__ = ["Jitter", "RetryPolicy", "parse_retry_after"]

Jitter = Literal["full", "equal"]

# delay-seconds is 1*DIGIT; a decimal fraction is tolerated. Signs, exponents, "inf" and "nan"
# (all of which float() would accept) are garbage.
_SECONDS = re.compile(r"\d+(?:\.\d+)?")

# 2**62 * base already exceeds any sane cap; bounding the exponent keeps the float finite.
_MAX_EXPONENT = 62


def parse_retry_after(value: str | None, now: datetime | None) -> float | None:
    """Seconds to wait according to a `Retry-After` value, or None if it cannot be read.

    Args:
        value: the header value: delay-seconds (`"2"`, `"1.5"`) or an HTTP date
            (`"Wed, 21 Oct 2015 07:28:00 GMT"`).
        now: the current time, needed only for the HTTP-date form (None then gives None).

    The result is not clamped: a date in the past gives a negative number.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return float(text)
    if now is None:
        return None
    try:
        at = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if at.tzinfo is None:  # "-0000" means UTC with no claim about local time (RFC 5322)
        at = at.replace(tzinfo=UTC)
    return (at - now).total_seconds()


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often to retry a failed VCC request.

    Args:
        max_attempts: total attempts, the first one included.
        base: backoff before the second attempt (before jitter), in seconds; doubles each time.
        cap: backoff ceiling in seconds (before jitter).
        max_retry_after: a server's `Retry-After` is clamped to this many seconds.
        jitter: "full" draws from [0, backoff); "equal" from [backoff/2, backoff).
        random: jitter source returning floats in [0, 1).
    """

    max_attempts: int = 4
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 60.0
    jitter: Jitter = "full"
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.max_retry_after < 0:
            raise ValueError("base, cap and max_retry_after must not be negative")
        if self.jitter not in ("full", "equal"):
            raise ValueError(f"unknown jitter {self.jitter!r}")

    def backoff(self, attempt: int) -> float:
        """The capped exponential backoff after failed attempt `attempt` (1-based), no jitter."""
        if attempt < 1:
            raise ValueError("attempt is 1-based")
        return min(self.cap, self.base * 2.0 ** min(attempt - 1, _MAX_EXPONENT))

    def delay(
        self, attempt: int, *, retry_after: str | None = None, now: datetime | None = None
    ) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based) before the next one.

        A readable `retry_after` (relative to `now` when it is a date) wins, clamped to
        `[0, max_retry_after]`; otherwise the jittered backoff.
        """
        server = parse_retry_after(retry_after, now)
        if server is not None:
            return min(max(server, 0.0), self.max_retry_after)
        ceiling = self.backoff(attempt)
        if self.jitter == "full":
            return self.random() * ceiling
        half = ceiling / 2
        return half + self.random() * half
