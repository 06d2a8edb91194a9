"""The stream connection's heartbeat: a WebSocket ping every `interval` seconds, and a
connection whose pong does not come within half the interval is dead.

Only pongs count as a sign of life. aiohttp's own heartbeat takes any frame as one, so a
gateway that kept sending frames but answered no ping was found dead only after 92 s.
"""
from __future__ import annotations

import asyncio
import time

import aiohttp


class Heartbeat:
    """Pings one socket until it is found dead (`run()` then returns) or the task is cancelled."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
        self.ws = ws
        self.interval = interval
        self.dead = False
        self._pong_at = time.monotonic()

    @property
    def pong_timeout(self) -> float:
        return self.interval / 2

    def pong(self) -> None:
        """A pong arrived (the reading loop sees it)."""
        self._pong_at = time.monotonic()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            pinged_at = time.monotonic()
            try:
                await self.ws.ping()
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return  # the socket is closing: the reading loop says why
            await asyncio.sleep(self.pong_timeout)
            if self._pong_at < pinged_at:
                self.dead = True
                return
