"""Reconnect delays: exponential from a first delay to a ceiling, with jitter."""
from __future__ import annotations

import random

_JITTER = random.Random()  # one for every robot: seeding one each from os.urandom cost 0.1 ms a robot at start


class Backoff:
    """`next()` gives 1, 2, 4 ... up to the ceiling (each ±20 %); `reset()` after a good connection."""

    def __init__(self, first: float = 1.0, longest: float = 60.0, jitter: float = 0.2, rng: random.Random | None = None) -> None:
        self.first = first
        self.longest = max(first, longest)
        self.jitter = jitter
        self.failures = 0
        self._rng = rng or _JITTER

    def next(self) -> float:
        """The delay before the next attempt; each call counts one more failure."""
        base = min(self.longest, self.first * (2 ** min(self.failures, 32)))
        self.failures += 1
        spread = base * self.jitter
        return min(self.longest, max(0.0, base + self._rng.uniform(-spread, spread)))

    def reset(self) -> None:
        """Start again from the first delay (called once a connection is up)."""
        self.failures = 0
