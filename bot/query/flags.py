"""Why a supervisor should look at an agent now: typed flags against per-floor thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from bot.vcc.models import State

__all__ = ["Flag", "FlagKind", "Thresholds", "flag"]


@dataclass(frozen=True)
class Thresholds:
    """How long a state may last before a supervisor should look."""

    away: timedelta = timedelta(minutes=15)
    wrap: timedelta = timedelta(minutes=5)
    stale: timedelta = timedelta(minutes=2)


class FlagKind(Enum):
    AWAY_TOO_LONG = "away_too_long"
    WRAP_TOO_LONG = "wrap_too_long"
    UNEXPECTED = "unexpected"
    FAILED = "failed"


@dataclass(frozen=True)
class Flag:
    """A reason to look: its kind, and the limit passed where the kind has one."""

    kind: FlagKind
    limit: timedelta | None = None


def flag(state: State, elapsed: timedelta, thresholds: Thresholds) -> Flag | None:
    """Why a supervisor should look at an agent `elapsed` into `state`, if they should."""
    if state is State.AWAY and elapsed > thresholds.away:
        return Flag(FlagKind.AWAY_TOO_LONG, thresholds.away)
    if state is State.WRAP and elapsed > thresholds.wrap:
        return Flag(FlagKind.WRAP_TOO_LONG, thresholds.wrap)
    if state is State.UNEXPECTED:
        return Flag(FlagKind.UNEXPECTED)
    if state is State.FAILED:
        return Flag(FlagKind.FAILED)
    return None
