"""At most one live connection per platform app (DingTalk clientId, Feishu App ID) in this
process, also across a restart.

DingTalk spreads an app's messages over all its open connections and Feishu pushes each event
to one random connection of the app, so a robot whose previous incarnation has not finished
closing (or a second instance with the same credentials) would answer some messages twice or
miss them. A robot claims its app id before connecting and releases it only after its socket
is closed.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


class ClientIdBusy(Exception):
    """The clientId is held by another robot that did not let go in time."""

    def __init__(self, client_id: str, holder: str, what: str = "clientId") -> None:
        self.client_id = client_id
        self.holder = holder
        super().__init__(f"{what} {client_id} is already connected by {holder} (one connection per {what})")


@dataclass
class _Claim:
    holder: str
    loop: asyncio.AbstractEventLoop
    released: asyncio.Event = field(default_factory=asyncio.Event)


_claims: dict[str, _Claim] = {}


async def claim(client_id: str, holder: str, wait: float, what: str = "clientId") -> object:
    """Hold `client_id` for `holder`; wait up to `wait` s for another holder to release it.
    `what` names the id in the refusal ("clientId", "App ID").

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
            raise ClientIdBusy(client_id, current.holder, what)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise ClientIdBusy(client_id, current.holder, what)
        try:
            await asyncio.wait_for(current.released.wait(), remaining)
        except asyncio.TimeoutError:
            raise ClientIdBusy(client_id, current.holder, what) from None


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
