"""A local console: type what would follow `/agentstate`, see the reply as terminal text.

`make run` without Slack tokens lands here. It answers through the same `handle()` as Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.format.console import render_text
from bot.handle import handle
from bot.runtime import Runtime

__all__ = ["banner", "repl", "run_console"]

ReadLine = Callable[[], Awaitable[str | None]]
_QUIT = {"quit", "exit", ":q"}


def banner(runtime: Runtime) -> str:
    source = "the simulated contact center" if runtime.simulated else "Vonage Contact Center"
    return (
        f"agentstate console on {source} (times in {runtime.zone.key}).\n"
        "Type what you would type after /agentstate, e.g. `help`, `teams`, `who away`. "
        "Ctrl-D quits."
    )


async def repl(runtime: Runtime, read_line: ReadLine, write: Callable[[str], None]) -> None:
    """Answer each line until end of input (or `quit`)."""
    while (line := await read_line()) is not None:
        text = line.strip()
        if text.casefold() in _QUIT:
            return
        reply = await handle(text, runtime.query, simulated=runtime.simulated)
        write(render_text(reply, zone=runtime.zone) + "\n\n")


def _stdin_reader(stream: TextIO, prompt: str) -> ReadLine:
    interactive = stream.isatty()
    if interactive:
        with contextlib.suppress(ImportError):  # not on every platform
            import readline  # noqa: F401  (line editing and history for input())

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


async def run_console(
    runtime: Runtime, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    """Run the console on standard input and output; returns the exit code."""

    def write(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    write(banner(runtime) + "\n\n")
    await repl(runtime, _stdin_reader(stdin, "/agentstate "), write)
    return 0
