"""Recently seen message ids: DingTalk redelivers un-ACKed frames, and a robot answers once."""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class SeenMessages:
    """Message ids seen within the last `ttl` seconds (at most `limit` kept, oldest dropped first)."""

    def __init__(self, ttl: float = 900.0, limit: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, message_id: str) -> bool:
        """True the first time an id is offered within the ttl; remembers it either way."""
        now = self._clock()
        self._expire(now)
        if message_id in self._seen:
            return False
        self._seen[message_id] = now
        if len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.ttl:
                break
            del self._seen[oldest]
