"""VCC answers to typed values: the one HTTP status -> error map, and JSON bodies -> models.

Everything here is pure: it reads an `httpx.Response` that has already arrived and either returns
a `bot.vcc.models` value or raises a `bot.errors.VccError` subclass. Both the API client and the
token flow (`bot.vcc.auth`) ask `error_for_status` which error a status means.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.errors import (
    VccAuthError,
    VccBadResponse,
    VccError,
    VccRateLimited,
    VccRequestError,
    VccUnavailable,
)

__all__ = [
    "LimitRejected",
    "decode",
    "error_for_status",
    "parse_body",
    "raise_for_status",
    "server_message",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_LIMIT_WORD = re.compile(r"\blimit\b", re.IGNORECASE)


class LimitRejected(VccRequestError):
    """A 400 whose message names the `limit` parameter (API.md §10: halve it and retry)."""


def error_for_status(status: int, *, token_endpoint: bool = False) -> type[VccError] | None:
    """The status -> error map: None for 2xx, else the VccError subclass the status means.

    Args:
        status: the HTTP status VCC answered.
        token_endpoint: the answer came from the OAuth token endpoint, where any 4xx
            (`invalid_client`, `invalid_scope`) means the credentials were refused.
    """
    if 200 <= status < 300:
        return None
    if status == 429:
        return VccRateLimited
    if status >= 500:
        return VccUnavailable
    if status in (401, 403):
        return VccAuthError
    if 400 <= status < 500:
        return VccAuthError if token_endpoint else VccRequestError
    return VccBadResponse  # 1xx/3xx: we never follow redirects to VCC


def raise_for_status(response: httpx.Response, what: str) -> None:
    """Raise the VccError a non-2xx API answer means, with VCC's own message; 2xx passes.

    A 400 naming `limit` is `LimitRejected`, so paging can halve the limit and read again.
    """
    status = response.status_code
    error = error_for_status(status)
    if error is None:
        return
    message = server_message(response)
    if error is VccRequestError and status == 400 and _names_limit(message):
        error = LimitRejected
    raise error(f"VCC {what} answered {status}: {message}", status)


def parse_body(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
    """A 2xx body as `model`; malformed JSON or another shape is VccBadResponse."""
    status = response.status_code
    try:
        # Parsed and validated in one pass by pydantic-core: a big floor's day is ~10^5 rows.
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise VccBadResponse(
                f"VCC {what} answered {status} with malformed JSON", status
            ) from exc
        raise VccBadResponse(
            f"VCC {what} answered {status} with an unexpected shape "
            f"({exc.error_count()} problems, first at {_first_location(exc)})",
            status,
        ) from exc


def decode(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
    """One API answer: 2xx -> `model`; everything else -> the matching VccError.

    Malformed JSON or an unexpected shape on a 2xx is VccBadResponse and is NOT retried: a
    2xx body that is not the documented JSON is most likely a contract change or a wrong base
    URL (an HTML page), which a retry would not fix; it would only spend the shared rate
    budget. A truncated transfer surfaces as an httpx transport error instead, and that is
    retried.
    """
    raise_for_status(response, what)
    return parse_body(response, model, what)


def server_message(response: httpx.Response) -> str:
    """VCC's error text: `message`, else `error_description`, else `error`, else the body."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    text = response.text.strip()
    if text:
        return text[:200]
    return response.reason_phrase or "no message"


def _names_limit(message: str) -> bool:
    # "Request window size limit exceeded 31 days" also says "limit" but is about the window.
    return bool(_LIMIT_WORD.search(message)) and "window" not in message.lower()


def _first_location(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    if not errors:
        return "?"
    return ".".join(str(part) for part in errors[0]["loc"]) or "top level"
