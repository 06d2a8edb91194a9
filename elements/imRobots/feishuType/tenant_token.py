"""The app's tenant_access_token: fetched once, shared by every call, refreshed before it expires.

Feishu's tokens last 2 h; one is renewed when less than 10 minutes (or, for a short lifetime,
a tenth of it) remain. A call refused for its token (99991661/99991663) drops it, so the
next call fetches a new one instead of failing until the old one would have expired.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MARGIN = 600.0
TOKEN_REFUSED = (99991661, 99991663)


class TenantToken:
    """One app's token; concurrent callers share one fetch."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def fresh(self) -> bool:
        return bool(self._token) and self._clock() < self._renew_at

    async def get(self) -> str:
        """A valid token (fetched when there is none or it is about to expire)."""
        if self.fresh:
            return self._token
        async with self._lock:
            if not self.fresh:
                token, expire = await self._fetch()
                self.fetches += 1
                self._token = token
                self._renew_at = self._clock() + max(0.0, expire - min(MARGIN, expire / 10))
        return self._token

    def forget(self, token: str) -> None:
        """Feishu refused this token: the next `get` fetches another."""
        if token == self._token:
            self._token, self._renew_at = "", 0.0
