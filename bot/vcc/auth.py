"""OAuth 2 client credentials as an `httpx.Auth` flow: one cached bearer token per scope.

The token request is *yielded* from the flow, so it travels through the same `httpx.AsyncClient`
(and its injected transport and timeouts) as every other request. Token fetches are serialised by
an `asyncio.Lock` with a double check, so any number of concurrent requests cause one token
request. A 401 invalidates the token that failed, fetches one new token and resends once.
The requests the flow adds on its own (token requests, that one resend) are reported to an
injected `charge`, so the client's rate budget counts them without making them wait.

The client secret lives in a `SecretStr` and is read only to build the token request body; it is
never logged, never part of `repr()` and never part of an exception message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import httpx
from pydantic import SecretStr, ValidationError

from bot.clock import Clock
from bot.errors import VccAuthError, VccBadResponse, VccError, VccRateLimited
from bot.vcc.decode import error_for_status
from bot.vcc.models import Token

__all__ = ["ClientCredentialsAuth"]

log = logging.getLogger("bot.vcc")


@dataclass(frozen=True)
class _Cached:
    value: str
    refresh_at: datetime

    def __repr__(self) -> str:
        return f"_Cached(refresh_at={self.refresh_at.isoformat()})"


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens from an OAuth client-credentials grant, cached until shortly before expiry.

    Args:
        token_url: the regional token endpoint (`https://emea.cc.vonage.com/Auth/connect/token`).
        client_id, client_secret: the VCC API credentials.
        scope: one scope per token (`stats`, `users:read`); use one instance per scope.
        clock: source of "now" for the expiry arithmetic.
        refresh_margin: fetch a new token this long before the old one expires (capped at half
            the token's lifetime, so a short-lived token is not refetched on every request).
        charge: called before each request the flow adds itself (a token request, the resend
            after a 401); the client passes its rate budget's `charge`.

    Raises (out of the request that needed a token):
        VccAuthError: the token endpoint refused the credentials (4xx); names the OAuth error.
        VccRateLimited: the token endpoint answered 429.
        VccUnavailable: the token endpoint answered 5xx.
        VccBadResponse: the token endpoint answered 2xx with something that is not a token.
    """

    requires_response_body = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str,
        clock: Clock,
        refresh_margin: timedelta = timedelta(minutes=5),
        charge: Callable[[], None] = lambda: None,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._charge = charge
        self._token: _Cached | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"ClientCredentialsAuth(token_url={self._token_url!r}, "
            f"client_id={self._client_id!r}, scope={self._scope!r})"
        )

    @property
    def scope(self) -> str:
        return self._scope

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Not supported: the token cache is guarded by an asyncio.Lock."""
        return _sync_unsupported()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach a bearer token; on a 401 refresh it once and resend once."""
        failed: str | None = None
        for attempt in (1, 2):
            token = self._usable(excluding=failed)
            if token is None:
                async with self._lock:
                    # Double check: another request may have fetched one while we waited.
                    token = self._usable(excluding=failed)
                    if token is None:
                        self._charge()
                        token_response = yield self._token_request(request)
                        token = await self._accept(token_response)
            request.headers["Authorization"] = f"Bearer {token}"
            if attempt == 2:
                self._charge()  # the first send took its turn at the budget; the resend did not
            response = yield request
            if response.status_code != 401 or attempt == 2:
                return
            # The second 401 (if any) goes back to the caller, which maps it to VccAuthError.
            log.info("VCC answered 401 for scope %s; fetching a new token once", self._scope)
            failed = token
            self._invalidate(token)

    def _usable(self, *, excluding: str | None) -> str | None:
        """The cached token if it is not due for refresh and is not the one that just failed."""
        cached = self._token
        if cached is None or cached.value == excluding:
            return None
        if self._clock.now() >= cached.refresh_at:
            return None
        return cached.value

    def _invalidate(self, token: str) -> None:
        # Only drop it if it is still the cached one: a concurrent request may have replaced it.
        if self._token is not None and self._token.value == token:
            self._token = None

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
            "scope": self._scope,
        }
        # A bare Request carries no timeout; borrow the client's from the request that needs it.
        extensions: dict[str, Any] = {}
        if "timeout" in original.extensions:
            extensions["timeout"] = original.extensions["timeout"]
        return httpx.Request(
            "POST",
            self._token_url,
            data=form,
            headers={"Accept": "application/json"},
            extensions=extensions,
        )

    async def _accept(self, response: httpx.Response) -> str:
        """Cache the token from a token-endpoint response, or raise the typed error."""
        await response.aread()
        status = response.status_code
        error = error_for_status(status, token_endpoint=True)
        if error is not None:
            raise error(self._failure(error, response), status)
        try:
            token = Token.model_validate_json(response.content)
        except ValidationError as exc:
            # Token hides its input in validation errors, so the cause cannot leak the token.
            raise VccBadResponse(
                f"the VCC token endpoint answered {status} without a usable token", status
            ) from exc
        now = self._clock.now()
        lifetime = timedelta(seconds=max(token.expires_in, 0))
        margin = min(self._refresh_margin, lifetime / 2)
        self._token = _Cached(token.access_token, now + lifetime - margin)
        log.info(
            "fetched a VCC token for scope %s; valid %d s, refresh at %s",
            self._scope,
            token.expires_in,
            self._token.refresh_at.isoformat(),
        )
        return token.access_token

    def _failure(self, error: type[VccError], response: httpx.Response) -> str:
        """The message for a token-endpoint answer that is not a token."""
        status = response.status_code
        if error is VccRateLimited:
            return f"the VCC token endpoint is rate limiting us ({status})"
        if error is VccAuthError:
            return (
                f"VCC refused the API credentials for scope {self._scope!r}: "
                f"{self._redact(_oauth_error(response))} ({status})"
            )
        return f"the VCC token endpoint answered {status}"

    def _redact(self, text: str) -> str:
        # The server should never echo the secret; if it ever does, it stops here.
        secret = self._client_secret.get_secret_value()
        return text.replace(secret, "**********") if secret else text


def _oauth_error(response: httpx.Response) -> str:
    """`error` (and `error_description`) of an OAuth error body, else the reason phrase."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        description = body.get("error_description") or body.get("message")
        parts = [str(part) for part in (error, description) if part]
        if parts:
            return ": ".join(parts)
    return response.reason_phrase or "no error given"


def _sync_unsupported() -> NoReturn:
    raise RuntimeError("ClientCredentialsAuth works with httpx.AsyncClient only")
