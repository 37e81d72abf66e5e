"""VCC access: wire models, OAuth client-credentials auth, retry policy and the async client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.retry import RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from bot.vcc.client import (
        STATS_ACCEPT,
        USERADMIN_ACCEPT,
        UserInclude,
        VccClient,
        build_vcc_client,
    )

__all__ = [
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
    "ClientCredentialsAuth",
    "RetryPolicy",
    "UserInclude",
    "VccClient",
    "build_vcc_client",
    "parse_retry_after",
]

_FROM_CLIENT = frozenset(
    {"STATS_ACCEPT", "USERADMIN_ACCEPT", "UserInclude", "VccClient", "build_vcc_client"}
)


def __getattr__(name: str) -> Any:
    # The client is imported on first use, not here: bot.query.source imports bot.vcc.models
    # (which runs this file) and bot.vcc.client imports bot.query.source, so an eager import
    # would be a cycle for anyone importing bot.query.source first.
    if name in _FROM_CLIENT:
        from bot.vcc import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
