"""The memory of requests already run (bot/slack/ingress.py): what it keeps, and how long."""

from __future__ import annotations

from bot.slack.ingress import Replays


class _Now:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class TestReplays:
    def test_a_copy_is_caught(self) -> None:
        """The first sighting of a signature runs; the same signature again does not."""
        replays = Replays(now=_Now())
        assert replays.first("v0=a")
        assert not replays.first("v0=a")
        assert replays.first("v0=b")

    def test_kept_while_a_copy_would_still_verify(self) -> None:
        """A timestamp may be 5 minutes off either way, so a signature is kept 10 minutes
        after it arrived, and forgotten after that."""
        now = _Now()
        replays = Replays(window=300, now=now)
        replays.first("v0=a")
        now.value += 599
        assert not replays.first("v0=a")
        now.value += 2
        replays.first("v0=b")  # any call forgets what has expired
        assert len(replays) == 1

    def test_bounded(self) -> None:
        """At most `capacity` signatures are kept; the oldest go first."""
        replays = Replays(capacity=3, now=_Now())
        for n in range(10):
            replays.first(f"v0={n}")
        assert len(replays) == 3
        assert not replays.first("v0=9")
        assert replays.first("v0=0")
