"""The simulated contact center: a real HTTP server on loopback speaking VCC's wire format.

It serves the token endpoint, the Stats endpoints the bot reads (`/stats/wfm/agent-states`,
`/stats/agent-status`) and the User Admin endpoints for names and teams, validating requests
as shared/vcc/API.md describes. Faults (5xx, 429, hangs, malformed bodies, expired tokens) can
be scripted, and every request is recorded, so clients can be tested against it.

It runs `http.server` in daemon threads: no event loop of its own, so sync code, async tests
and the console can all use it.

    with SimServer(Floor(FloorConfig(), clock)) as sim:
        httpx.get(sim.base_url + "/stats/agent-status", ...)
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal, cast
from urllib.parse import parse_qsl, urlsplit

from bot.clock import Clock
from bot.sim.floor import INCLUDE_VALUES, Floor, Include, SimAgent
from bot.vcc.models import format_time

__all__ = ["RecordedRequest", "SimServer"]

TOKEN_PATH: Final = "/Auth/connect/token"  # noqa: S105 - a URL path, not a password
_SCOPES: Final = ("stats", "users:read")
_STATS_ACCEPT: Final = ("2", "3")
_USERADMIN_ACCEPT: Final = ("4",)
_ACCEPT_VERSION: Final = re.compile(r"application/vnd\.newvoicemedia\.v(\d+)\+json", re.IGNORECASE)
_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE,
)
_GROUP_USERS: Final = re.compile(r"/useradmin/groups/([^/]+)/users")
_MAX_WINDOW: Final = timedelta(days=31)
_MAX_LIMIT: Final = 5000
_DEFAULT_LIMIT: Final = 25
_MAX_PAGE: Final = 1_000_000_000
_CACHE_CONTROL: Final = "max-age=5, must-revalidate, private"
_MALFORMED_BODY: Final = b'{"meta": '
_IDLE_TIMEOUT_S: Final = 30.0

_MISSING_TOKEN: Final = {
    "error_description": "The access token is missing",
    "error": "invalid_request",
}
_INVALID_TOKEN: Final = {
    "error_description": "The access token is invalid or has expired",
    "error": "invalid_token",
}
_NOT_FOUND: Final = {"message": "Not Found"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server answered. Header names are lower-case; `status` is what it sent."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    status: int


@dataclass
class _Fault:
    kind: Literal["fail", "hang", "malformed"]
    remaining: int
    path_prefix: str | None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        if self.path_prefix is None:
            return path != TOKEN_PATH
        return path.startswith(self.path_prefix)


@dataclass(frozen=True)
class _Token:
    scope: str
    expires_at: datetime


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Abort(Exception):
    """The server is stopping: drop the connection without answering."""


class _BadRequest(Exception):
    """A 400 with this JSON body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body


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
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_ttl = token_ttl
        self.clock = clock or floor.clock
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._tokens: dict[str, _Token] = {}
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

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
        self._queue(_Fault("fail", n, path_prefix, status=status, retry_after=retry_after))

    def hang_next(
        self, n: int = 1, seconds: float = 5.0, *, path_prefix: str | None = None
    ) -> None:
        """Wait `seconds` before answering the next `n` requests normally."""
        self._queue(_Fault("hang", n, path_prefix, seconds=seconds))

    def malformed_next(self, n: int = 1, *, path_prefix: str | None = None) -> None:
        """Answer the next `n` requests 200 with a truncated, non-JSON body."""
        self._queue(_Fault("malformed", n, path_prefix))

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid (their next use gets 401 invalid_token)."""
        with self._lock:
            self._tokens.clear()

    def reset_faults(self) -> None:
        """Drop the faults not yet used."""
        with self._lock:
            self._faults.clear()

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # -- answering ---------------------------------------------------------------------------

    def _respond(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Response:
        """The answer to one request (header names lower-case). Raises `_Abort` when stopping."""
        fault = self._take_fault(path)
        if fault is not None and fault.kind == "fail":
            reason = HTTPStatus(fault.status).phrase if fault.status in _STATUSES else "Error"
            response = _json(fault.status, {"message": reason})
            if fault.retry_after is not None:
                response.headers["Retry-After"] = fault.retry_after
            return response
        if fault is not None and fault.kind == "malformed":
            return _Response(200, _MALFORMED_BODY, {"Content-Type": "application/json"})
        if fault is not None and fault.kind == "hang" and self._stopping.wait(fault.seconds):
            raise _Abort
        if path.lower() == TOKEN_PATH.lower():
            return self._token(body, headers) if method == "POST" else _not_allowed("POST")
        route = self._route(path)
        if route is None:
            return _json(404, _NOT_FOUND)
        if method != "GET":
            return _not_allowed("GET")
        handler, scope, group_id = route
        stats = scope == "stats"
        try:
            self._authorize(headers, scope)
            if stats:
                _check_accept(headers, _STATS_ACCEPT, "Invalid Accept header!")
            else:
                _check_accept(headers, _USERADMIN_ACCEPT, "Version missing from Accept header!")
            response = handler(query, group_id)
        except _Unauthorized as exc:
            response = _json(401, exc.body)
            if "error" in exc.body:
                response.headers["WWW-Authenticate"] = f'Bearer error="{exc.body["error"]}"'
        except _BadRequest as exc:
            response = _json(400, exc.body)
        if stats:
            response.headers["Cache-Control"] = _CACHE_CONTROL
        return response

    def _route(
        self, path: str
    ) -> tuple[Callable[[Mapping[str, str], str], _Response], str, str] | None:
        """(handler, scope, group id) for a GET path, or None if there is no such endpoint."""
        fixed: dict[str, tuple[Callable[[Mapping[str, str], str], _Response], str]] = {
            "/stats/wfm/agent-states": (self._agent_states, "stats"),
            "/stats/agent-status": (self._agent_status, "stats"),
            "/useradmin/users": (self._users, "users:read"),
            "/useradmin/groups": (self._groups, "users:read"),
        }
        if path in fixed:
            handler, scope = fixed[path]
            return handler, scope, ""
        match = _GROUP_USERS.fullmatch(path)
        if match:
            return self._group_users, "users:read", match.group(1)
        return None

    def _token(self, body: bytes, headers: Mapping[str, str]) -> _Response:
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
        expires_at = self.clock.now() + timedelta(seconds=self.token_ttl)
        with self._lock:
            self._tokens[token] = _Token(scope, expires_at)
        payload = {
            "access_token": token,
            "expires_in": self.token_ttl,
            "token_type": "Bearer",
            "scope": scope,
        }
        return _json(200, payload, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _authorize(self, headers: Mapping[str, str], scope: str) -> None:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Unauthorized(_MISSING_TOKEN)
        with self._lock:
            issued = self._tokens.get(token.strip())
        if issued is None or self.clock.now() >= issued.expires_at:
            raise _Unauthorized(_INVALID_TOKEN)
        if issued.scope != scope:
            raise _Unauthorized({"message": "Unauthorized"})

    # -- endpoints ---------------------------------------------------------------------------

    def _agent_states(self, query: Mapping[str, str], _: str) -> _Response:
        now = self.clock.now()
        if not query.get("start"):
            raise _BadRequest({"message": '"start" is required'})
        start = _parse_time(query, "start")
        end = _parse_time(query, "end") if query.get("end") else now
        if end < start:
            raise _BadRequest({"message": '"end" must not be before "start"'})
        if end - start > _MAX_WINDOW:
            raise _BadRequest({"message": "Request window size limit exceeded 31 days"})
        include = query.get("include") or "Started"
        if include not in INCLUDE_VALUES:
            valid = ", ".join(INCLUDE_VALUES)
            raise _BadRequest({"message": f'"include" must be one of [{valid}]'})
        page, limit = _paging(query)
        agent_id = query.get("agentId") or None
        selection = self.floor.select(start, end, cast("Include", include), agent_id, now=now)
        offset = (page - 1) * limit
        items = selection.wire(now, offset, offset + limit)
        return _json(200, _envelope(page, limit, len(selection), items, now))

    def _agent_status(self, query: Mapping[str, str], _: str) -> _Response:
        now = self.clock.now()
        page, limit = _paging(query)
        items = self.floor.status(now, offset=(page - 1) * limit, limit=limit)
        return _json(200, _envelope(page, limit, len(self.floor.agents), items, now))

    def _users(self, query: Mapping[str, str], _: str) -> _Response:
        include = query.get("include") or "Active"
        if include not in ("Active", "Archived", "All"):
            raise _BadRequest({"message": '"include" must be one of [Active, Archived, All]'})
        page, limit = _paging(query)
        # Every simulated user is active; none is archived.
        agents = [] if include == "Archived" else self.floor.agents
        now = self.clock.now()
        chosen = agents[(page - 1) * limit : page * limit]
        return _json(200, {"users": [self._user(a, now) for a in chosen]})

    def _groups(self, query: Mapping[str, str], _: str) -> _Response:
        page, limit = _paging(query)
        teams = self.floor.teams
        groups = [
            {
                "groupId": t.team_id,
                "groupName": t.name,
                "groupMaxUnexpectedTime": t.max_unexpected_time,
                "groupMaxWrapUpTime": t.max_wrap_up_time,
                "groupDisplayId": t.display_id,
            }
            for t in teams[(page - 1) * limit : page * limit]
        ]
        return _json(200, {"meta": _meta(page, limit, len(teams), len(groups)), "groups": groups})

    def _group_users(self, query: Mapping[str, str], group_id: str) -> _Response:
        if self.floor.team(group_id) is None:
            return _json(404, _NOT_FOUND)
        page, limit = _paging(query)
        members = self.floor.members(group_id)
        users = [
            {"userId": a.user_id, "agentDisplayId": a.agent_id, "name": a.name}
            for a in members[(page - 1) * limit : page * limit]
        ]
        meta = _meta(page, limit, len(members), len(users))
        return _json(200, {"meta": meta, "groupId": group_id, "users": users})

    def _user(self, agent: SimAgent, now: datetime) -> dict[str, Any]:
        last_login = self.floor.last_login(agent.agent_id, now)
        initials = "".join(word[0] for word in agent.email.split("@")[0].split(".")).upper()
        return {
            "userId": agent.user_id,
            "username": agent.email,
            "name": agent.name,
            "email": agent.email,
            "lastLoginTime": None if last_login is None else format_time(last_login),
            "active": True,
            "locked": False,
            "ssoExternalId": f"{initials}-{agent.agent_id}",
            "userAccountConfiguration": {
                "role": "Agent",
                "chargeable": True,
                "actAsAgent": True,
                "agentConfiguration": {
                    "agentDisplayId": agent.agent_id,
                    "webrtc": True,
                    "handleMultipleInteractions": False,
                    "location": "GB",
                    "capacity": {
                        "isAgentLevel": False,
                        "live": 100,
                        "nonLive": 100,
                        "semiLive": 100,
                    },
                    "associatedUsers": [],
                },
            },
        }


class _Unauthorized(Exception):
    """A 401 with this JSON body."""

    def __init__(self, body: Mapping[str, str]) -> None:
        super().__init__(str(body))
        self.body = body


_STATUSES: Final = frozenset(s.value for s in HTTPStatus)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def _oauth_error(error: str) -> _Response:
    return _json(400, {"error": error}, {"Cache-Control": "no-store"})


def _not_allowed(allowed: str) -> _Response:
    return _json(405, {"message": "Method Not Allowed"}, {"Allow": allowed})


def _check_accept(headers: Mapping[str, str], versions: tuple[str, ...], missing: str) -> None:
    match = _ACCEPT_VERSION.search(headers.get("accept", ""))
    if match is None:
        raise _BadRequest({"statusCode": 400, "error": "Bad Request", "message": missing})
    if match.group(1) not in versions:
        message = f"Invalid api-version! Valid values: {','.join(versions)}"
        raise _BadRequest({"statusCode": 400, "error": "Bad Request", "message": message})


def _parse_time(query: Mapping[str, str], name: str) -> datetime:
    """An ISO 8601 time with `Z` or an offset; 1-6 fractional digits or none."""
    text = query[name].strip()
    if _TIME.fullmatch(text) is not None:
        fraction = text.find(".")
        if fraction != -1:
            # fromisoformat in 3.11 wants 3 or 6 digits; pad what VCC would accept.
            tail = re.search(r"[Zz+-]", text[fraction:])
            assert tail is not None  # the pattern guarantees a zone
            digits = text[fraction + 1 : fraction + tail.start()]
            text = text[: fraction + 1] + digits.ljust(6, "0") + text[fraction + tail.start() :]
        try:
            return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            pass  # e.g. month 13: reported below like any malformed time
    raise _BadRequest({"message": f'"{name}" must be a valid ISO 8601 date-time'})


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    return (
        _number(query, "page", 1, 1, _MAX_PAGE),
        _number(query, "limit", _DEFAULT_LIMIT, 1, _MAX_LIMIT),
    )


def _number(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise _BadRequest({"message": f'"{name}" must be a number from {low} to {high}'})
    return int(text)


def _meta(page: int, limit: int, total: int, count: int) -> dict[str, int]:
    return {"page": page, "count": count, "pageCount": -(-total // limit), "totalCount": total}


def _envelope(
    page: int, limit: int, total: int, items: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    return {"meta": _meta(page, limit, total, len(items)), "items": items, "upTo": format_time(now)}


class _HTTPServer(ThreadingHTTPServer):
    """Threads per connection, as daemons; tracks connections so `stop` can cut them."""

    daemon_threads = True

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
            response = sim._respond(self.command, url.path, query, headers, body)
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
            self.wfile.write(response.body)
