"""The robot's own long connection to Feishu, on the family's event loop (the SDK's `ws.Client`
binds a loop of its own at import, cannot be stopped, calls blocking `requests` from its loop
and answers a frame only after the handler returns).

Per attempt: ask the endpoint for a socket URL, open the WebSocket, ping at once and then every
interval, read protobuf frames. Every event frame is answered on the socket it came in on as
soon as it is read (parts of a split payload: once the last part is in), then handed on; the
robot answers in tasks of its own. No frame (not even a pong) for 1.5 ping intervals: the link
is dead, close it and reconnect. Failures back off from `reconnect_min` to `reconnect_max`
seconds, jittered; refused credentials and the app's connection limit show as errors.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import aiohttp

from . import frames
from ..Meta import claims
from ..Meta.backoff import Backoff
from ..Meta.robot_status import RobotStatus
from .http import NETWORK_ERRORS, FeishuError, network_reason
from .openapi import CredentialsRefused, FeishuApi
from .settings import RobotSettings

MAX_FRAME_BYTES = 16 * 1024 * 1024
CLOSE_TIMEOUT = 0.5
STABLE_AFTER = 30.0  # a connection that lived this long resets the backoff
EXCEED_CONN_LIMIT = "1000040350"

# An event's payload -> the response's data (the card callback's answer), or None.
OnEvent = Callable[[bytes], "dict | None"]


class LongConnection:
    """Keeps one long connection open until cancelled; `run()` never returns on its own."""

    def __init__(self, api: FeishuApi, settings: RobotSettings, on_event: OnEvent, status: RobotStatus, logger: logging.Logger,
                 holder: str = "", claim_wait: float = 1.0, on_connected: Callable[[], None] = lambda: None) -> None:
        self.api = api
        self.settings = settings
        self.on_event = on_event
        self.status = status
        self.log = logger
        self.holder = holder or settings.app_id
        self.claim_wait = claim_wait
        self.on_connected = on_connected
        self.backoff = Backoff(settings.reconnect_min, settings.reconnect_max)
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ping_interval = settings.heartbeat
        self.parts = frames.FrameParts()
        self.frames_answered = 0
        self._claim: object | None = None

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; ends only by cancellation (closing the socket)."""
        try:
            while True:
                self.status.connecting()
                refused = False
                try:
                    if self._claim is None:
                        self._claim = await claims.claim(self.settings.app_id, self.holder, self.claim_wait, what="App ID")
                    reason = await self._serve_once()
                except (CredentialsRefused, claims.ClientIdBusy) as exc:
                    reason, refused = str(exc), True
                except FeishuError as exc:
                    reason = str(exc)
                except aiohttp.WSServerHandshakeError as exc:
                    reason, refused = _handshake_refusal(exc)
                except asyncio.TimeoutError:  # before NETWORK_ERRORS: TimeoutError is an OSError
                    reason = f"WebSocket connect timed out after {self.settings.http_timeout:g} s"
                except NETWORK_ERRORS as exc:
                    reason = f"WebSocket connect failed: {network_reason(exc)}"
                except Exception as exc:  # a bug must not end the robot: log it and reconnect
                    self.log.exception("unexpected error in the connection loop")
                    reason = f"unexpected error: {type(exc).__name__}"
                delay = self.backoff.next()
                self.status.backing_off(reason, delay, refused)
                (self.log.error if refused else self.log.warning)("%s; retrying in %.1f s", reason, delay)
                await asyncio.sleep(delay)
        finally:
            await self.close()
            if self._claim is not None:
                claims.release(self.settings.app_id, self._claim)
                self._claim = None

    async def close(self) -> None:
        """Close the socket now (aborted past CLOSE_TIMEOUT)."""
        ws, self.ws = self.ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(asyncio.TimeoutError, aiohttp.ClientError, OSError):
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)

    async def _serve_once(self) -> str:
        """One connection from endpoint to close; returns why it ended."""
        started = time.monotonic()
        url, config = await self.api.endpoint()
        self._configure(config)
        service = int(parse_qs(urlsplit(url).query).get("service_id", ["0"])[0] or 0)
        async with asyncio.timeout(self.settings.http_timeout):
            ws = await self.api.session.ws_connect(url, autoping=True, max_msg_size=MAX_FRAME_BYTES,
                                                   timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CLOSE_TIMEOUT))
        self.ws = ws
        connected_at = time.monotonic()
        self.status.connected()
        self.log.info("connected to Feishu in %.0f ms (connection #%d)", (connected_at - started) * 1000, self.status.connections)
        self.on_connected()
        pinger = asyncio.create_task(self._ping(ws, service), name=f"{self.holder}: ping")
        try:
            reason = await self._read(ws)
        finally:
            pinger.cancel()
            await self.close()
        lived = time.monotonic() - connected_at
        if lived >= STABLE_AFTER:
            self.backoff.reset()
        self.log.warning("disconnected after %.1f s: %s", lived, reason)
        return reason

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            dead_after = self.ping_interval * 1.5
            try:
                message = await ws.receive(timeout=dead_after)
            except asyncio.TimeoutError:
                return f"connection dead: no frame and no pong within {dead_after:g} s"
            if message.type == aiohttp.WSMsgType.BINARY:
                await self._on_frame(ws, message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return f"connection closed by Feishu (code {ws.close_code})"
            elif message.type == aiohttp.WSMsgType.ERROR:
                error = ws.exception()
                return f"connection lost: {type(error).__name__ if error else 'error'}"

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, service: int) -> None:
        """A ping right after connecting and every interval (Feishu's PingInterval or the heartbeat, the shorter)."""
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            while not ws.closed:
                await ws.send_bytes(frames.ping_frame(service))
                await asyncio.sleep(self.ping_interval)

    def _configure(self, config: object) -> None:
        """Apply a ClientConfig's ping interval (only a usable number: a partial config changes nothing)."""
        interval = config.get("PingInterval") if isinstance(config, dict) else None
        if isinstance(interval, (int, float)) and interval > 0:
            self.ping_interval = min(float(interval), self.settings.heartbeat)

    async def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, raw: bytes) -> None:
        """Answer one frame on its socket at once, then hand an event on."""
        self.status.frame()
        try:
            frame = frames.parse(raw)
        except frames.DecodeError:
            self.log.warning("ignored a frame that is not a Feishu frame (%d bytes)", len(raw))
            return
        kind = frames.header(frame, "type")
        if frame.method == frames.CONTROL:
            if kind == frames.PONG and frame.payload:
                with contextlib.suppress(ValueError):
                    self._configure(json.loads(frame.payload))
            return
        started = time.monotonic()
        try:
            payload = self.parts.add(frames.header(frame, "message_id"), int(frames.header(frame, "sum", "1")),
                                     int(frames.header(frame, "seq", "0")), frame.payload)
        except ValueError as exc:
            self.log.warning("ignored a malformed frame part: %s", exc)
            payload = b""
        if payload is None:
            return  # more parts to come: the frame that completes the payload gets the response
        result = None
        if kind in (frames.EVENT, frames.CARD) and payload:
            result = self.on_event(payload)
        data = base64.b64encode(json.dumps(result, ensure_ascii=False).encode()) if result is not None else None
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            await ws.send_bytes(frames.response_frame(frame, 200, data, int((time.monotonic() - started) * 1000)))
            self.frames_answered += 1


def _handshake_refusal(exc: aiohttp.WSServerHandshakeError) -> tuple[str, bool]:
    """Why Feishu refused the upgrade, from its handshake headers; (reason, refused for good?)."""
    headers = exc.headers or {}
    status, message = headers.get("handshake-status", str(exc.status)), headers.get("handshake-msg", "")
    if headers.get("handshake-autherrcode") == EXCEED_CONN_LIMIT:
        return "Feishu refused the connection: the app has too many long connections open (at most 50)", True
    refused = status == "403"
    return f"WebSocket handshake refused (status {status}{': ' + message if message else ''})", refused
