"""What the simulated VCC answers with: a status, a body and headers.

Bodies are JSON written as VCC writes it (compact, UTF-8, non-ASCII as is); the plain answers
every endpoint shares (404, 405) are here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["Response", "json_response", "not_allowed", "not_found"]

_NOT_FOUND: Final = {"message": "Not Found"}


@dataclass
class Response:
    """One answer; the server adds `Content-Length` when it sends it.

    `pace` > 0 sends the body one byte at a time, that many seconds apart (a trickling VCC).
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    pace: float = 0.0


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None, *, items_json: str = ""
) -> Response:
    """`payload` as a JSON answer; `headers` are added to its `Content-Type`.

    `items_json`, JSON text already written (rows, without the brackets), goes into the empty
    `items` list of `payload`.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if items_json:
        head, tail = text.split('"items":[]', 1)
        text = f'{head}"items":[{items_json}]{tail}'
    body = text.encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def not_found() -> Response:
    """404 `{"message": "Not Found"}`."""
    return json_response(404, _NOT_FOUND)


def not_allowed(allowed: str) -> Response:
    """405, naming the one method the path takes."""
    return json_response(405, {"message": "Method Not Allowed"}, {"Allow": allowed})
