"""VCC access: wire models, OAuth client-credentials auth, retry policy and the async client
(with its per-read caps in `limits`, shared reads and backoff in `flight`, one GET in
`exchange`)."""

from __future__ import annotations

from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.client import (
    STATS_ACCEPT,
    USERADMIN_ACCEPT,
    UserInclude,
    VccClient,
    build_vcc_client,
)
from bot.vcc.retry import RetryPolicy, parse_retry_after

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
