"""Slowing down guesses at the access token, per client address.

A few wrong tokens are free (typos); after that each further wrong one doubles the wait before
that client may try again (1 s, 2 s, 4 s ... up to MAX_WAIT). While it waits, its attempts are
refused without looking at the token, so a script gets about one guess per MAX_WAIT instead of
hundreds a second. The right token after the wait logs in and clears the count. The clock is
injectable so tests move time instead of sleeping.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
MAX_WAIT = 60.0
MAX_CLIENTS = 10_000  # oldest forgotten first: a flood of addresses cannot grow memory without bound


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0


class LoginLimiter:
    """Counts wrong tokens per client and says how long a client must wait before its next try."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, free_failures: int = FREE_FAILURES,
                 max_wait: float = MAX_WAIT) -> None:
        self.clock = clock
        self.free_failures = free_failures
        self.max_wait = max_wait
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def wait_for(self, client: str) -> float:
        """Seconds `client` must still wait before a token is checked (0: check it now)."""
        with self._lock:
            record = self._records.get(client)
            return max(0.0, record.blocked_until - self.clock()) if record else 0.0

    def failed(self, client: str) -> None:
        """A wrong token from `client`: past the free ones, the wait doubles."""
        with self._lock:
            record = self._records.pop(client, None) or _Record()
            record.failures += 1
            over = record.failures - self.free_failures
            if over > 0:
                record.blocked_until = self.clock() + min(self.max_wait, 2.0 ** (over - 1))
            self._records[client] = record
            while len(self._records) > MAX_CLIENTS:
                self._records.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)
