"""VCC access: wire models, OAuth client-credentials auth, retry policy and the async client
(with its per-read caps in `limits`, shared reads in `flight`, one GET in `exchange`, and the
one rate budget for every request in `budget`)."""

from __future__ import annotations

from bot.vcc.auth import ClientCredentialsAuth
from bot.vcc.budget import Priority, RateBudget
from bot.vcc.client import (
    BACKGROUND_DEADLINE,
    PATIENT_RETRIES,
    STATS_ACCEPT,
    USERADMIN_ACCEPT,
    UserInclude,
    VccClient,
    build_vcc_client,
)
from bot.vcc.retry import RetryPolicy, parse_retry_after

__all__ = [
    "BACKGROUND_DEADLINE",
    "PATIENT_RETRIES",
    "STATS_ACCEPT",
    "USERADMIN_ACCEPT",
    "ClientCredentialsAuth",
    "Priority",
    "RateBudget",
    "RetryPolicy",
    "UserInclude",
    "VccClient",
    "build_vcc_client",
    "parse_retry_after",
]
