"""How the runner retries a fragment the platform asked to come back for later (moved out of runner.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.services.settling import Settling


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for RetryLater without a reset time, and an attempt limit.

    The n-th retry waits min(max_delay, base * factor**(n-1)), shortened by up to `jitter` of itself
    (a fraction drawn from `random`), so it never exceeds max_delay and never drops below (1-jitter) of it.
    """

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, compare=False)
    # issue 18: how long a fragment in doubt is looked up before any resend
    settling: Settling = field(default_factory=Settling)

    def delay(self, attempt: int) -> timedelta:
        """The wait after the `attempt`-th failed attempt (1-based)."""
        exponent = max(attempt - 1, 0)
        base_seconds = self.base.total_seconds()
        cap = self.max_delay.total_seconds()
        # Cap the exponent's result without computing huge floats for large attempt numbers.
        raw = cap if exponent > 64 else min(cap, base_seconds * self.factor**exponent)
        return timedelta(seconds=raw * (1 - self.jitter * self.random()))
