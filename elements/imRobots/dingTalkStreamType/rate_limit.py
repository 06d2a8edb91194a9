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
SOON = 2.0  # a card younger than this many windows may end any moment: its final call gets room before streaming updates


class AppRateLimit:
    """At most `per_window` calls of each API in any `window` seconds; bursts up to that go at once.

    A card that went out owes its final update. While the card is young, the answer may end any
    moment (most answers take a second or two), so streaming updates only use the room its
    final update leaves: 50 one-second answers at once had streamed every slot of the window
    their 50 final cards then waited a second for. A long answer streams after that, as room allows.
    """

    def __init__(self, per_window: int = CALLS_PER_SECOND, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._slots: dict[str, deque[float]] = {}
        self._owed: dict[str, dict[str, float]] = {}  # api -> the cards that owe it a final call -> since when

    def owe(self, api: str, card: str) -> None:
        """`card` will make a final call of `api` (while young, it keeps room for it from streaming updates)."""
        self._owed.setdefault(api, {})[card] = self._clock()

    def settle(self, api: str, card: str) -> None:
        """`card` takes its final call's turn now (or will never make it)."""
        self._owed.get(api, {}).pop(card, None)

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

    def reserve_now(self, *apis: str) -> bool:
        """Reserve a call of each of `apis` only if all may go out at once and leave room for the
        final calls owed to them (a streaming update that waited for its turn would show stale
        text and push the final cards back)."""
        now = self._clock()
        since, young = now - self.window, now - SOON * self.window
        for api in apis:
            in_window = sum(1 for at in self._slots.get(api, ()) if at > since)
            owed_soon = sum(1 for owed_since in self._owed.get(api, {}).values() if owed_since > young)
            if in_window + owed_soon >= self.per_window:
                return False
        for api in apis:
            self._slots.setdefault(api, deque(maxlen=self.per_window)).append(now)
        return True

    async def turn(self, api: str) -> bool:
        """Wait until a call of `api` may go out; whether that meant waiting."""
        wait = self.reserve(api)
        if wait > 0:
            await asyncio.sleep(wait)
        return wait > 0


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
