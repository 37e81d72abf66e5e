"""bot.vcc.retry: Retry-After parsing, clamping, capped backoff and injected jitter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.vcc.retry import RetryPolicy, parse_retry_after

NOW = datetime(2025, 3, 11, 14, 5, 0, tzinfo=UTC)


def http_date(at: datetime) -> str:
    return format_datetime(at, usegmt=True)


class TestParseRetryAfter:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [("2", 2.0), ("0", 0.0), (" 17 ", 17.0), ("1.5", 1.5), ("120", 120.0)],
    )
    def test_delay_seconds(self, value: str, seconds: float) -> None:
        """Integer and decimal delay-seconds are read as seconds, surrounding space ignored."""
        assert parse_retry_after(value, NOW) == seconds

    def test_delay_seconds_need_no_clock(self) -> None:
        """The seconds form is read even when no `now` is given."""
        assert parse_retry_after("3", None) == 3.0

    def test_http_date_is_relative_to_now(self) -> None:
        """An HTTP date gives the seconds between `now` and that date."""
        assert parse_retry_after(http_date(NOW + timedelta(seconds=30)), NOW) == 30.0

    def test_http_date_in_the_past_is_negative(self) -> None:
        """A date in the past comes back negative; clamping is the policy's job."""
        assert parse_retry_after(http_date(NOW - timedelta(seconds=10)), NOW) == -10.0

    def test_http_date_without_now_is_unreadable(self) -> None:
        """Without a clock reading an HTTP date cannot be turned into a delay."""
        assert parse_retry_after(http_date(NOW), None) is None

    def test_naive_http_date_is_utc(self) -> None:
        """A `-0000` date (naive after parsing) is taken as UTC."""
        assert parse_retry_after("Tue, 11 Mar 2025 14:05:05 -0000", NOW) == 5.0

    @pytest.mark.parametrize(
        "value",
        [None, "", "   ", "soon", "-5", "+5", "1e3", "inf", "nan", "2 seconds", "Tue, 99 Foo"],
    )
    def test_garbage_is_none(self, value: str | None) -> None:
        """Anything that is neither delay-seconds nor an HTTP date gives None."""
        assert parse_retry_after(value, NOW) is None


class TestRetryAfterDelay:
    def test_seconds_win_over_backoff(self) -> None:
        """A readable Retry-After is used as-is, without jitter."""
        policy = RetryPolicy(random=lambda: 0.0)
        assert policy.delay(1, retry_after="2", now=NOW) == 2.0

    def test_http_date_win_over_backoff(self) -> None:
        """An HTTP-date Retry-After waits until that date."""
        policy = RetryPolicy(random=lambda: 0.0)
        retry_after = http_date(NOW + timedelta(seconds=12))
        assert policy.delay(3, retry_after=retry_after, now=NOW) == 12.0

    def test_clamped_to_max_retry_after(self) -> None:
        """A huge Retry-After is clamped to max_retry_after."""
        policy = RetryPolicy(max_retry_after=60.0)
        assert policy.delay(1, retry_after="3600", now=NOW) == 60.0
        far = http_date(NOW + timedelta(days=1))
        assert policy.delay(1, retry_after=far, now=NOW) == 60.0

    def test_past_date_clamped_to_zero(self) -> None:
        """A Retry-After date already past means retry at once, never a negative sleep."""
        policy = RetryPolicy()
        past = http_date(NOW - timedelta(minutes=5))
        assert policy.delay(1, retry_after=past, now=NOW) == 0.0

    def test_garbage_falls_back_to_backoff(self) -> None:
        """An unreadable Retry-After is ignored and the jittered backoff used instead."""
        policy = RetryPolicy(base=0.5, random=lambda: 0.5)
        assert policy.delay(2, retry_after="soon", now=NOW) == 0.5  # 0.5 * 2**1 * 0.5


class TestBackoff:
    def test_grows_exponentially(self) -> None:
        """Backoff doubles with each failed attempt, starting at `base`."""
        policy = RetryPolicy(base=0.5, cap=1000.0)
        assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]

    def test_capped(self) -> None:
        """Backoff never exceeds `cap`, however many attempts failed."""
        policy = RetryPolicy(base=0.5, cap=30.0)
        assert policy.backoff(7) == 30.0
        assert policy.backoff(10_000) == 30.0

    def test_attempt_is_one_based(self) -> None:
        """Attempt numbers start at 1; 0 is a programming error."""
        with pytest.raises(ValueError, match="1-based"):
            RetryPolicy().backoff(0)


class TestJitter:
    def test_full_jitter_scales_by_random(self) -> None:
        """Full jitter is random() times the capped backoff."""
        policy = RetryPolicy(base=1.0, cap=30.0, jitter="full", random=lambda: 0.25)
        assert policy.delay(3) == 1.0  # 0.25 * 4

    def test_full_jitter_bounds(self) -> None:
        """Full jitter ranges over [0, backoff)."""
        assert RetryPolicy(base=1.0, random=lambda: 0.0).delay(4) == 0.0
        assert RetryPolicy(base=1.0, random=lambda: 0.999).delay(4) == pytest.approx(7.992)

    def test_equal_jitter_keeps_half(self) -> None:
        """Equal jitter waits at least half the backoff, at most all of it."""
        low = RetryPolicy(base=1.0, jitter="equal", random=lambda: 0.0)
        high = RetryPolicy(base=1.0, jitter="equal", random=lambda: 1.0)
        assert low.delay(3) == 2.0
        assert high.delay(3) == 4.0

    def test_jitter_capped(self) -> None:
        """Jitter applies to the capped backoff, so the delay stays within the cap."""
        policy = RetryPolicy(base=1.0, cap=5.0, random=lambda: 0.999)
        assert policy.delay(20) <= 5.0

    def test_jitter_source_called_once_per_delay(self) -> None:
        """The injected source is consulted once per computed delay, and only for backoff."""
        calls: list[int] = []

        def source() -> float:
            calls.append(1)
            return 0.5

        policy = RetryPolicy(random=source)
        policy.delay(1)
        policy.delay(2, retry_after="1", now=NOW)
        assert len(calls) == 1

    def test_default_source_is_random(self) -> None:
        """Without injection the delay stays within [0, backoff)."""
        policy = RetryPolicy(base=1.0)
        assert all(0.0 <= policy.delay(3) < 4.0 for _ in range(100))


class TestValidation:
    @pytest.mark.parametrize(
        "kwargs",
        [{"max_attempts": 0}, {"base": -1.0}, {"cap": -1.0}, {"max_retry_after": -1.0}],
    )
    def test_rejects_nonsense(self, kwargs: dict[str, float]) -> None:
        """A policy that could never retry sensibly is refused at construction."""
        with pytest.raises(ValueError, match="must"):
            RetryPolicy(**kwargs)  # type: ignore[arg-type]

    def test_rejects_unknown_jitter(self) -> None:
        """Only full and equal jitter exist."""
        with pytest.raises(ValueError, match="jitter"):
            RetryPolicy(jitter="none")  # type: ignore[arg-type]
