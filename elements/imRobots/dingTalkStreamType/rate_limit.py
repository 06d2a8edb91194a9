"""DingTalk's rate limit: 20 OpenAPI calls per second per app (clientId) and API for a standard
organisation, more for other editions (the robot's `apiCallsPerSecond`). Every robot of
one app in this process waits its turn at the same limiter, so robots sharing an app never
draw DingTalk's "too many requests" together (a robot restarting while its answers end, a
recovered answer and new ones)."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

CALLS_PER_SECOND = 20
WINDOW = 1.0


class AppRateLimit:
    """At most `per_window` calls of each API in any `window` seconds; bursts up to that go at once."""

    def __init__(self, per_window: int = CALLS_PER_SECOND, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._slots: dict[str, deque[float]] = {}

    def allow(self, per_window: int) -> None:
        """Allow `per_window` calls of each API from now on (the calls reserved so far still count)."""
        self.per_window = per_window
        self._slots = {api: deque(slots, maxlen=per_window) for api, slots in self._slots.items()}

    def reserve(self, api: str) -> float:
        """Reserve the next free moment for a call of `api`; returns how long to wait for it."""
        now = self._clock()
        slots = self._slots.setdefault(api, deque(maxlen=self.per_window))
        at = now if len(slots) < self.per_window else max(now, slots[0] + self.window)
        slots.append(at)
        return at - now

    def reserve_now(self, api: str) -> bool:
        """Reserve a call of `api` only if it may go out at once (a streaming update that waited
        for its turn would show stale text and push the final cards back)."""
        slots = self._slots.setdefault(api, deque(maxlen=self.per_window))
        now = self._clock()
        if len(slots) == self.per_window and slots[0] + self.window > now:
            return False
        slots.append(now)
        return True

    async def turn(self, api: str) -> None:
        """Wait until a call of `api` may go out."""
        wait = self.reserve(api)
        if wait > 0:
            await asyncio.sleep(wait)


_by_client_id: dict[str, AppRateLimit] = {}


def of_app(client_id: str, per_second: int | None = None) -> AppRateLimit:
    """The one limiter of a DingTalk app in this process; `per_second` sets how many calls of each
    API it allows (the robot started last sets it, when robots of one app say different things;
    None, as a connection test says, leaves it)."""
    limit = _by_client_id.get(client_id)
    if limit is None:
        limit = _by_client_id[client_id] = AppRateLimit(per_second or CALLS_PER_SECOND)
    elif per_second is not None and limit.per_window != per_second:
        limit.allow(per_second)
    return limit
