"""One GET to VCC as the client sends it: on a pool slot, streamed, its body read within the
byte cap, then parsed (a big body off the event loop).

`send_get` returns the answer with its body in memory whatever the status, so the caller can
read `Retry-After` and map the status; `parse` turns it into a model or the matching error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import httpx
from pydantic import BaseModel

from bot.errors import VccBadResponse, VccError, VccUnavailable
from bot.vcc.decode import parse_body, parse_in_pieces, raise_for_status
from bot.vcc.limits import Caps, read_body

__all__ = ["Api", "parse", "send_get"]

ModelT = TypeVar("ModelT", bound=BaseModel)

# Bodies bigger than this are decoded in a worker thread, in pieces: at pydantic's ~50 us per
# status item, 256 KiB is ~20 ms of the event loop; past it the loop would visibly stall.
_BIG_BODY = 256 * 1024
# One thread decodes every big body, one after another. Each piece holds the interpreter lock,
# so several decoding threads at once take turns against the event loop (4 big reads at once
# stalled it 100-236 ms) and would tie up the default pool that DNS lookups also wait on.
_DECODER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vcc-decode")


@dataclass(frozen=True)
class Api:
    """One VCC API as the client talks to it: base URL, Accept header, auth (one per scope)."""

    name: str
    base_url: str
    accept: str
    auth: httpx.Auth


async def send_get(
    http: httpx.AsyncClient,
    slots: asyncio.Semaphore,
    api: Api,
    path: str,
    params: Mapping[str, str],
    caps: Caps,
) -> httpx.Response:
    """One GET of `path` through the auth flow, holding one of `slots` (one connection) until
    its body is in. Transport failures become VccUnavailable (VccBadResponse when unreadable);
    a body past `caps.max_bytes` is VccTooLarge."""
    request = http.build_request(
        "GET", api.base_url + path, params=dict(params), headers={"Accept": api.accept}
    )
    async with slots:
        try:
            streamed = await http.send(request, auth=api.auth, stream=True)
            try:
                body = await read_body(streamed, caps, f"{api.name} GET {path}")
            finally:
                await streamed.aclose()
        except httpx.RequestError as exc:
            raise _transport_error(api.name, exc) from exc
    return _buffered(streamed, body)


async def parse(response: httpx.Response, model: type[ModelT], what: str) -> ModelT:
    """A buffered answer as `model` or its VccError; a big body decoded off the event loop."""
    raise_for_status(response, what)
    if len(response.content) <= _BIG_BODY:
        return parse_body(response, model, what)
    return await asyncio.get_running_loop().run_in_executor(
        _DECODER, parse_in_pieces, response.content, model, what, response.status_code
    )


def _buffered(streamed: httpx.Response, body: bytes) -> httpx.Response:
    """The streamed answer again, with its (already decoded) body in memory."""
    skip = {"content-encoding", "content-length", "transfer-encoding"}
    headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in skip]
    return httpx.Response(
        streamed.status_code,
        headers=headers,
        content=body,
        request=streamed.request,
        extensions=streamed.extensions,
    )


def _transport_error(api: str, exc: httpx.RequestError) -> VccError:
    """What an httpx failure to get an answer means."""
    if isinstance(exc, httpx.TimeoutException):
        return VccUnavailable(f"VCC {api} timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return VccUnavailable(f"VCC {api} could not be reached ({type(exc).__name__})")
    return VccBadResponse(f"VCC {api} answered unreadably: {exc}")  # e.g. bad content encoding
