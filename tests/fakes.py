"""Stand-ins for what the code has injected into it (not fakes of our own code)."""

from __future__ import annotations

__all__ = ["Sleeps"]


class Sleeps:
    """An injected `sleep` that records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
