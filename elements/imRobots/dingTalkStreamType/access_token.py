"""The app's access token for DingTalk's OpenAPI: fetched once, cached, refreshed before expiry.

Concurrent answers share one fetch (single flight). A call answered 401 drops the token it
used, so the retry gets a fresh one; a token somebody else already replaced is not dropped.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Refresh this long before DingTalk's expiry (at most; a short-lived token keeps a fifth of its life).
REFRESH_MARGIN = 300.0


class AccessToken:
    """`await get()` returns a valid token; `invalidate(token)` after DingTalk refused it."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]], clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        if self._token and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token and self._clock() < self._refresh_at:
                return self._token
            token, expires_in = await self._fetch()
            self.fetches += 1
            margin = min(REFRESH_MARGIN, max(0.0, expires_in) / 5)
            self._token = token
            self._refresh_at = self._clock() + max(0.0, expires_in - margin)
            return token

    @property
    def fresh(self) -> bool:
        """True while the cached token is good (no fetch needed)."""
        return bool(self._token) and self._clock() < self._refresh_at

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the cached one."""
        if token and token == self._token:
            self._token = ""
            self._refresh_at = 0.0
