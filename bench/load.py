"""The load for bench/slack.py, in a process of its own: signed `/agentstate` commands sent to
one target, and how long each waited for its ack.

    python -m bench.load '<json spec>'     prints one JSON line: the ack times and elapsed time

The spec (bench/slack.py writes it): `url` (the target's /slack/events), `secret` (the signing
secret), `mix` (command texts, sent in turn), `total`, `tag` (names this run's response_urls,
`{recorder}/commands/T1/{tag}/{n}/x`, so the recorder can tell its answers apart), `recorder`
(the response_urls' origin), and either `in_flight` (a burst: that many awaiting their ack,
each ack sending the next) or `rate` (open loop: one command every 1/rate seconds, whatever
the acks do, as Slack sends them).

Every body is built and signed before the clock starts, so this process spends the run on
the wire alone; aiohttp's client is the lighter of the two at hand.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

from tests.support.slack import Signer, command_body

Request = tuple[str, dict[str, str]]


def response_path(tag: str, n: int) -> str:
    """The path of the response_url carried by command `n` of run `tag`."""
    return f"/commands/T1/{tag}/{n}/x"


def _requests(spec: dict[str, Any]) -> list[Request]:
    signer, mix = Signer(spec["secret"]), spec["mix"]
    requests = []
    for n in range(spec["total"]):
        url = spec["recorder"] + response_path(spec["tag"], n)
        body = command_body(mix[n % len(mix)], response_url=url)
        requests.append((body, signer.headers(body)))
    return requests


async def _send(http: aiohttp.ClientSession, url: str, request: Request) -> tuple[float, int]:
    """POST one signed command; (ms to the ack, HTTP status)."""
    body, headers = request
    started = time.perf_counter()
    async with http.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        return (time.perf_counter() - started) * 1000, response.status


async def _burst(
    http: aiohttp.ClientSession, url: str, requests: list[Request], in_flight: int
) -> list[tuple[float, int]]:
    pending = iter(requests)

    async def sender() -> list[tuple[float, int]]:
        return [await _send(http, url, request) for request in pending]

    results = await asyncio.gather(*(sender() for _ in range(in_flight)))
    return [r for one in results for r in one]


async def _open_loop(
    http: aiohttp.ClientSession, url: str, requests: list[Request], rate: float
) -> list[tuple[float, int]]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for n, request in enumerate(requests):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(http, url, request)))
    return await asyncio.gather(*tasks)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Send the spec's commands; the ack times (ms, in order sent), statuses and elapsed s."""
    requests = _requests(spec)
    in_flight = spec.get("in_flight")
    connector = aiohttp.TCPConnector(limit=in_flight or 0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        if in_flight:
            results = await _burst(http, spec["url"], requests, in_flight)
        else:
            results = await _open_loop(http, spec["url"], requests, spec["rate"])
        elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for _, status in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"acks_ms": [ms for ms, _ in results], "statuses": statuses, "elapsed": elapsed}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))), flush=True)
