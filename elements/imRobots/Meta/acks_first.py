"""Questions waiting for their ACK go before answers waiting to start, on the loop every robot shares.

A question is journaled before its ACK (a crash must not lose it), and its answer starts right
after: a thinking card, a call to the agent. When a thousand questions arrive at once, starting
a thousand answers competes with journaling and ACKing the rest on the one loop, and with the
worker thread writing the journal for the interpreter lock: every ACK waited for most of the
burst. So an answer starts only once no question is being kept (or after MAX_WAIT, so a steady
stream of questions cannot hold answers back): ACKs first, while the platform's clock runs,
then the answers, which the asker sees start a moment later.
"""
from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterator

MAX_WAIT = 0.5  # seconds an answer waits at most for the questions being kept


class AcksFirst:
    """`with keeping():` around keeping a question for its ACK; `await turn()` before starting an answer."""

    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AcksFirst] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self._kept = 0
        self._none_kept = asyncio.Event()
        self._none_kept.set()

    @classmethod
    def shared(cls) -> AcksFirst:
        """The one of the running loop, shared by every robot on it."""
        return cls._shared.setdefault(asyncio.get_running_loop(), cls())

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        self._kept += 1
        self._none_kept.clear()
        try:
            yield
        finally:
            self._kept -= 1
            if not self._kept:
                self._none_kept.set()

    async def turn(self) -> None:
        """Return once no question is being kept, or after MAX_WAIT."""
        if self._kept:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(MAX_WAIT):
                    await self._none_kept.wait()
