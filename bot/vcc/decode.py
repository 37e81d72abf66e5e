"""VCC answers to typed values: the one HTTP status -> error map, and JSON bodies -> models.

Everything here is pure: it reads an `httpx.Response` that has already arrived and either returns
a `bot.vcc.models` value or raises a `bot.errors.VccError` subclass. Both the API client and the
token flow (`bot.vcc.auth`) ask `error_for_status` which error a status means.

A big body is decoded by `parse_in_pieces`, meant for a worker thread: pydantic-core holds the
GIL for a whole `model_validate_json` call (a 20 MB page held every other thread for seconds),
so a big list is cut into its elements' JSON texts and validated a few hundred items per call,
and the event loop's thread gets the interpreter back between pieces. The elements stay text
until validated: strings are not tracked by the garbage collector, so the pieces add nothing
to a full collection's pause (a 6,000-item page as dicts cost a 60 ms one).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from json.scanner import make_scanner
from typing import Any, TypeVar, cast, get_origin

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.errors import (
    VccAuthError,
    VccBadResponse,
    VccError,
    VccRateLimited,
    VccRequestError,
    VccUnavailable,
)
from bot.vcc.models import AgentStatus, Page

__all__ = [
    "LimitRejected",
    "decode",
    "error_for_status",
    "parse_body",
    "parse_in_pieces",
    "raise_for_status",
    "server_message",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_LIMIT_WORD = re.compile(r"\blimit\b", re.IGNORECASE)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Items validated per pydantic call: a few milliseconds of holding the GIL each.
_PIECE = 256
# Parses one JSON value at an offset of a str: (value, end); StopIteration when there is none.
_Scan = Callable[[str, int], tuple[Any, int]]


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
            raise _malformed(what, status) from exc
        raise _bad_shape(exc, what, status) from exc


def parse_in_pieces(body: bytes, model: type[ModelT], what: str, status: int = 200) -> ModelT:
    """A big 2xx body as `model`, as `parse_body` reads it, in pieces (for a worker thread).

    The list in the model (Stats `items`, User Admin `users`/`groups`) is validated `_PIECE`
    elements at a time from their JSON text; the rest of the envelope in one go.
    """
    try:
        data = _loads_in_pieces(body.decode("utf-8"))
        found = _list_field(model, data)
        texts: list[str] = data.pop(found[1]) if found else []
        for key, value in data.items() if isinstance(data, dict) else ():
            if isinstance(value, _Texts):  # an array the model does not hold as its list
                data[key] = [json.loads(text) for text in value]
    except (ValueError, StopIteration) as exc:  # UnicodeDecodeError is a ValueError
        raise _malformed(what, status) from exc
    try:
        if found is None:
            return model.model_validate(data)
        name, key, adapter = found
        envelope = model.model_validate({**data, key: []})
        memo = _MEMOS.get(model)
        if memo is not None:
            return envelope.model_copy(update={name: memo.items(texts, adapter)})
        return envelope.model_copy(update={name: _validate(texts, adapter)})
    except ValidationError as exc:
        raise _bad_shape(exc, what, status) from exc


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


def _malformed(what: str, status: int) -> VccBadResponse:
    return VccBadResponse(f"VCC {what} answered {status} with malformed JSON", status)


def _bad_shape(exc: ValidationError, what: str, status: int) -> VccBadResponse:
    return VccBadResponse(
        f"VCC {what} answered {status} with an unexpected shape "
        f"({exc.error_count()} problems, first at {_first_location(exc)})",
        status,
    )


class _Texts(list[str]):
    """An array read as its elements' JSON texts, not yet parsed."""


def _validate(texts: list[str], adapter: TypeAdapter[Any]) -> list[Any]:
    validated: list[Any] = []
    for start in range(0, len(texts), _PIECE):
        validated.extend(adapter.validate_json(f"[{','.join(texts[start : start + _PIECE])}]"))
    return validated


