"""Connection limits for the HTTP server: slow headers, slow bodies, idle keep-alives, a cap.

aiohttp closes an idle keep-alive after `keepalive_timeout` and caps a body at
`client_max_size`, but nothing else: a client may take for ever to send its first request's
headers, and nothing caps how many connections are open, so a few hundred silent sockets
exhaust the file descriptors (then every accept() fails with "Too many open files", logged
each time). `ConnectionGuard` wraps aiohttp's protocol factory:

    first request    its headers must arrive within `header_seconds`, else the connection
                     is closed (later requests: aiohttp's keep-alive timeout, `idle_seconds`)
    at the cap       the connection waiting longest without a request in progress is closed
                     to make room (a health check still gets in); with every connection busy
                     the new one is refused. A request counts as in progress only once its
                     body is in and Slack's signature checks (`busy`, called by the events
                     handler): a client trickling bodies stays closable, so it cannot hold
                     the cap
    the log          one line per minute at most about either, with counts
    the file limit   the soft open-file limit is raised to the hard one, and the cap leaves
                     `Limits.reserved` descriptors for everything else: the outbound pools,
                     the accept backlog (asyncio accepts up to `backlog` sockets before the
                     guard sees one) and a margin; should accept() still fail for want of
                     descriptors, asyncio's error (a traceback per socket) is one line a
                     minute (`QuietAcceptErrors`)

The body's own deadline (`body_seconds`) is the events handler's (bot/slack/ingress.py).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler

__all__ = [
    "ACCEPT_ERROR",
    "BACKLOG",
    "RESERVED_FILES",
    "ConnectionGuard",
    "GuardedSite",
    "Limits",
    "QuietAcceptErrors",
    "Throttled",
    "fit_open_files",
    "usable_connections",
]

log = logging.getLogger(__name__)

RESERVED_FILES = 64  # a margin beyond the pools and the backlog (logs, DNS, the listener...)
BACKLOG = 16  # the listening socket's accept queue; asyncio accepts this many at a time
ACCEPT_ERROR = "socket.accept() out of system resource"  # asyncio's words, at EMFILE


@dataclass(frozen=True)
class Limits:
    """How much the HTTP server lets one client take.

    Args:
        max_body: bytes in one request body; more is 413.
        header_seconds: for a new connection's first request headers.
        body_seconds: for a request body, once the headers are in; then 408.
        idle_seconds: a kept-alive connection with no request; longer than the usual proxy
            idle timeout (60 s), so a proxy in front never sends on a connection we closed.
        max_connections: open at once (AGENTSTATE_MAX_CONNECTIONS).
        backlog: the listening socket's accept queue.
        pools: descriptors the outbound connection pools may hold (VCC, response_urls).
    """

    max_body: int = 1024 * 1024
    header_seconds: float = 10.0
    body_seconds: float = 3.0  # Slack's bodies are a few kB
    idle_seconds: float = 75.0
    max_connections: int = 1000
    backlog: int = BACKLOG
    pools: int = 0

    @property
    def reserved(self) -> int:
        """Descriptors kept for everything but inbound connections."""
        return RESERVED_FILES + self.pools + self.backlog


def usable_connections(wanted: int, *, soft_limit: int, reserved: int = RESERVED_FILES) -> int:
    """The most connections that fit under an open-file limit, leaving `reserved`."""
    return max(1, min(wanted, soft_limit - reserved))


def fit_open_files(wanted: int, reserved: int = RESERVED_FILES) -> int:
    """Raise this process's soft open-file limit to the hard limit (everything else the
    process opens gets the room too); return how many connections fit beside `reserved`
    other descriptors, warning once if fewer than `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        # An unlimited hard limit is not a number setrlimit takes for the soft one on Linux.
        raised = max(soft, wanted + reserved) if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass  # keep the soft limit; the cap shrinks to fit it below
    if soft == resource.RLIM_INFINITY:
        return wanted
    fits = usable_connections(wanted, soft_limit=soft, reserved=reserved)
    if fits < wanted:
        log.warning(
            "AGENTSTATE_MAX_CONNECTIONS=%d does not fit the open-file limit (%d): capping at %d",
            wanted,
            soft,
            fits,
        )
    return fits


class Throttled:
    """Logs a warning at most once per `interval` seconds, counting the occurrences between.

    Args:
        message: a %-format taking the count since the last line, then the call's arguments.
    """

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        interval: float = 60.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._message = message
        self._interval = interval
        self._now = now
        self._count = 0
        self._next = float("-inf")

    def __call__(self, *args: object) -> None:
        self._count += 1
        now = self._now()
        if now >= self._next:
            self._logger.warning(self._message, self._count, *args)
            self._count = 0
            self._next = now + self._interval


class QuietAcceptErrors(logging.Filter):
    """For asyncio's logger: its "socket.accept() out of system resource" error, a traceback
    per failed accept (a burst each second while descriptors are short), becomes one line a
    minute with the count; other records pass as they are.

    Args:
        now: the clock (time.monotonic).
    """

    def __init__(self, *, interval: float = 60.0, now: Callable[[], float] = time.monotonic):
        super().__init__()
        self._interval = interval
        self._now = now
        self._count = 0
        self._next = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(ACCEPT_ERROR):
            return True
        self._count += 1
        now = self._now()
        if now < self._next:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        record.msg = "%s (%s): %d time(s) since the last such line, one line a minute at most"
        record.args = (ACCEPT_ERROR, exc or "no detail", self._count)
        record.exc_info, record.exc_text = None, None
        self._count, self._next = 0, now + self._interval
        return True


# One instance, so starting a second site adds no second copy (addFilter keeps one).
_QUIET_ACCEPT_ERRORS = QuietAcceptErrors()


class _Guarded(asyncio.Protocol):
    """One connection: aiohttp's protocol inside, started only if the guard admits it."""

    __slots__ = ("_guard", "_inner", "served", "timer", "transport")

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self._inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.served = False  # has had a request (so its headers came in time)
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._inner = self._guard.admit(self)
        if self._inner is None:
            transport.abort()
        else:
            self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.forget(self)
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def close(self) -> None:
        """Close the connection (aiohttp's protocol hears of it through connection_lost)."""
        if self.transport is not None:
            self.transport.close()


class ConnectionGuard:
    """aiohttp's protocol factory, with the limits above (see the module docstring).

    Built with the web app (its `middleware` tells it which connections are busy); the site
    hands it aiohttp's protocol factory when it starts listening (`bind`).

    Args:
        limits: header time and the connection cap (fitted to the open-file limit at `bind`).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._factory: Callable[[], asyncio.Protocol] | None = None
        self._cap = limits.max_connections
        # Open connections; those without a request in progress in the order they became so.
        self._open: dict[_Guarded, None] = {}
        self._waiting: dict[_Guarded, None] = {}
        self._by_transport: dict[asyncio.BaseTransport, _Guarded] = {}
        self._made_room = Throttled(
            log, "at the connection cap (%d closed to make room, %d open at most)"
        )
        self._refused = Throttled(log, "at the connection cap, all busy: refused %d (%d open)")

    def bind(self, factory: Callable[[], asyncio.Protocol]) -> None:
        """Start guarding aiohttp's protocol factory (`AppRunner.server`)."""
        self._factory = factory
        self._cap = fit_open_files(self.limits.max_connections, self.limits.reserved)

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self)

    def admit(self, conn: _Guarded) -> asyncio.Protocol | None:
        """aiohttp's protocol for a new connection, or None to refuse it."""
        if len(self._open) >= self._cap:
            if not self._waiting:
                self._refused(self._cap)
                return None
            oldest = next(iter(self._waiting))
            self.forget(oldest)
            oldest.close()
            self._made_room(self._cap)
        self._open[conn] = None
        self._waiting[conn] = None
        assert conn.transport is not None
        self._by_transport[conn.transport] = conn
        loop = asyncio.get_running_loop()
        conn.timer = loop.call_later(self.limits.header_seconds, self._first_request_late, conn)
        assert self._factory is not None, "bind() first"
        return self._factory()

    def forget(self, conn: _Guarded) -> None:
        """The connection is gone (or going)."""
        self._open.pop(conn, None)
        self._waiting.pop(conn, None)
        if conn.timer is not None:
            conn.timer.cancel()
        if conn.transport is not None:
            self._by_transport.pop(conn.transport, None)

    def _first_request_late(self, conn: _Guarded) -> None:
        # No complete request line and headers within `header_seconds` of opening. Once a
        # connection has served a request, aiohttp's keep-alive timeout covers it instead.
        if not conn.served:
            self.forget(conn)
            conn.close()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Notes that the connection's headers came in time (an aiohttp middleware); once
        `busy` has marked it, it is closable again when the request is done."""
        conn = self._conn(request)
        if conn is None:
            return await handler(request)
        conn.served = True
        if conn.timer is not None:
            conn.timer.cancel()
        self._waiting.pop(conn, None)  # still closable, but now the most recent to ask
        self._waiting[conn] = None
        try:
            return await handler(request)
        finally:
            if conn in self._open:
                self._waiting[conn] = None

    def busy(self, request: web.Request) -> None:
        """The request's body is in and signed: its connection is not closed to make room
        until the request is answered."""
        conn = self._conn(request)
        if conn is not None:
            self._waiting.pop(conn, None)

    def _conn(self, request: web.Request) -> _Guarded | None:
        return self._by_transport.get(request.transport) if request.transport else None


class GuardedSite(web.TCPSite):
    """aiohttp's TCP site, accepting connections through a `ConnectionGuard`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: ConnectionGuard) -> None:
        super().__init__(runner, host, port, backlog=guard.limits.backlog)
        self.guard = guard

    async def start(self) -> None:
        """Listen, as TCPSite.start does, with the guard in front of aiohttp's protocol."""
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        assert server is not None
        self.guard.bind(server)
        logging.getLogger("asyncio").addFilter(_QUIET_ACCEPT_ERRORS)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard, self._host, self._port, backlog=self._backlog, reuse_address=True
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]
