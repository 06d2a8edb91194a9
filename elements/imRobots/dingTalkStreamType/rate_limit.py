"""DingTalk's rate limit: 20 OpenAPI calls per second per app (clientId) and API for a standard
organisation, more for other editions (the robot's `apiCallsPerSecond`). Every robot of
one app in this process waits its turn at the same limiter, so robots sharing an app never
draw DingTalk's "too many requests" together (a robot restarting while its answers end, a
recovered answer and new ones)."""
from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Awaitable, Callable

CALLS_PER_SECOND = 20
WINDOW = 1.0
SOON = 2.0  # a card younger than this many windows may end any moment: its final call gets room before streaming updates
HOLD = 0.5  # seconds a call whose turn came late may wait more (a card for its answer to end, to go out ended)


class AppRateLimit:
    """At most `per_window` calls of each API in any `window` seconds; bursts up to that go at once.

    Each API's calls are moments, made and reserved, kept in order: a new call takes the first
    moment that keeps every window within the limit, so a call that gave its moment back (held
    at its turn) and comes again may go before moments reserved after its first one.

    A card that went out owes its final update. While the card is young, the answer may end any
    moment (most answers take a second or two), so streaming updates only use the room its
    final update leaves: 50 one-second answers at once had streamed every slot of the window
    their 50 final cards then waited a second for. A long answer streams after that, as room allows.
    """

    def __init__(self, per_window: int = CALLS_PER_SECOND, window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._moments: dict[str, list[float]] = {}  # api -> its calls' moments within a window of now or later, in order
        self._owed: dict[str, dict[str, float]] = {}  # api -> the cards that owe it a final call -> since when

    def owe(self, api: str, card: str) -> None:
        """`card` will make a final call of `api` (while young, it keeps room for it from streaming updates)."""
        self._owed.setdefault(api, {})[card] = self._clock()

    def settle(self, api: str, card: str) -> None:
        """`card` takes its final call's turn now (or will never make it)."""
        self._owed.get(api, {}).pop(card, None)

    def allow(self, per_window: int) -> None:
        """Allow `per_window` calls of each API from now on (the calls made and reserved so far still count)."""
        self.per_window = per_window

    def reserve(self, api: str) -> float:
        """Reserve the next free moment for a call of `api`; returns how long to wait for it."""
        now = self._clock()
        return self._reserve(api, now) - now

    def _reserve(self, api: str, now: float) -> float:
        moments = self._current(api, now)
        at = next(at for at in (now, *(m + self.window for m in moments if m + self.window > now)) if self._fits(moments, at))
        bisect.insort(moments, at)
        return at

    def _current(self, api: str, now: float) -> list[float]:
        """The API's moments that still share a window with now or later."""
        moments = self._moments.setdefault(api, [])
        del moments[:bisect.bisect_right(moments, now - self.window)]
        return moments

    def _fits(self, moments: list[float], at: float) -> bool:
        """Whether a call at `at` keeps every window at or under the limit: no per_window + 1
        calls in a row, `at` among them, within one window."""
        limit = self.per_window
        i = bisect.bisect_right(moments, at)
        around = [*moments[max(0, i - limit):i], at, *moments[i:i + limit]]
        return all(around[j + limit] - around[j] >= self.window for j in range(len(around) - limit))

    def reserve_now(self, *apis: str) -> bool:
        """Reserve a call of each of `apis` only if all may go out at once and leave room for the
        final calls owed to them (a streaming update that waited for its turn would show stale
        text and push the final cards back)."""
        now = self._clock()
        young = now - SOON * self.window
        for api in apis:
            in_window = len(self._current(api, now))  # made within the last window, or reserved
            owed_soon = sum(1 for owed_since in self._owed.get(api, {}).values() if owed_since > young)
            if in_window + owed_soon >= self.per_window:
                return False
        for api in apis:
            bisect.insort(self._moments[api], now)
        return True

    async def turn(self, api: str, hold: Callable[[], Awaitable[object]] | None = None) -> bool:
        """Wait until a call of `api` may go out; whether that meant waiting. A call that waited
        may be held (`hold()`, at most HOLD seconds): it gives back its moment and takes the
        first free one after the hold (one later than its moment could put more than the limit
        into a window)."""
        now = self._clock()
        at = self._reserve(api, now)
        if at <= now:
            return False
        await asyncio.sleep(at - now)
        if hold is not None:
            self._give_back(api, at)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HOLD):
                    await hold()
            wait = self.reserve(api)
            if wait > 0:
                await asyncio.sleep(wait)
        return True

    def _give_back(self, api: str, at: float) -> None:
        moments = self._moments.get(api, [])
        i = bisect.bisect_left(moments, at)
        if i < len(moments) and moments[i] == at:
            del moments[i]


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
