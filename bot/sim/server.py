"""The simulated contact center: a real HTTP server on loopback speaking VCC's wire format.

It serves the token endpoint, the Stats endpoints the bot reads (`/stats/wfm/agent-states`,
`/stats/agent-status`) and the User Admin endpoints for names and teams, validating requests
as shared/vcc/API.md describes. Faults (5xx, 429, hangs, malformed bodies, trickled bodies,
huge pages, expired tokens) can be scripted, and every request is recorded, so clients can be
tested against it. This module is the plumbing: serving, dispatching, recording; `auth`,
`endpoints` and `faults` answer.

It runs `http.server` in daemon threads: no event loop of its own, so sync code, async tests
and the console can all use it.

    with SimServer(Floor(FloorConfig(), clock)) as sim:
        httpx.get(sim.base_url + "/stats/agent-status", ...)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from bot.clock import Clock
from bot.sim.auth import TOKEN_PATH, Tokens, Unauthorized
from bot.sim.endpoints import BadRequest, check_accept, find_route
from bot.sim.faults import Fault, Faults
from bot.sim.floor import Floor
from bot.sim.response import Response, not_allowed, not_found

__all__ = ["RecordedRequest", "SimServer"]

_CACHE_CONTROL: Final = "max-age=5, must-revalidate, private"
_IDLE_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server answered. Header names are lower-case; `status` is what it sent."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    status: int


class _Abort(Exception):
    """The server is stopping: drop the connection without answering."""


class SimServer:
    """The simulated VCC on `127.0.0.1` at an OS-chosen port.

    Args:
        floor: answers the Stats queries and names the users and groups.
        client_id, client_secret: the only credentials the token endpoint accepts.
        token_ttl: seconds a token lives (`expires_in`), judged by `clock`.
        clock: "now" for tokens, `upTo` and the floor's current rows; default the floor's.
    """

    def __init__(
        self,
        floor: Floor,
        *,
        client_id: str = "sim-client",
        client_secret: str = "sim-secret",  # noqa: S107 - a fixed test credential, by design
        token_ttl: int = 7200,
        clock: Clock | None = None,
    ) -> None:
        self.floor = floor
        self._tokens = Tokens(client_id, client_secret, token_ttl, clock or floor.clock)
        self._faults = Faults()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def client_id(self) -> str:
        """The one client id the token endpoint accepts."""
        return self._tokens.client_id

    @property
    def token_ttl(self) -> int:
        """Seconds a token lives."""
        return self._tokens.ttl

    @property
    def clock(self) -> Clock:
        """The clock giving "now" for tokens, `upTo` and the floor's current rows."""
        return self._tokens.clock

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("SimServer already started")
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # the most stop() waits for the loop
            name=f"sim-vcc-{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every connection; hanging handlers are cut short."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The root, e.g. `http://127.0.0.1:54321`; Stats lives under `/stats`."""
        if self._httpd is None:
            raise RuntimeError("SimServer is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    # -- recording and faults ----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests answered so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        retry_after: str | None = None,
        *,
        path_prefix: str | None = None,
    ) -> None:
        """Answer the next `n` requests with `status` and `{"message": <reason>}`.

        `retry_after` (seconds or an HTTP date) is sent as `Retry-After` when given. Faults
        apply to non-token requests, or to requests whose path starts with `path_prefix`.
        """
        self._faults.add(Fault("fail", n, path_prefix, status=status, retry_after=retry_after))

    def hang_next(
        self, n: int = 1, seconds: float = 5.0, *, path_prefix: str | None = None
    ) -> None:
        """Wait `seconds` before answering the next `n` requests normally."""
        self._faults.add(Fault("hang", n, path_prefix, seconds=seconds))

    def malformed_next(self, n: int = 1, *, path_prefix: str | None = None) -> None:
        """Answer the next `n` requests 200 with a truncated, non-JSON body."""
        self._faults.add(Fault("malformed", n, path_prefix))

    def trickle_next(
        self, n: int = 1, seconds_per_byte: float = 0.05, *, path_prefix: str | None = None
    ) -> None:
        """Answer the next `n` requests normally, but send each body one byte at a time,
        `seconds_per_byte` apart (a VCC too slow for any per-read timeout to notice)."""
        self._faults.add(Fault("trickle", n, path_prefix, seconds=seconds_per_byte))

    def huge_next(self, n: int = 1, copies: int = 100, *, path_prefix: str | None = None) -> None:
        """Answer the next `n` list requests with the page's `items` repeated `copies` times."""
        if copies < 1:
            raise ValueError("copies must be at least 1")
        self._faults.add(Fault("huge", n, path_prefix, copies=copies))

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid (their next use gets 401 invalid_token)."""
        self._tokens.expire()

    def reset_faults(self) -> None:
        """Drop the faults not yet used."""
        self._faults.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # -- answering ---------------------------------------------------------------------------

    def _with_faults(self, path: str, answer: Callable[[], Response]) -> Response:
        """`answer()`, unless a fault for `path` answers instead, delays it or reshapes it.
        Raises `_Abort` when stopping."""
        fault = self._faults.take(path)
        if fault is not None and fault.replaces:
            return fault.answer()
        if fault is not None and fault.kind == "hang" and self._stopping.wait(fault.seconds):
            raise _Abort
        response = answer()
        return fault.reshape(response) if fault is not None else response

    def _respond(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """What the endpoint itself answers to one request (header names lower-case)."""
        if path.lower() == TOKEN_PATH.lower():
            return self._tokens.issue(body, headers) if method == "POST" else not_allowed("POST")
        route = find_route(path)
        if route is None:
            return not_found()
        if method != "GET":
            return not_allowed("GET")
        try:
            self._tokens.check(headers, route.scope)
            check_accept(headers, route.scope)
            response = route.handler(self.floor, query, self.clock.now(), route.group_id)
        except (Unauthorized, BadRequest) as exc:
            response = exc.response()
        if route.scope == "stats":
            response.headers["Cache-Control"] = _CACHE_CONTROL
        return response


class _HTTPServer(ThreadingHTTPServer):
    """Threads per connection, as daemons; tracks connections so `stop` can cut them."""

    daemon_threads = True
    # Python's default backlog of 5 drops a burst of connections (20 clients asking for a
    # token at once), and each dropped one waits a second before the kernel retries it.
    request_queue_size = 128

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open connection so idle keep-alive handlers end at once."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer is normal here; stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, lets the SimServer answer it, records it, writes the answer."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from VCC
    timeout = _IDLE_TIMEOUT_S
    # Headers and body go out in two writes; without this, Nagle and delayed ACKs add 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and the console don't want access logs on stderr

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool = True) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        sim = self.server.sim
        try:
            response = sim._with_faults(
                url.path, lambda: sim._respond(self.command, url.path, query, headers, body)
            )
        except _Abort:
            self.close_connection = True
            return
        # Recorded before it is sent, so a client that has its answer sees it recorded.
        sim._record(RecordedRequest(self.command, url.path, query, headers, response.status))
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if send_body:
            self._send_body(response)

    def _send_body(self, response: Response) -> None:
        if response.pace <= 0:
            self.wfile.write(response.body)
            return
        stopping = self.server.sim._stopping
        for at in range(len(response.body)):
            self.wfile.write(response.body[at : at + 1])  # unbuffered: each byte leaves now
            if stopping.wait(response.pace):
                self.close_connection = True
                return
