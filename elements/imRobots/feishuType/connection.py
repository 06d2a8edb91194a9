"""The robot's own long connection to Feishu, on the family's event loop (the SDK's `ws.Client`
binds a loop of its own at import, cannot be stopped, calls blocking `requests` from its loop
and answers a frame only after the handler returns).

Per attempt: ask the endpoint for a socket URL, open the WebSocket, ping at once and then every
interval, read protobuf frames. Every event frame is answered on the socket it came in on as
soon as it is read (parts of a split payload: once the last part is in), then handed on; the
robot answers in tasks of its own. An event the robot must keep first (a question, journaled;
a feedback press, stored) is answered in a task once it is kept, so reading goes on; not kept,
not answered (Feishu sends it again). No frame (not even a pong) for 1.5 ping intervals: the link
is dead, close it and reconnect. Failures back off from `reconnect_min` to `reconnect_max`
seconds, jittered; refused credentials and the app's connection limit show as errors.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import aiohttp

from . import frames
from ..Meta.connection_loop import CLOSE_TIMEOUT, Ended, ReconnectingConnection
from ..Meta.robot_status import RobotStatus
from .http import FeishuError
from .openapi import CredentialsRefused, FeishuApi
from .settings import RobotSettings

MAX_FRAME_BYTES = 16 * 1024 * 1024
STABLE_AFTER = 30.0  # a connection that lived this long resets the backoff
EXCEED_CONN_LIMIT = "1000040350"

# An event's payload -> the response's data (the card callback's answer), or None; or, for an
# event the robot keeps before answering (a feedback press), an awaitable of that data (None: not kept).
OnEvent = Callable[[bytes], "dict | None | Awaitable[dict | None]"]


class LongConnection(ReconnectingConnection):
    """Keeps one long connection open until cancelled; `run()` (the family's) never returns on its own."""

    refusals = (CredentialsRefused,)
    api_errors = (FeishuError,)
    app_id_name = "App ID"

    def __init__(self, api: FeishuApi, settings: RobotSettings, on_event: OnEvent, status: RobotStatus, logger: logging.Logger,
                 holder: str = "", claim_wait: float = 1.0, on_connected: Callable[[], None] = lambda: None) -> None:
        super().__init__(settings.app_id, settings, status, logger, holder, claim_wait, on_connected)
        self.api = api
        self.settings = settings
        self.on_event = on_event
        self.ping_interval = settings.heartbeat
        self.parts = frames.FrameParts()
        self.frames_answered = 0
        self._responses_after_keeping: set[asyncio.Task[None]] = set()

    def _stopping(self) -> None:
        for task in self._responses_after_keeping:
            task.cancel()

    async def _serve_once(self) -> Ended:
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
        return Ended(reason)

    def _handshake_refused(self, exc: aiohttp.WSServerHandshakeError) -> Ended:
        """Why Feishu refused the upgrade, from its handshake headers."""
        headers = exc.headers or {}
        status, message = headers.get("handshake-status", str(exc.status)), headers.get("handshake-msg", "")
        if headers.get("handshake-autherrcode") == EXCEED_CONN_LIMIT:
            return Ended("Feishu refused the connection: the app has too many long connections open (at most 50)", refused=True)
        return Ended(f"WebSocket handshake refused (status {status}{': ' + message if message else ''})", refused=status == "403")

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
        if inspect.isawaitable(result):  # kept first (a feedback press): answered in a task, reading goes on
            task = asyncio.create_task(self._respond_once_kept(ws, frame, result, started), name=f"{self.holder}: keep an event")
            self._responses_after_keeping.add(task)
            task.add_done_callback(self._responses_after_keeping.discard)
            return
        await self._respond(ws, frame, result, started)

    async def _respond_once_kept(self, ws: aiohttp.ClientWebSocketResponse, frame: frames.Frame, keeping: Awaitable[dict | None],
                                 started: float) -> None:
        """Answer an event the robot keeps first once it is kept; not kept: no response, so Feishu sends it again."""
        result = await keeping
        if result is not None:
            await self._respond(ws, frame, result, started)

    async def _respond(self, ws: aiohttp.ClientWebSocketResponse, frame: frames.Frame, result: dict | None, started: float) -> None:
        """The frame's response (code 200, the handler's data, how long it took) on the socket it came in on."""
        data = base64.b64encode(json.dumps(result, ensure_ascii=False).encode()) if result is not None else None
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            await ws.send_bytes(frames.response_frame(frame, 200, data, int((time.monotonic() - started) * 1000)))
            self.frames_answered += 1
