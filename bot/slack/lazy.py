"""The answers' queue: Bolt's lazy listeners run by a fixed set of workers, in order.

Each acked request's lazy listener (its answer) waits in one bounded queue, as does each
`Answer` the slash-command path puts there itself (bot/slack/slash.py); `workers` tasks take
them in turn. So a burst never starts more answers at once than the response_url client
has connections for (`answer_client` sizes the two together): no post waits on the pool, and
none is dropped by the pool's timeout. When the queue is full the request is told, privately,
to try again in a moment.

An answer that waited in the queue past the life of its destination (a response_url lives 30
minutes) is dropped before it is worked out: nothing could carry it to the asker.

Stopping (`drain`) runs once no request is being handled any more (aiohttp's on_cleanup; in
Socket Mode, after the socket is closed). It gives the queued and running answers up to
`grace` seconds, and takes any answer still arriving then (a Socket Mode envelope being
dispatched as the socket closed) into the queue; each that cannot finish is cancelled and its
user told to try again, one short post each, best effort. One arriving after the drain ended
is dropped without a word: its post would find the response_url client closed. Every answer
dropped is logged with why.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.settings import Settings
from bot.slack.poster import answer_session

__all__ = [
    "BUSY",
    "DRAIN_SECONDS",
    "NOTICE_SECONDS",
    "STOPPING",
    "Answer",
    "AnswerQueue",
    "Expired",
    "Tell",
    "answer_client",
    "drain",
    "notice_slots",
]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # how long a stopping server waits for answers already acked
NOTICE_SECONDS = 3.0  # then how long it spends telling the rest to try again
BUSY = "I'm busy with a lot of questions right now. Please try again in a moment."
STOPPING = "I'm restarting and couldn't finish that. Please try again in a moment."

Listener = Callable[..., Awaitable[None]]
Tell = Callable[[AsyncBoltRequest, str], Awaitable[object]]
"""Posts a short text to the asker of a request (best effort, never raises)."""
Expired = Callable[[AsyncBoltRequest], bool]
"""Whether an answer to a request could no longer reach its asker (never raises)."""


def notice_slots(workers: int) -> int:
    """How many "try again" notices may be on their way at once beside `workers` answers."""
    return max(workers, 8)


def answer_client(settings: Settings) -> aiohttp.ClientSession:
    """The one client for response_url posts (bot/slack/poster.py), its pool sized to the
    answer queue: each worker posts one answer at a time, beside at most `notice_slots`
    notices, so no post ever waits for a connection. Call it on the running loop."""
    return answer_session(settings.answer_workers + notice_slots(settings.answer_workers))


@dataclass(frozen=True)
class Answer:
    """One answer waiting its turn.

    Args:
        run: works the answer out and posts it; logs what goes wrong (never raises).
        expired: whether the answer could no longer reach its asker (never raises).
        tell: posts a short text to the asker (best effort, never raises).
    """

    run: Callable[[], Awaitable[object]]
    expired: Callable[[], bool]
    tell: Callable[[str], Awaitable[object]]


class AnswerQueue(AsyncLazyListenerRunner):
    """Bolt's lazy runner with a bounded queue and `workers` tasks, started with the first
    answer (Bolt calls `start` on the serving loop).

    Args:
        logger: Bolt's logger (a listener's exception is logged there, as Bolt does).
        tell: posts a short text to a request's asker: the busy and stopping notices.
        expired: whether a request's answer could no longer reach its asker; such an answer
            is dropped (logged) when its turn comes, before any work.
        workers: answers worked on at once.
        size: answers that may wait; one more is told to try again.
        grace: seconds a stopping server gives the answers acked (see `drain`).
    """

    def __init__(
        self,
        logger: logging.Logger,
        tell: Tell,
        *,
        expired: Expired,
        workers: int,
        size: int,
        grace: float,
    ) -> None:
        self._queue: asyncio.Queue[Answer] = asyncio.Queue(size)
        self.logger = logger
        self._tell = tell
        self._expired = expired
        self._workers = workers
        self._notice_slots = notice_slots(workers)
        self._grace = grace
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[asyncio.Task[None], Answer] = {}
        self._notices: set[asyncio.Task[None]] = set()
        self._stopping = False  # the grace is over: the workers are stopped
        self._drained = False  # the drain has ended: nothing more may be posted

    def start(self, function: Listener, request: AsyncBoltRequest) -> None:
        """Queue the answer `function` gives `request` (Bolt's lazy listener; see `put`)."""
        self.put(
            Answer(
                # Bolt's wrapper: injects the listener's arguments, logs what it raises.
                run=functools.partial(to_runnable_function, function, self.logger, request),
                expired=functools.partial(self._expired, request),
                tell=functools.partial(self._tell, request),
            )
        )

    def put(self, answer: Answer) -> None:
        """Queue `answer` (during the drain's grace too); or, when the queue is full or the
        grace is over, tell the asker to try again."""
        if self._drained:
            log.warning("an answer arrived after the drain ended; dropped without a word")
            return
        if self._stopping:
            log.warning("an answer arrived while stopping; told to try again")
            self._notify(answer, STOPPING)
            return
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(), name=f"answer-worker-{n}")
                for n in range(self._workers)
            ]
        try:
            self._queue.put_nowait(answer)
        except asyncio.QueueFull:
            log.warning("answer queue full (%d waiting); told to try again", self._queue.qsize())
            self._notify(answer, BUSY)

    async def _work(self) -> None:
        """Answer queued requests, one at a time, until cancelled."""
        while True:
            job = await self._queue.get()
            me = asyncio.current_task()
            assert me is not None
            self._running[me] = job
            try:
                if job.expired():
                    log.warning("an answer waited past the life of its response_url; dropped")
                else:
                    await job.run()
            except Exception:  # a worker outlives any one answer
                log.exception("an answer failed")
            finally:
                del self._running[me]
                self._queue.task_done()

    def _notify(self, answer: Answer, text: str) -> None:
        """Post `text` to the asker in the background; at most `notice_slots` at once, as the
        response_url pool has room for (more are logged and dropped)."""
        if len(self._notices) >= self._notice_slots:
            log.warning(
                "an answer was dropped without a word: %d notices already on their way",
                len(self._notices),
            )
            return
        task = asyncio.create_task(self._say(answer, text))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    @staticmethod
    async def _say(answer: Answer, text: str) -> None:
        try:
            await answer.tell(text)
        except Exception:  # a notice is best effort; nothing may escape a background task
            log.exception("could not tell an asker to try again")

    async def drain(self) -> None:
        """Give the answers queued and running (and any still arriving) up to `grace`
        seconds; then stop taking answers, cancel the rest and tell each asker to try again
        (within NOTICE_SECONDS).

        Cancelled itself (a second SIGTERM), it cancels every answer at once, logs how many
        were dropped, and tells nobody.
        """
        pending = len(self._running) + self._queue.qsize()
        if pending:
            log.info("stopping: finishing %d answer(s) (up to %.0f s)", pending, self._grace)
        try:
            await asyncio.wait_for(self._queue.join(), self._grace)
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            self._drained = True
            late = await self._stop()
            if late:
                log.warning("stop forced: %d answer(s) dropped without a word", len(late))
            raise
        late = await self._stop()
        if late:
            log.warning(
                "stopping: %d answer(s) could not finish in %.0f s; telling each to try again",
                len(late),
                self._grace,
            )
            await self._tell_all(late)
        while self._notices:  # a notice started while these were awaited is awaited too
            await asyncio.gather(*self._notices, return_exceptions=True)
        self._drained = True

    async def _stop(self) -> list[Answer]:
        """Stop taking answers and cancel the workers; the jobs they were running and those
        still queued."""
        self._stopping = True
        late = list(self._running.values())
        while not self._queue.empty():
            late.append(self._queue.get_nowait())
            self._queue.task_done()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        return late

    async def _tell_all(self, late: list[Answer]) -> None:
        """Tell each asker of `late` to try again: `notice_slots` posts at once (the workers
        are stopped), NOTICE_SECONDS in all; whoever is left then is logged."""
        gate = asyncio.Semaphore(self._notice_slots)
        told = 0

        async def one(job: Answer) -> None:
            nonlocal told
            async with gate:
                await self._say(job, STOPPING)
                told += 1

        try:
            await asyncio.wait_for(asyncio.gather(*(one(job) for job in late)), NOTICE_SECONDS)
        except TimeoutError:
            log.warning("stopping: %d asker(s) not told to try again in time", len(late) - told)


async def drain(bolt: AsyncApp) -> None:
    """Finish the answers `bolt` already acked (see `AnswerQueue.drain`)."""
    runner = bolt.listener_runner.lazy_listener_runner
    if isinstance(runner, AnswerQueue):
        await runner.drain()
