"""The peer for bench/slack.py: a bare Bolt app, served as the bot is (Bolt's AsyncApp in one
aiohttp application), acking `/agentstate` and answering lazily with Bolt's own `respond()`.

    PORT=3001 SLACK_SIGNING_SECRET=... python -m bench.bare_bolt

Bolt's defaults throughout (its lazy listeners are unbounded, its ack polled every 10 ms); no
Web API call (a static `authorize`), so only the ack and the response_url post are measured.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond


async def _authorize(**kwargs: Any) -> AuthorizeResult:
    token = "xoxb-bench"  # noqa: S105 - a placeholder: the bare app never calls the Web API
    return AuthorizeResult(enterprise_id=None, team_id=kwargs.get("team_id"), bot_token=token)


def build() -> web.Application:
    """The bare Bolt app in an aiohttp application: POST /slack/events, GET /healthz."""
    bolt = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], authorize=_authorize)

    async def ack(ack: AsyncAck) -> None:
        await ack()

    async def answer(respond: AsyncRespond) -> None:
        await respond(text="ok")

    bolt.command("/agentstate")(ack=ack, lazy=[answer])

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application()
    web_app.add_routes([web.post("/slack/events", events), web.get("/healthz", healthz)])
    return web_app


async def main() -> None:
    runner = web.AppRunner(build())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
