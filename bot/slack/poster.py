"""How one response_url POST goes over the wire, through either HTTP client: the seam under
`ResponseUrl` (bot/slack/destinations.py).

The answers post through aiohttp's client (`answer_session`, one pool sized to the answer
queue): its POST costs about a tenth of the CPU of httpx's, whose pool polls every idle
connection's socket on each request (measured under a burst of answers: `make bench`). An
`httpx.AsyncClient` is taken too (tests, and any caller that holds one). Either way a POST
returns what Slack answered (`Answered`) or raises one of:

    Unsent   no connection was made: Slack cannot have taken the post
    Lost     it was sent and no answer came (a timeout, a dropped connection): Slack may
             have taken it
    Broken   a failure another try would not mend (a malformed URL, a bad redirect)
    Closed   the client is closed (a stopping server)

The body is JSON as httpx writes it (compact, UTF-8), the same bytes through either client.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.request import getproxies

import aiohttp
import certifi
import httpx

__all__ = [
    "Answered",
    "Broken",
    "Client",
    "Closed",
    "Failed",
    "Lost",
    "Unsent",
    "answer_session",
    "post_json",
]

Client = httpx.AsyncClient | aiohttp.ClientSession
TIMEOUT_SECONDS = 10.0  # to connect, and then for the answer

_JSON = {"Content-Type": "application/json"}
# Failures before the request was sent: Slack cannot have taken the post.
_HTTPX_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_AIOHTTP_UNSENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


@dataclass(frozen=True)
class Answered:
    """Slack's answer to a POST: its status, Retry-After (if any) and body."""

    status: int
    retry_after: str | None
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Failed(Exception):
    """A POST that got no answer; `why` names the failure (never the URL, a secret)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Unsent(Failed):
    """No connection was made."""


class Lost(Failed):
    """Sent, but no answer came."""


class Broken(Failed):
    """Not worth another try."""


class Closed(Failed):
    """The client is closed."""


def answer_session(connections: int, *, timeout: float = TIMEOUT_SECONDS) -> aiohttp.ClientSession:
    """The one aiohttp session for response_url posts: at most `connections` at once, kept
    alive between posts; proxies and certificates as httpx takes them (the environment,
    certifi's bundle). Create it on the running loop; close it (`async with`) when done.

    Args:
        timeout: seconds to connect, and then seconds for the answer.
    """
    tls = ssl.create_default_context(cafile=certifi.where())
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0, ssl=tls),
        timeout=aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout),
        # Decided once: aiohttp trusting the environment looks for a proxy (and reads
        # ~/.netrc) in a thread on every request, so only when a proxy is configured.
        trust_env=bool(getproxies()),
    )


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


async def post_json(http: Client, url: str, payload: dict[str, Any]) -> Answered:
    """POST `payload` as JSON to `url` through `http`; Slack's answer.

    Raises:
        Failed: one of Unsent, Lost, Broken, Closed (see the module docstring).
    """
    if isinstance(http, aiohttp.ClientSession):
        return await _aiohttp_post(http, url, _body(payload))
    return await _httpx_post(http, url, _body(payload))


async def _aiohttp_post(http: aiohttp.ClientSession, url: str, body: bytes) -> Answered:
    try:
        async with http.post(url, data=body, headers=_JSON) as response:
            text = (await response.read()).decode("utf-8", "replace")
            return Answered(response.status, response.headers.get("Retry-After"), text)
    except _AIOHTTP_UNSENT as exc:
        raise Unsent(type(exc).__name__) from None
    except aiohttp.InvalidURL:
        raise Broken("InvalidURL") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Lost(type(exc).__name__) from None
    except RuntimeError:
        if not http.closed:
            raise
        raise Closed("client closed") from None


async def _httpx_post(http: httpx.AsyncClient, url: str, body: bytes) -> Answered:
    try:
        response = await http.post(url, content=body, headers=_JSON)
    except _HTTPX_UNSENT as exc:
        raise Unsent(type(exc).__name__) from None
    except httpx.TransportError as exc:
        # The exception text can carry the URL; its type is enough to act on.
        raise Lost(type(exc).__name__) from None
    except httpx.HTTPError as exc:
        raise Broken(type(exc).__name__) from None
    except RuntimeError:
        if not http.is_closed:
            raise
        raise Closed("client closed") from None
    return Answered(response.status_code, response.headers.get("Retry-After"), response.text)
