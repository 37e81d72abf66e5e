"""Process life: settings, logging, exit codes, SIGTERM; then the console or Slack.

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

from bot.app import App, open_app
from bot.clock import SystemClock
from bot.errors import ConfigError
from bot.settings import Settings, load_settings

__all__ = ["main"]

log = logging.getLogger("bot")


def _stop_on_sigterm(serving: asyncio.Future[None]) -> None:
    """SIGTERM (docker stop, a deploy) cancels `serving` as Ctrl-C does, so the answers already
    acked are still finished first; a second SIGTERM cuts that short, and the log says so."""
    received = 0

    def on_sigterm() -> None:
        nonlocal received
        received += 1
        if received == 1:
            log.info("SIGTERM: stopping after the answers already acked (again: stop now)")
        else:
            log.warning("SIGTERM again: stopping now, without waiting for the answers")
        serving.cancel()

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, on_sigterm)


async def _serve_slack(app: App) -> int:
    from bot.slack.serve import serve

    if app.simulated:
        log.warning("No VCC credentials: Slack is answering from the SIMULATED contact center")
    serving = asyncio.ensure_future(serve(app))
    _stop_on_sigterm(serving)
    try:
        await serving
    except asyncio.CancelledError:
        log.info("stopped")
    return 0


async def _run(settings: Settings) -> int:
    async with open_app(settings, SystemClock()) as app:
        if not settings.slack_enabled:
            from bot.console import run_console

            return await app.run(lambda: run_console(app))
        return await app.run(lambda: _serve_slack(app))


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.slack_enabled:
        from bot.slack.logfilters import install_log_filters

        install_log_filters()
    else:
        # The console's own output is the answer; keep library chatter out of it.
        level = max(logging.WARNING, logging.getLevelName(settings.log_level))
        logging.getLogger().setLevel(level)


def main() -> int:
    try:
        settings = load_settings()
        _configure_logging(settings)
        return asyncio.run(_run(settings))
    except ConfigError as exc:
        print(f"agentstate: bad setting {exc.variable}: {exc.problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
