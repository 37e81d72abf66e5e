"""Everything a front door needs, built once from Settings: the source, directory and Query.

Without VCC credentials the simulated contact center is started on loopback and the VCC
client talks to it over real HTTP, exactly as it would to VCC.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.clock import Clock, SystemClock
from bot.directory import Directory, DirectoryCache, load_directory_file, load_directory_vcc
from bot.query.logic import Thresholds
from bot.query.service import Policy, Query
from bot.settings import Settings
from bot.vcc.client import VccClient, build_vcc_client
from bot.vcc.retry import RetryPolicy

if TYPE_CHECKING:
    from bot.sim.server import SimServer

__all__ = ["Runtime", "open_runtime"]

log = logging.getLogger(__name__)

# A supervisor is waiting: give up sooner than a background poller would. At most 3 tries,
# waiting at most 10 s for a Retry-After; then "VCC isn't answering, try again in a minute".
INTERACTIVE_RETRIES = RetryPolicy(max_attempts=3, cap=4.0, max_retry_after=10.0)


@dataclass(frozen=True)
class Runtime:
    """The built bot: the query module, whether it runs on the simulator, and the floor zone."""

    query: Query
    simulated: bool
    zone: ZoneInfo
    sim: SimServer | None = None  # the simulated contact center, when it is the source


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


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """Build the runtime; on exit close the VCC client and stop the simulator if started."""
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        sim: SimServer | None = None
        if settings.simulated:
            from bot.sim.floor import Floor, FloorConfig  # only the simulated bot needs these
            from bot.sim.server import SimServer

            floor = Floor(
                FloorConfig(
                    seed=settings.sim_seed, agents=settings.sim_agents, timezone=settings.timezone
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
        client: VccClient = build_vcc_client(
            base_url=base_url,
            token_url=token_url,
            client_id=client_id,
            client_secret=secret,
            clock=clock,
            timeout=settings.vcc_timeout,
            policy=INTERACTIVE_RETRIES,
        )
        stack.push_async_callback(client.aclose)
        if settings.directory is not None:
            fixed = load_directory_file(settings.directory)  # read now: a bad file fails at start

            async def load() -> Directory:
                return fixed
        else:

            async def load() -> Directory:
                return await load_directory_vcc(client)

        cache = DirectoryCache(load, clock, timedelta(minutes=settings.directory_ttl_minutes))
        query = Query(client, cache.get, clock, _policy(settings))
        yield Runtime(query, settings.simulated, settings.zone, sim)
