"""Questions waiting for their ACK go before answers waiting to start, on the loop every robot shares.

A question is journaled before its ACK (a crash must not lose it), and its answer starts right
after: a thinking card, a call to the agent. When a thousand questions arrive at once, starting
a thousand answers competes with journaling and ACKing the rest on the one loop, and with the
worker thread writing the journal for the interpreter lock: every ACK waited for most of the
burst. So an answer starts once no question has been waiting for its ACK for QUIET seconds (a
burst arrives in waves, with moments between them when none is), or after MAX_WAIT, so a steady
stream of questions cannot hold answers back: ACKs first, while the platform's clock runs, then
the answers, which the asker sees start a moment later.
"""
from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterator

QUIET = 0.02  # seconds without a question being kept before answers start
MAX_WAIT = 0.5  # seconds an answer waits at most


class AcksFirst:
    """`with keeping():` around keeping a question for its ACK; `await turn()` before starting an answer."""

    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AcksFirst] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self._kept = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._quieting: asyncio.TimerHandle | None = None

    @classmethod
    def shared(cls) -> AcksFirst:
        """The one of the running loop, shared by every robot on it."""
        return cls._shared.setdefault(asyncio.get_running_loop(), cls())

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        self._kept += 1
        self._quiet.clear()
        if self._quieting is not None:
            self._quieting.cancel()
            self._quieting = None
        try:
            yield
        finally:
            self._kept -= 1
            if not self._kept:
                self._quieting = asyncio.get_running_loop().call_later(QUIET, self._quiet.set)

    async def turn(self) -> None:
        """Return once no question has been kept for QUIET seconds, or after MAX_WAIT."""
        if not self._quiet.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(MAX_WAIT):
                    await self._quiet.wait()
