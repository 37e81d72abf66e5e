"""Composition root: `open_app(settings, clock, ...)` builds everything once; `App.run` runs a
front door (the console or Slack) with the services beside it in one TaskGroup.

Without VCC credentials the simulated contact center is started on loopback and the VCC
client talks to it over real HTTP, exactly as it would to VCC. Everything that touches the
outside world is built here and only here: the VCC client (its sleep and transport
injectable), the one Slack Web API client (its retry handlers decided here), the directory
cache, the state source and the renderers.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr

from bot.clock import Clock
from bot.directory import Directory, DirectoryCache, load_directory_file, load_directory_vcc
from bot.errors import ConfigError
from bot.floor import FloorModel, FloorSource, Poller, model_origin
from bot.format import BlockRenderer, TextRenderer
from bot.query.flags import Thresholds
from bot.query.service import Policy, Query
from bot.settings import Settings
from bot.vcc.client import VccClient, build_vcc_client
from bot.vcc.retry import RetryPolicy

if TYPE_CHECKING:
    from slack_sdk.http_retry.async_handler import AsyncRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.sim.server import SimServer

__all__ = ["INTERACTIVE_RETRIES", "App", "Service", "open_app", "slack_client"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

# A supervisor is waiting: give up sooner than a background poller would. At most 3 tries,
# waiting at most 10 s for a Retry-After; then "VCC isn't answering, try again in a minute".
INTERACTIVE_RETRIES = RetryPolicy(max_attempts=3, cap=4.0, max_retry_after=10.0)


class Service(Protocol):
    """Something that runs beside the front door for the life of the process (a poller, a
    scheduler, an alert runner). `run` returns only when cancelled."""

    name: str

    async def run(self) -> None: ...


@dataclass(frozen=True)
class App:
    """The built bot: what answers, how answers look, and what runs beside the front door."""

    settings: Settings
    query: Query
    blocks: BlockRenderer
    text: TextRenderer
    simulated: bool
    slack: AsyncWebClient | None = None  # the one Web API client, when Slack is configured
    services: tuple[Service, ...] = ()
    sim: SimServer | None = None  # the simulated contact center, when it is the source
    floor: FloorSource | None = None  # the live floor model the answers come from

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    async def run(self, front_door: Callable[[], Awaitable[int]]) -> int:
        """Run `front_door` with every service beside it; when it returns, stop them.

        A service that fails takes the front door down with it (the TaskGroup cancels it)
        rather than leaving the bot answering from a floor nobody keeps up to date. A bad
        setting found on the way (PORT taken, a refused token) comes out as the ConfigError
        itself, not in the TaskGroup's ExceptionGroup, so `__main__` prints one line.
        """
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(s.run(), name=s.name) for s in self.services]
                try:
                    return await front_door()
                finally:
                    for task in tasks:
                        task.cancel()
        except BaseExceptionGroup as failed:
            bad = [e for e in failed.exceptions if isinstance(e, ConfigError)]
            if bad:
                raise bad[0] from None
            raise


def _policy(settings: Settings) -> Policy:
    return Policy(
        zone=settings.zone,
        thresholds=Thresholds(
            away=settings.away_flag,
            wrap=settings.wrap_flag,
            stale=timedelta(seconds=settings.stale_seconds),
        ),
        history_days=settings.history_days,
    )


def slack_client(
    settings: Settings, retry_handlers: Sequence[AsyncRetryHandler] | None = None
) -> AsyncWebClient | None:
    """The one Slack Web API client, or None without a bot token.

    Retries are decided here: a dropped connection once, and a 429 after its Retry-After.
    """
    if settings.slack_bot_token is None:
        return None
    # Imported here: the console never talks to Slack, and aiohttp costs a fifth of a second.
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
    )
    from slack_sdk.web.async_client import AsyncWebClient

    handlers = (
        list(retry_handlers)
        if retry_handlers is not None
        else [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ]
    )
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url.rstrip("/") + "/",
        retry_handlers=handlers,
    )


async def _start_vcc(
    settings: Settings,
    clock: Clock,
    stack: AsyncExitStack,
    *,
    sleep: Sleep,
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[VccClient, SimServer | None]:
    sim: SimServer | None = None
    if settings.simulated:
        # Only the simulated bot needs these.
        from bot.sim import Floor, FloorConfig, SimServer
        from bot.sim.floor import teams_for

        floor = Floor(
            FloorConfig(
                seed=settings.sim_seed,
                agents=settings.sim_agents,
                teams=teams_for(settings.sim_agents),
                timezone=settings.timezone,
                shifts=settings.sim_shifts,
            ),
            clock,
        )
        client_id, secret = "agentstate-sim", SecretStr(secrets.token_urlsafe(16))
        sim = stack.enter_context(
            SimServer(floor, client_id=client_id, client_secret=secret.get_secret_value())
        )
        log.info("No VCC credentials: using the simulated contact center at %s", sim.base_url)
        base_url, token_url = sim.base_url, sim.token_url
    else:
        assert settings.vcc_client_id is not None
        assert settings.vcc_client_secret is not None
        base_url, token_url = settings.stats_base_url, settings.token_url
        client_id, secret = settings.vcc_client_id, settings.vcc_client_secret
    client = build_vcc_client(
        base_url=base_url,
        token_url=token_url,
        client_id=client_id,
        client_secret=secret,
        clock=clock,
        timeout=settings.vcc_timeout,
        policy=INTERACTIVE_RETRIES,
        sleep=sleep,
        transport=transport,
        deadline=settings.vcc_deadline,
        max_pages=settings.vcc_max_pages,
        max_bytes=settings.vcc_max_bytes,
        # The simulator has no fair-use limit: budgeted only when AGENTSTATE_VCC_RATE is set.
        rate=(
            None
            if settings.simulated and "vcc_rate" not in settings.model_fields_set
            else settings.vcc_rate
        ),
    )
    stack.push_async_callback(client.aclose)
    return client, sim


def _directory_loader(settings: Settings, client: VccClient) -> Callable[[], Awaitable[Directory]]:
    if settings.directory is not None:
        fixed = load_directory_file(settings.directory)  # read now: a bad file fails at start

        async def from_file() -> Directory:
            return fixed

        return from_file

    async def from_vcc() -> Directory:
        return await load_directory_vcc(client)

    return from_vcc


@contextmanager
def _collect_less_often() -> Iterator[None]:
    """Python's cyclic collector, tuned for a long-lived process holding a floor in memory.

    Its defaults (a young collection every 700 new objects, a full one every 100 young) suit
    small heaps: reading a 5,000-agent day makes ~10^6 short-lived row objects, and the full
    collections they set off walked every long-lived object, most of the catch-up's and the
    poll cycle's CPU at 20,000 agents (bench/README Performance). Our objects rarely form
    cycles (refcounting frees them), so collecting 70x less often costs little memory. The
    old thresholds come back when the app closes (tests build many apps in one process).
    """
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@asynccontextmanager
async def open_app(
    settings: Settings,
    clock: Clock,
    *,
    sleep: Sleep = asyncio.sleep,
    transport: httpx.AsyncBaseTransport | None = None,
    slack_retry_handlers: Sequence[AsyncRetryHandler] | None = None,
) -> AsyncIterator[App]:
    """Build the bot once; on exit close the VCC client and stop the simulator if started.

    Args:
        settings: every setting, built once.
        clock: "now" for everything.
        sleep: how retries wait (tests pass one that records and returns at once).
        transport: the VCC client's HTTP transport (default: the network).
        slack_retry_handlers: the Slack Web API client's retry handlers (default: see
            `slack_client`).
    """
    async with AsyncExitStack() as stack:
        stack.enter_context(_collect_less_often())
        client, sim = await _start_vcc(settings, clock, stack, sleep=sleep, transport=transport)
        cache = DirectoryCache(
            _directory_loader(settings, client),
            clock,
            timedelta(minutes=settings.directory_ttl_minutes),
        )
        # The poller may wait: its reads go after any supervisor's, with patient retries.
        poller = Poller(
            client.background(),
            FloorModel(model_origin(clock.now(), settings.zone)),
            clock,
            zone=settings.zone,
            interval=settings.poll_seconds,
        )
        source = FloorSource(poller, client)
        query = Query(source, cache.get, clock, _policy(settings))
        yield App(
            settings=settings,
            query=query,
            blocks=BlockRenderer(settings.zone, simulated=settings.simulated),
            text=TextRenderer(settings.zone, simulated=settings.simulated),
            simulated=settings.simulated,
            slack=slack_client(settings, slack_retry_handlers),
            services=(poller,),
            sim=sim,
            floor=source,
        )
