"""A platform app's API token (DingTalk's access token, Feishu's tenant_access_token): fetched
once, shared by every call of the robot, renewed before it expires.

Concurrent callers share one fetch (single flight). A token is renewed `margin` seconds before
its expiry, or, for a short lifetime, when only `share` of it is left. A call the platform
refused for its token drops that token (`forget`), so the next call fetches a new one instead of
failing until the old one would have expired; a token already replaced is not dropped.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenCache:
    """`await get()` returns a valid token; `forget(token)` after the platform refused it."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]], margin: float, share: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch  # -> (token, seconds until it expires)
        self.margin = margin
        self.share = share
        self._clock = clock
        self._token = ""
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def fresh(self) -> bool:
        """True while the cached token is good (no fetch needed)."""
        return bool(self._token) and self._clock() < self._renew_at

    async def get(self) -> str:
        """A valid token (fetched when there is none or it is about to expire)."""
        if self.fresh:
            return self._token
        async with self._lock:
            if not self.fresh:
                token, expires_in = await self._fetch()
                self.fetches += 1
                self._token = token
                self._renew_at = self._clock() + max(0.0, expires_in - min(self.margin, max(0.0, expires_in) * self.share))
        return self._token

    def forget(self, token: str) -> None:
        """The platform refused `token`: the next `get` fetches another (unless it was replaced already)."""
        if token and token == self._token:
            self._token, self._renew_at = "", 0.0