class ItemMemo:
    """List items already validated, by their exact JSON text (at most `size`, the least
    recently seen dropped first).

    A poll reads every agent's status every cycle, and most are as they were: an item whose
    text is unchanged is the same frozen model, so only changed ones are validated (at
    5,000 agents that was ~70% of a poll cycle's CPU).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._seen: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def items(self, texts: list[str], adapter: TypeAdapter[Any]) -> list[Any]:
        with self._lock:
            found = [self._seen.get(text) for text in texts]
        missing = [text for text, item in zip(texts, found, strict=True) if item is None]
        made = iter(_validate(missing, adapter))
        out = [item if item is not None else next(made) for item in found]
        with self._lock:
            for text, item in zip(texts, out, strict=True):
                self._seen[text] = item
                self._seen.move_to_end(text)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return out


# Which big lists are worth remembering: agent-status, read whole every poll cycle.
_MEMOS: dict[type[BaseModel], ItemMemo] = {Page[AgentStatus]: ItemMemo(50_000)}


def _list_field(model: type[BaseModel], data: Any) -> tuple[str, str, TypeAdapter[Any]] | None:
    """The model's list field that `data` fills: (field name, wire key, its validator)."""
    if not isinstance(data, dict):
        return None
    for name, info in model.model_fields.items():
        key = info.alias or name
        if get_origin(info.annotation) is list and isinstance(data.get(key), _Texts):
            return name, key, _adapter(cast("Hashable", info.annotation))
    return None


@lru_cache(maxsize=32)
def _adapter(annotation: Hashable) -> TypeAdapter[Any]:
    return TypeAdapter(cast("Any", annotation))


def _loads_in_pieces(text: str) -> Any:
    """JSON text as Python values, like `json.loads`, except that the arrays directly inside
    a top-level object are `_Texts`: each element checked by one C call, kept as its text."""
    # typeshed types the argument as the scanner class itself; it is the decoder's settings.
    scan: _Scan = make_scanner(cast("Any", json.JSONDecoder()))
    at = _skip(text, 0)
    if not text.startswith("{", at):
        return json.loads(text)
    result: dict[str, Any] = {}
    at = _skip(text, at + 1)
    more = not text.startswith("}", at)
    while more:
        key, at = scan(text, at)
        if not isinstance(key, str):
            raise ValueError(f"an object key at {at} is not a string")
        at = _skip(text, _expect(text, _skip(text, at), ":"))
        value, at = _array(scan, text, at) if text.startswith("[", at) else scan(text, at)
        result[key] = value
        at = _skip(text, at)
        more = text.startswith(",", at)
        if more:
            at = _skip(text, at + 1)
    at = _skip(text, _expect(text, at, "}"))
    if at != len(text):
        raise ValueError(f"extra data at {at}")
    return result


def _array(scan: _Scan, text: str, at: int) -> tuple[_Texts, int]:
    """The array starting at `at` (its `[`) as its elements' texts; and where it ends."""
    items = _Texts()
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return items, at + 1
    while True:
        begin = at
        _, at = scan(text, at)  # parsed only to find where it ends; dropped at once
        items.append(text[begin:at])
        at = _skip(text, at)
        if not text.startswith(",", at):
            return items, _expect(text, at, "]")
        at = _skip(text, at + 1)


def _skip(text: str, at: int) -> int:
    match = _WHITESPACE.match(text, at)
    return match.end() if match else at


def _expect(text: str, at: int, char: str) -> int:
    if not text.startswith(char, at):
        raise ValueError(f"expected {char!r} at {at}")
    return at + 1


def _names_limit(message: str) -> bool:
    # "Request window size limit exceeded 31 days" also says "limit" but is about the window.
    return bool(_LIMIT_WORD.search(message)) and "window" not in message.lower()


def _first_location(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    if not errors:
        return "?"
    return ".".join(str(part) for part in errors[0]["loc"]) or "top level"
