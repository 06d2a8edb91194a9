"""At-least-once delivery of CALLBACK and EVENT frames, as DingTalk does it.

DingTalk pushes a callback and waits for the client's response frame; without one within
some time it pushes the *same* frame again (same messageId, same data, so the same robot
``msgId``). A robot that ACKs late or never therefore sees duplicates, and has to
de-duplicate on ``msgId``. Here:

* a frame is pushed to one usable connection of the app, its connections taken in turn (see
  ``Gateway.target``); with no usable connection it waits and goes out as soon as one appears;
* any response frame with the frame's messageId, on any connection of the same app, counts
  as its ACK (the SDK sends ACKs on its newest socket, not on the one the frame came in on);
  its ``code`` is recorded, not judged;
* un-ACKed frames are sent again every ``redeliver_after`` seconds, at most
  ``max_deliveries`` times in all, then given up;
* :meth:`Deliveries.redeliver` pushes a frame again right now, ACKed or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from .gateway import Gateway

log = logging.getLogger(__name__)

TICK = 0.05  # how often pending frames are looked at; the redelivery precision


@dataclass
class Delivery:
    """One tracked frame and where it stands."""

    client_id: str
    frame: dict[str, Any]
    attempts: int = 0
    last_sent: float | None = None  # monotonic
    acked: bool = False
    gave_up: bool = False

    @property
    def message_id(self) -> str:
        """The frame's messageId."""
        return self.frame["headers"]["messageId"]


class Deliveries:
    """Tracks pushed frames until ACKed and redelivers the rest."""

    def __init__(self, gateway: Gateway, *, redeliver_after: float = 60.0,
                 max_deliveries: int = 5) -> None:
        if redeliver_after <= 0:
            raise ValueError("redeliver_after must be positive")
        self._gateway = gateway
        self.redeliver_after = redeliver_after
        self.max_deliveries = max_deliveries
        self._items: dict[str, Delivery] = {}
        self._task: asyncio.Task[None] | None = None
        gateway.on_ack(self._acked)

    def start(self) -> None:
        """Start the redelivery loop on the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the redelivery loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def push(self, client_id: str, frame: dict[str, Any]) -> str:
        """Track a frame and send it now if a connection can take it; returns its messageId."""
        delivery = Delivery(client_id, frame)
        self._items[delivery.message_id] = delivery
        await self._attempt(delivery)
        return delivery.message_id

    async def redeliver(self, message_id: str) -> bool:
        """Send a tracked frame again now (ACKed or not); False when unknown or no connection."""
        delivery = self._items.get(message_id)
        if delivery is None:
            raise KeyError(f"no frame with messageId {message_id!r} was pushed")
        delivery.gave_up = False
        return await self._attempt(delivery)

    def state(self, message_id: str) -> Delivery | None:
        """Where a frame stands (attempts, acked, gave_up), or None if unknown."""
        return self._items.get(message_id)

    def pending(self, client_id: str | None = None) -> list[str]:
        """messageIds still waiting for an ACK (and not given up)."""
        return [d.message_id for d in self._items.values()
                if not d.acked and not d.gave_up
                and (client_id is None or d.client_id == client_id)]

    def _acked(self, client_id: str, message_id: str) -> None:
        """Gateway listener: a response frame arrived."""
        delivery = self._items.get(message_id)
        if delivery is not None and delivery.client_id == client_id:
            delivery.acked = True

    async def _attempt(self, delivery: Delivery) -> bool:
        """Send to the current target connection; counts only sends that went out."""
        headers = delivery.frame["headers"]
        conn = self._gateway.target(delivery.client_id, delivery.frame["type"], headers["topic"])
        if conn is None:
            return False
        if await self._gateway.send(conn, delivery.frame, redelivery=delivery.attempts > 0):
            delivery.attempts += 1
            delivery.last_sent = time.monotonic()
            return True
        return False

    async def _loop(self) -> None:
        """Every tick, send what waits for a connection and redeliver what timed out."""
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            for delivery in list(self._items.values()):
                if delivery.acked or delivery.gave_up:
                    continue
                due = (delivery.last_sent is None
                       or now - delivery.last_sent >= self.redeliver_after)
                if not due:
                    continue
                if delivery.attempts >= self.max_deliveries:
                    delivery.gave_up = True
                    log.info("gave up on %s after %d deliveries", delivery.message_id,
                             delivery.attempts)
                    continue
                try:
                    await self._attempt(delivery)
                except Exception:  # one bad socket must not stop every redelivery
                    log.exception("redelivery of %s failed", delivery.message_id)
