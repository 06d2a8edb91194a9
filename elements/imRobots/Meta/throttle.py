"""When a streaming answer may update its card: a budget of updates and two triggers."""
from __future__ import annotations


class CardUpdateThrottle:
    """At most `max_updates` updates per card, the final one included (it is always reserved).

    A streaming update is due when text is pending and either `interval` seconds passed since
    the last update (or the thinking card) or `every_chunks` chunks are pending.
    """

    def __init__(self, max_updates: int, interval: float, every_chunks: int, now: float) -> None:
        self.max_updates = max(1, max_updates)
        self.interval = interval
        self.every_chunks = max(1, every_chunks)
        self.used = 0
        self.pending = 0
        self._last = now

    def chunk(self, now: float) -> bool:
        """Count one arrived chunk; True when the card should be updated now."""
        self.pending += 1
        if not self.may_update():
            return False
        return self.pending >= self.every_chunks or now - self._last >= self.interval

    def may_update(self) -> bool:
        """Whether a streaming update is left in the budget (the final one is reserved)."""
        return self.used < self.max_updates - 1

    def updated(self, now: float) -> None:
        """A streaming update went out."""
        self.used += 1
        self.pending = 0
        self._last = now

    def finished(self) -> None:
        """The final update went out (it has its reserved slot)."""
        self.used += 1
        self.pending = 0
