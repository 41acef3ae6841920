"""A circuit breaker per provider: after repeated failures, stop calling for a while."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitOpen(Exception):
    """The breaker is open: the provider failed repeatedly and is left alone for now."""


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures; after ``reset_after`` seconds one
    trial call is let through (half-open): success closes it, failure opens it again."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        reset_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Raise CircuitOpen while the breaker is open."""
        if self.state == "open":
            raise CircuitOpen

    def succeeded(self) -> None:
        """A call worked: close the breaker."""
        self._failures = 0
        self._opened_at = None

    def failed(self) -> None:
        """A call failed: count it, and open the breaker at the threshold (or from half-open)."""
        self._failures += 1
        if self.state == "half_open" or self._failures >= self.threshold:
            self._opened_at = self._clock()
