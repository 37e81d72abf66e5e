"""Composition root: build everything from Settings, then serve Slack or run the console.

    python -m bot        Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN) when SLACK_BOT_TOKEN
                         is set; otherwise the local console. Without VCC credentials, both run on
                         the simulated contact center, and say so.
Exit codes: 0 normal end, 2 bad configuration (one line on stderr naming the variable).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.clock import SystemClock
from bot.errors import ConfigError
from bot.runtime import open_runtime
from bot.settings import Settings, load_settings

__all__ = ["main"]

log = logging.getLogger("bot")


async def _serve(settings: Settings) -> int:
    async with open_runtime(settings, SystemClock()) as runtime:
        if not settings.slack_enabled:
            from bot.console import run_console

            return await run_console(runtime)
        from bot.slack_app import serve

        if runtime.simulated:
            log.warning("No VCC credentials: Slack is answering from the SIMULATED contact center")
        # SIGTERM (docker stop, a deploy) cancels serving like Ctrl-C does, so answers already
        # acknowledged are still delivered before the process ends.
        serving = asyncio.ensure_future(serve(runtime, settings))
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, serving.cancel)
        try:
            await serving
        except asyncio.CancelledError:
            log.info("stopped")
        return 0


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"agentstate: bad setting {exc.variable}: {exc.problem}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The console's own output is the answer; keep library chatter out of it.
    if not settings.slack_enabled:
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    try:
        return asyncio.run(_serve(settings))
    except ConfigError as exc:
        print(f"agentstate: bad setting {exc.variable}: {exc.problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
