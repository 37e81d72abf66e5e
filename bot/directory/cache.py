"""The directory, loaded once and again after a while; a failed reload keeps the old one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.directory.model import Directory
from bot.errors import AgentstateError

__all__ = ["DirectoryCache"]

log = logging.getLogger(__name__)


class DirectoryCache:
    """Loads the directory once, then again after `ttl`; a failed reload keeps the old one."""

    def __init__(
        self, load: Callable[[], Awaitable[Directory]], clock: Clock, ttl: timedelta
    ) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._value: Directory | None = None
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Directory:
        if self._fresh():
            assert self._value is not None
            return self._value
        async with self._lock:
            if self._fresh():
                assert self._value is not None
                return self._value
            try:
                self._value = await self._load()
            except AgentstateError:
                if self._value is None:
                    raise
                log.warning(
                    "directory reload failed; keeping the one loaded at %s", self._loaded_at
                )
            self._loaded_at = self._clock.now()
            return self._value

    def _fresh(self) -> bool:
        return (
            self._value is not None
            and self._loaded_at is not None
            and self._clock.now() - self._loaded_at < self._ttl
        )
