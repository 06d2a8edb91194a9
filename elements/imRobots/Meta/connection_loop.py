"""The retry skeleton every IM Type's long connection shares: claim the platform app (one live
connection per app in the process), serve one connection after another, and between them say
why the last one ended (in the status and the log) and back off.

A Type's connection subclasses `ReconnectingConnection` and implements what is its own:
`_serve_once` (open and read one connection, keep its socket in `ws`, return why it ended) and,
where its platform says more than an HTTP status, `_handshake_refused`. Its refusals (refused
credentials) put the robot in state error; its API errors and network faults are one line in
the log, never a traceback (`network_errors.py`); anything else is a bug, logged with its
traceback, and the robot reconnects all the same.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from . import claims
from .backoff import Backoff
from .connection_settings import ConnectionSettings
from .network_errors import NETWORK_ERRORS, describe, network_reason
from .robot_status import RobotStatus

CLOSE_TIMEOUT = 0.5  # a socket's close takes at most this long (then it is aborted)
QUICK_RECONNECT_SPACING = 5.0  # a platform's request to reconnect is honoured at once, but not twice within this


@dataclass(frozen=True)
class Ended:
    """Why a connection (or an attempt at one) ended: `refused` for good (credentials, the app's
    connection taken), `at_once` when the platform asked to reconnect (no backoff)."""

    reason: str
    refused: bool = False
    at_once: bool = False


class ReconnectingConnection:
    """Keeps one connection of a platform app open until cancelled; `run()` never returns on its own."""

    refusals: tuple[type[BaseException], ...] = ()  # the platform refused the app (its CredentialsRefused)
    api_errors: tuple[type[BaseException], ...] = ()  # a call the platform refused or that did not get through
    network_errors: tuple[type[BaseException], ...] = NETWORK_ERRORS
    app_id_name = "clientId"  # how the platform calls the app id, in the one-connection-per-app refusal

    def __init__(self, app_id: str, settings: ConnectionSettings, status: RobotStatus, logger: logging.Logger, holder: str = "",
                 claim_wait: float = 1.0, on_connected: Callable[[], None] = lambda: None) -> None:
        self.app_id = app_id
        self.status = status
        self.log = logger
        self.holder = holder or app_id
        self.claim_wait = claim_wait
        self.on_connected = on_connected
        self.backoff = Backoff(settings.reconnect_min, settings.reconnect_max)
        self.http_timeout = settings.http_timeout
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._claim: object | None = None
        self._last_quick_reconnect = -QUICK_RECONNECT_SPACING

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; ends only by cancellation (closing the socket)."""
        try:
            while True:
                self.status.connecting()
                try:
                    if self._claim is None:
                        self._claim = await claims.claim(self.app_id, self.holder, self.claim_wait, what=self.app_id_name)
                    ended = await self._serve_once()
                except Exception as exc:
                    ended = self._failure(exc)
                if ended.at_once and time.monotonic() - self._last_quick_reconnect > QUICK_RECONNECT_SPACING:
                    self._last_quick_reconnect = time.monotonic()
                    self.log.info("reconnecting at once: %s", ended.reason)
                    continue
                delay = self.backoff.next()
                self.status.backing_off(ended.reason, delay, ended.refused)
                (self.log.error if ended.refused else self.log.warning)("%s; retrying in %.1f s", ended.reason, delay)
                await asyncio.sleep(delay)
        finally:
            self._stopping()
            await self.close()  # before the claim goes: the next holder never overlaps this socket
            if self._claim is not None:
                claims.release(self.app_id, self._claim)
                self._claim = None

    def _failure(self, exc: Exception) -> Ended:
        """Why an attempt failed, from what it raised."""
        if isinstance(exc, (*self.refusals, claims.ClientIdBusy)):
            return Ended(str(exc), refused=True)
        if isinstance(exc, self.api_errors):
            return Ended(str(exc))
        if isinstance(exc, aiohttp.WSServerHandshakeError):
            return self._handshake_refused(exc)
        if isinstance(exc, asyncio.TimeoutError):  # before the network errors: TimeoutError is an OSError
            return Ended(f"WebSocket connect timed out after {self.http_timeout:g} s")
        if isinstance(exc, self.network_errors):
            return Ended(f"WebSocket connect failed: {self._network_reason(exc)}")
        self.log.error("unexpected error in the connection loop: %s", describe(exc), exc_info=exc)  # a bug must not end the robot
        return Ended(f"unexpected error: {describe(exc)}")

    def _handshake_refused(self, exc: aiohttp.WSServerHandshakeError) -> Ended:
        """The platform refused the WebSocket upgrade."""
        return Ended(f"WebSocket handshake refused (HTTP {exc.status})")

    def _network_reason(self, exc: BaseException) -> str:
        return network_reason(exc)

    def _stopping(self) -> None:
        """The loop is ending (cancelled): cancel what the Type still runs for this connection."""

    async def _serve_once(self) -> Ended:
        """One connection from its first request to its close; why it ended."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close the socket now (within CLOSE_TIMEOUT; aborted past it)."""
        ws, self.ws = self.ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(asyncio.TimeoutError, aiohttp.ClientError, OSError):  # aiohttp aborts the transport then
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)
