"""At most one live DingTalk connection per clientId in this process, also across a restart.

DingTalk spreads a clientId's messages over all its open connections, so a robot whose
previous incarnation has not finished closing (or a second instance with the same
credentials) would answer some messages twice or miss them. A robot claims its clientId
before connecting and releases it only after its socket is closed.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


class ClientIdBusy(Exception):
    """The clientId is held by another robot that did not let go in time."""

    def __init__(self, client_id: str, holder: str) -> None:
        self.client_id = client_id
        self.holder = holder
        super().__init__(f"clientId {client_id} is already connected by {holder} (one connection per clientId)")


@dataclass
class _Claim:
    holder: str
    loop: asyncio.AbstractEventLoop
    released: asyncio.Event = field(default_factory=asyncio.Event)


_claims: dict[str, _Claim] = {}


async def claim(client_id: str, holder: str, wait: float) -> object:
    """Hold `client_id` for `holder`; wait up to `wait` s for another holder to release it.

    Returns a token for `release`. A claim left behind by a loop that no longer runs (a
    supervisor torn down without stopping) is taken over.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        current = _claims.get(client_id)
        if current is None or current.loop is not loop and (current.loop.is_closed() or not current.loop.is_running()):
            token = _Claim(holder, loop)
            _claims[client_id] = token
            return token
        if current.loop is not loop:
            raise ClientIdBusy(client_id, current.holder)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ClientIdBusy(client_id, current.holder)
        try:
            await asyncio.wait_for(current.released.wait(), remaining)
        except asyncio.TimeoutError:
            raise ClientIdBusy(client_id, current.holder) from None


def holder_of(client_id: str) -> str | None:
    """Who holds `client_id` now (a robot's fullName), or None; a claim left by a loop that no
    longer runs holds nothing."""
    current = _claims.get(client_id)
    if current is None or current.loop.is_closed() or not current.loop.is_running():
        return None
    return current.holder


def release(client_id: str, token: object) -> None:
    """Let go of a claim (only the holder's own token releases it)."""
    current = _claims.get(client_id)
    if current is token:
        del _claims[client_id]
    if isinstance(token, _Claim):
        token.released.set()
