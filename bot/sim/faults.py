"""Faults scripted into the simulated VCC, so clients can be tested against a bad day.

A fault fails the next `n` requests with a status (and `Retry-After` when asked), hangs
before answering them normally, answers 200 with a truncated body, trickles the normal answer's
body a byte at a time, or answers with the normal page's items repeated (a huge page). Faults
apply in the order queued, to requests other than for a token, or to requests whose path starts
with a prefix.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final, Literal

from bot.sim.auth import TOKEN_PATH
from bot.sim.response import Response, json_response

__all__ = ["Fault", "Faults"]

_MALFORMED_BODY: Final = b'{"meta": '
_STATUSES: Final = frozenset(s.value for s in HTTPStatus)


@dataclass
class Fault:
    """One scripted fault, used up after `remaining` requests.

    `status` and `retry_after` are for "fail", `seconds` for "hang" (the wait) and "trickle"
    (between bytes), `copies` for "huge".
    """

    kind: Literal["fail", "hang", "malformed", "trickle", "huge"]
    remaining: int
    path_prefix: str | None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    copies: int = 1

    @property
    def replaces(self) -> bool:
        """Whether this fault answers instead of the endpoint ("fail", "malformed")."""
        return self.kind in ("fail", "malformed")

    def matches(self, path: str) -> bool:
        """Whether a request for `path` takes this fault."""
        if self.path_prefix is None:
            return path != TOKEN_PATH
        return path.startswith(self.path_prefix)

    def answer(self) -> Response:
        """What a "fail" or "malformed" fault answers instead (a hang answers normally, late)."""
        if self.kind == "malformed":
            return Response(200, _MALFORMED_BODY, {"Content-Type": "application/json"})
        reason = HTTPStatus(self.status).phrase if self.status in _STATUSES else "Error"
        response = json_response(self.status, {"message": reason})
        if self.retry_after is not None:
            response.headers["Retry-After"] = self.retry_after
        return response

    def reshape(self, response: Response) -> Response:
        """The endpoint's own answer as a "trickle" or "huge" fault sends it; others keep it."""
        if self.kind == "trickle":
            response.pace = self.seconds
        elif self.kind == "huge":
            return _repeat_items(response, self.copies)
        return response


def _repeat_items(response: Response, copies: int) -> Response:
    """A list answer with its `items` repeated `copies` times (`meta` as it was).

    Built from bytes, not by encoding the big list: the simulator shares the process (and the
    GIL) with the client under test, so it must not hold the interpreter for long either.
    """
    try:
        payload = json.loads(response.body)
    except ValueError:  # not a JSON answer: nothing to repeat
        return response
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return response
    one = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")[1:-1]
    shell = json.dumps({**payload, "items": []}, ensure_ascii=False, separators=(",", ":"))
    head, tail = shell.encode("utf-8").split(b'"items":[]', 1)
    body = head + b'"items":[' + b",".join([one] * copies) + b"]" + tail
    return Response(response.status, body, response.headers)


class Faults:
    """The faults not yet used, in the order queued; safe across server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue `fault` behind the others; it must be for at least one request."""
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """The first fault a request for `path` takes, counted as used once; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Drop the faults not yet used."""
        with self._lock:
            self._faults.clear()
