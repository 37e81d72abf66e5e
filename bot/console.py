"""A local console: type what would follow `/agentstate`, see the reply as terminal text.

`make run` without Slack tokens lands here. It answers through the same `handle()` as Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.app import App
from bot.handle import handle

__all__ = ["banner", "repl", "run_console"]

ReadLine = Callable[[], Awaitable[str | None]]
_QUIT = {"quit", "exit", ":q"}


def banner(app: App) -> str:
    source = "the simulated contact center" if app.simulated else "Vonage Contact Center"
    return (
        f"agentstate console on {source} (times in {app.zone.key}).\n"
        "Type what you would type after /agentstate, e.g. `help`, `teams`, `who away`. "
        "Ctrl-D quits."
    )


async def repl(app: App, read_line: ReadLine, write: Callable[[str], None]) -> None:
    """Answer each line until end of input (or `quit`)."""
    while (line := await read_line()) is not None:
        if line.strip().casefold() in _QUIT:
            return
        reply = await handle(line, app.query)
        write(app.text.render(reply) + "\n\n")


def _stdin_reader(stream: TextIO, prompt: str) -> ReadLine:
    interactive = stream.isatty()
    if interactive:
        with contextlib.suppress(ImportError):  # not on every platform
            import readline  # noqa: F401 - imported for its effect: line editing in input()

    def read() -> str | None:
        if interactive:
            try:
                return input(prompt)
            except EOFError:
                print()
                return None
        line = stream.readline()
        return line if line else None

    async def read_line() -> str | None:
        # input() blocks; a thread keeps the event loop (and the VCC client on it) free.
        return await asyncio.to_thread(read)

    return read_line


async def run_console(app: App, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run the console on standard input and output; returns the exit code."""

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    write(banner(app) + "\n\n")
    await repl(app, _stdin_reader(stdin, "/agentstate "), write)
    return 0
