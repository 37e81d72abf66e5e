"""Bolt's asyncio lazy runner, keeping its tasks so a stopping server can finish them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

__all__ = ["DRAIN_SECONDS", "TrackedLazyRunner", "drain"]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # how long a stopping server waits for answers already being worked on


class TrackedLazyRunner(AsyncioLazyListenerRunner):
    """Bolt's asyncio lazy runner, keeping each task so none is garbage-collected mid-answer
    and a stopping server can wait for the answers it already acked."""

    def __init__(self, logger: logging.Logger, grace: float) -> None:
        super().__init__(logger)
        self._grace = grace
        self._tasks: set[asyncio.Future[None]] = set()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        # What the parent's start() does (its run() is broken: it calls the coroutine).
        runnable = to_runnable_function(internal_func=function, logger=self.logger, request=request)
        task: asyncio.Future[None] = asyncio.ensure_future(runnable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait up to `grace` seconds for running answers; cancel what is left."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=self._grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("stopped with %d answer(s) unfinished", len(late))


async def drain(bolt: AsyncApp) -> None:
    """Finish the answers `bolt` already acked (see `TrackedLazyRunner.drain`)."""
    runner = bolt.listener_runner.lazy_listener_runner
    if isinstance(runner, TrackedLazyRunner):
        await runner.drain()
