"""The simulated VCC's token endpoint and bearer check.

OAuth 2 client credentials for one client: a token per request, for one scope (`stats` or
`users:read`), living `ttl` seconds by the server's clock, unless every token is expired at
once. Errors are the bodies VCC sends, as shared/vcc/API.md records them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl

from bot.clock import Clock
from bot.sim.response import Response, json_response

__all__ = ["TOKEN_PATH", "Tokens", "Unauthorized"]

TOKEN_PATH: Final = "/Auth/connect/token"  # noqa: S105 - a URL path, not a password
_SCOPES: Final = ("stats", "users:read")

_MISSING_TOKEN: Final = {
    "error_description": "The access token is missing",
    "error": "invalid_request",
}
_INVALID_TOKEN: Final = {
    "error_description": "The access token is invalid or has expired",
    "error": "invalid_token",
}


class Unauthorized(Exception):
    """A 401 with this JSON body."""

    def __init__(self, body: Mapping[str, str]) -> None:
        super().__init__(str(body))
        self.body = body

    def response(self) -> Response:
        """The 401, with `WWW-Authenticate` naming the OAuth error when there is one."""
        response = json_response(401, self.body)
        if "error" in self.body:
            response.headers["WWW-Authenticate"] = f'Bearer error="{self.body["error"]}"'
        return response


@dataclass(frozen=True)
class _Token:
    scope: str
    expires_at: datetime


class Tokens:
    """Issues tokens to one client and checks the bearer tokens requests carry.

    Args:
        client_id, client_secret: the only credentials the token endpoint accepts.
        ttl: seconds a token lives (`expires_in`), judged by `clock`.
        clock: "now" for issuing and checking.
    """

    def __init__(self, client_id: str, client_secret: str, ttl: int, clock: Clock) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}

    def issue(self, body: bytes, headers: Mapping[str, str]) -> Response:
        """The token endpoint's answer to a POST with this form (header names lower-case)."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type")
        good_id = hmac.compare_digest(form.get("client_id", ""), self.client_id)
        good_secret = hmac.compare_digest(form.get("client_secret", ""), self._client_secret)
        if not (good_id and good_secret):
            return _oauth_error("invalid_client")
        scope = form.get("scope", "")
        if scope not in _SCOPES:
            return _oauth_error("invalid_scope")
        token = secrets.token_urlsafe(32)
        expires_at = self.clock.now() + timedelta(seconds=self.ttl)
        with self._lock:
            self._tokens[token] = _Token(scope, expires_at)
        payload = {
            "access_token": token,
            "expires_in": self.ttl,
            "token_type": "Bearer",
            "scope": scope,
        }
        return json_response(200, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def check(self, headers: Mapping[str, str], scope: str) -> None:
        """Raises `Unauthorized` unless `Authorization` bears a live token for `scope`."""
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(_MISSING_TOKEN)
        with self._lock:
            issued = self._tokens.get(token.strip())
        if issued is None or self.clock.now() >= issued.expires_at:
            raise Unauthorized(_INVALID_TOKEN)
        if issued.scope != scope:
            raise Unauthorized({"message": "Unauthorized"})

    def expire(self) -> None:
        """Make every token issued so far invalid."""
        with self._lock:
            self._tokens.clear()


def _oauth_error(error: str) -> Response:
    return json_response(400, {"error": error}, {"Cache-Control": "no-store"})
