"""What one VCC read may take: an overall deadline, a page cap and a byte cap (`Caps`).

A read is one client call (`agent_states`, `users`, ...): all its pages, window slices and
retries. `within_deadline` ends a read at its deadline; `Budget` counts one read's pages and
bytes against the caps; `read_body` reads one answer's body, never buffering more than the byte
cap. (The rate budget shared by all reads is `bot.vcc.budget`.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import httpx

from bot.errors import VccTooLarge, VccUnavailable

__all__ = ["MIB", "Budget", "Caps", "read_body", "within_deadline"]

log = logging.getLogger("bot.vcc")

ResultT = TypeVar("ResultT")

MIB = 1024 * 1024


@dataclass(frozen=True)
class Caps:
    """Limits per read (defaults: the settings' defaults).

    Args:
        deadline: seconds one read may take in all (`AGENTSTATE_VCC_DEADLINE`).
        max_pages: pages one read may fetch (`AGENTSTATE_VCC_MAX_PAGES`).
        max_bytes: body bytes one read may take in (`AGENTSTATE_VCC_MAX_MB` MiB).
    """

    deadline: float = 30.0
    max_pages: int = 200
    max_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        if self.deadline <= 0:
            raise ValueError("deadline must be positive")
        if self.max_pages < 1 or self.max_bytes < 1:
            raise ValueError("max_pages and max_bytes must be at least 1")

    def too_many_pages(self, what: str) -> VccTooLarge:
        return VccTooLarge(
            f"VCC {what} needs more than {self.max_pages} pages in one read",
            cap="pages",
            variable="AGENTSTATE_VCC_MAX_PAGES",
            value=str(self.max_pages),
        )

    def too_many_bytes(self, what: str) -> VccTooLarge:
        return VccTooLarge(
            f"VCC {what} answered more than {self.max_bytes} bytes in one read",
            cap="bytes",
            variable="AGENTSTATE_VCC_MAX_MB",
            value=f"{self.max_bytes / MIB:g}",
        )


class Budget:
    """One read's pages and bytes so far; raises `VccTooLarge` past a cap."""

    def __init__(self, caps: Caps, what: str) -> None:
        self._caps = caps
        self._what = what
        self.pages = 0
        self.bytes = 0

    def take_page(self) -> None:
        """Count the page about to be asked for; past the cap it is not asked for at all."""
        if self.pages >= self._caps.max_pages:
            raise self._caps.too_many_pages(self._what)
        self.pages += 1

    def take_bytes(self, size: int) -> None:
        """Count a page's body."""
        self.bytes += size
        if self.bytes > self._caps.max_bytes:
            raise self._caps.too_many_bytes(self._what)


async def read_body(response: httpx.Response, caps: Caps, what: str) -> bytes:
    """The (decoded) body of a streamed answer; past `caps.max_bytes` VccTooLarge, at once
    when `Content-Length` says so, else as soon as that much has come."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > caps.max_bytes:
        raise caps.too_many_bytes(what)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > caps.max_bytes:
            raise caps.too_many_bytes(what)
        chunks.append(chunk)
    return b"".join(chunks)


async def within_deadline(read: Awaitable[ResultT], deadline: float, what: str) -> ResultT:
    """`read`'s result; past `deadline` seconds VccUnavailable, the read cancelled (and so
    its requests, and its places in the rate budget's lines)."""
    scope = asyncio.timeout(deadline)
    try:
        async with scope:
            return await read
    except TimeoutError as exc:
        if not scope.expired():
            raise
        log.warning("VCC %s passed the %g s deadline", what, deadline)
        raise VccUnavailable(f"VCC {what} did not finish within {deadline:g} s") from exc
