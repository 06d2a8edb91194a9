"""The robot's own stream connection loop (the SDK's `start()` cannot be stopped, swallows a
first cancel, sleeps 10 s between attempts and blocks the loop in `open_connection`).

Per attempt: POST the credentials for a ticket, open the WebSocket, then read frames. Each
frame is parsed with the SDK's frame classes and ACKed at once on the socket it came in on;
only then is it handed to the robot (which answers in tasks of its own). A socket without
any frame or pong for `heartbeat` + `heartbeat`/2 seconds is dead: close it and reconnect.
Failures back off from `reconnect_min` to `reconnect_max` seconds, jittered.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from dingtalk_stream import AckMessage, CallbackMessage, EventMessage, SystemMessage
from dingtalk_stream.frames import Headers

from ..Meta import claims
from ..Meta.backoff import Backoff
from .http import NETWORK_ERRORS, ApiError, network_reason
from .local_ip import local_ip
from .openapi import CredentialsRefused, DingTalkApi
from .settings import RobotSettings
from ..Meta.robot_status import RobotStatus

MAX_FRAME_BYTES = 16 * 1024 * 1024  # the SDK's websockets default of 1 MiB drops big frames
CLOSE_TIMEOUT = 0.5
STABLE_AFTER = 30.0  # a connection that lived this long resets the backoff
QUICK_RECONNECT_SPACING = 5.0  # a `disconnect` reconnects at once, but not twice within this
TOPIC_DISCONNECT = SystemMessage.TOPIC_DISCONNECT

OnCallback = Callable[[CallbackMessage], None]


class StreamConnection:
    """Keeps one WebSocket to DingTalk open until cancelled; `run()` never returns on its own."""

    def __init__(
        self,
        api: DingTalkApi,
        settings: RobotSettings,
        topics: list[str],
        on_callback: OnCallback,
        status: RobotStatus,
        logger: logging.Logger,
        holder: str = "",
        claim_wait: float = 1.0,
        on_connected: Callable[[], None] = lambda: None,
    ) -> None:
        self.api = api
        self.settings = settings
        self.topics = topics
        self.on_callback = on_callback
        self.status = status
        self.log = logger
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.backoff = Backoff(settings.reconnect_min, settings.reconnect_max)
        self.holder = holder or settings.client_id
        self.claim_wait = claim_wait
        self._claim: object | None = None
        self.on_connected = on_connected
        self._last_quick_reconnect = -QUICK_RECONNECT_SPACING

    async def run(self) -> None:
        """Connect, serve, reconnect with backoff; ends only by cancellation (closing the socket)."""
        try:
            while True:
                self.status.connecting()
                refused = False
                try:
                    if self._claim is None:
                        self._claim = await claims.claim(self.settings.client_id, self.holder, self.claim_wait)
                    reason, reconnect_now = await self._serve_once()
                except (CredentialsRefused, claims.ClientIdBusy) as exc:
                    reason, reconnect_now, refused = str(exc), False, True
                except ApiError as exc:
                    reason, reconnect_now = str(exc), False
                except aiohttp.WSServerHandshakeError as exc:
                    reason, reconnect_now = f"WebSocket handshake refused (HTTP {exc.status})", False
                except asyncio.TimeoutError:  # before NETWORK_ERRORS: TimeoutError is an OSError
                    reason, reconnect_now = f"WebSocket connect timed out after {self.settings.http_timeout:g} s", False
                except NETWORK_ERRORS as exc:
                    reason, reconnect_now = f"WebSocket connect failed: {network_reason(exc)}", False
                except Exception as exc:  # a bug must not end the robot: log it and reconnect
                    self.log.exception("unexpected error in the connection loop")
                    reason, reconnect_now = f"unexpected error: {_describe(exc)}", False
                if reconnect_now and time.monotonic() - self._last_quick_reconnect > QUICK_RECONNECT_SPACING:
                    self._last_quick_reconnect = time.monotonic()
                    self.log.info("reconnecting at once: %s", reason)
                    continue
                delay = self.backoff.next()
                self.status.backing_off(reason, delay, refused)
                log = self.log.error if refused else self.log.warning
                log("%s; retrying in %.1f s", reason, delay)
                await asyncio.sleep(delay)
        finally:
            await self.close()
            if self._claim is not None:
                claims.release(self.settings.client_id, self._claim)
                self._claim = None

    async def close(self) -> None:
        """Close the socket now (within CLOSE_TIMEOUT; aborted past it)."""
        ws, self.ws = self.ws, None
        if ws is not None and not ws.closed:
            try:
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)
            except (asyncio.TimeoutError, aiohttp.ClientError, OSError):  # aiohttp aborts the transport then
                pass

    async def _serve_once(self) -> tuple[str, bool]:
        """One connection from ticket to close; returns (why it ended, reconnect at once?)."""
        started = time.monotonic()
        endpoint, ticket = await self.api.open_stream(self.topics, local_ip())
        url = f"{endpoint}{'&' if '?' in endpoint else '?'}ticket={quote_plus(ticket)}"
        async with asyncio.timeout(self.settings.http_timeout):
            ws = await self.api.session.ws_connect(
                url,
                heartbeat=self.settings.heartbeat,
                autoping=True,
                max_msg_size=MAX_FRAME_BYTES,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CLOSE_TIMEOUT),
            )
        self.ws = ws
        connected_at = time.monotonic()
        self.status.connected()
        self.log.info("connected to DingTalk in %.0f ms (connection #%d)", (connected_at - started) * 1000, self.status.connections)
        self.on_connected()
        disconnect_asked = False
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    if await self._on_frame(ws, message.data):
                        disconnect_asked = True
                        break
                elif message.type == aiohttp.WSMsgType.BINARY:
                    self.log.warning("ignored a binary frame (%d bytes)", len(message.data))
        finally:
            await self.close()
        lived = time.monotonic() - connected_at
        if lived >= STABLE_AFTER:
            self.backoff.reset()
        if disconnect_asked:
            self.backoff.reset()
            return "DingTalk asked this connection to reconnect", True
        error = ws.exception()
        if isinstance(error, aiohttp.ServerTimeoutError):
            reason = f"connection dead: no frame and no pong within {self.settings.heartbeat * 1.5:g} s"
        elif error is not None:
            reason = f"connection lost: {_describe(error)}"
        else:
            reason = f"connection closed by DingTalk (code {ws.close_code})"
        self.log.warning("disconnected after %.1f s: %s", lived, reason)
        return reason, False

    async def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, raw: str) -> bool:
        """ACK one frame on the socket it came in on, then hand it on; True for `disconnect`."""
        self.status.frame()
        try:
            frame = json.loads(raw)
            kind = frame.get("type", "")
            if kind == SystemMessage.TYPE:
                message: Any = SystemMessage.from_dict(frame)
            elif kind == CallbackMessage.TYPE:
                message = CallbackMessage.from_dict(frame)
            elif kind == EventMessage.TYPE:
                message = EventMessage.from_dict(frame)
            else:
                raise ValueError(f"unknown frame type {kind!r}")
        except (ValueError, TypeError, AttributeError) as exc:
            await self._ack_unparsable(ws, raw, exc)
            return False
        if isinstance(message, SystemMessage):
            await self._send_ack(ws, _ack(message, AckMessage.STATUS_OK, "OK", message.data))
            return message.headers.topic == TOPIC_DISCONNECT
        if isinstance(message, EventMessage):
            await self._send_ack(ws, _ack(message, AckMessage.STATUS_OK, "OK", message.data))
            return False
        known = message.headers.topic in self.topics
        code = AckMessage.STATUS_OK if known else AckMessage.STATUS_NOT_IMPLEMENT
        await self._send_ack(ws, _ack(message, code, "", {"response": {}}))
        if known:
            self.on_callback(message)
        else:
            self.log.warning("ACKed a callback of an unsubscribed topic %s", message.headers.topic)
        return False

    async def _send_ack(self, ws: aiohttp.ClientWebSocketResponse, ack: AckMessage) -> None:
        try:
            await ws.send_str(json.dumps(ack.to_dict()))
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self.log.warning("could not ACK message %s: %s", ack.headers.message_id, _describe(exc))

    async def _ack_unparsable(self, ws: aiohttp.ClientWebSocketResponse, raw: str, exc: Exception) -> None:
        """A frame the SDK cannot parse is ACKed with 400 when it has a messageId (else DingTalk
        would redeliver it forever)."""
        self.log.warning("unparsable frame (%s): %.200s", exc, raw)
        with contextlib.suppress(Exception):
            message_id = json.loads(raw)["headers"]["messageId"]
            ack = AckMessage()
            ack.code = AckMessage.STATUS_BAD_REQUEST
            ack.headers.message_id = message_id
            ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
            ack.message = "unparsable frame"
            await self._send_ack(ws, ack)


def _ack(message: Any, code: int, text: str, data: Any) -> AckMessage:
    """An ACK built with the SDK's AckMessage, as its handlers build them."""
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message.headers.message_id
    ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
    ack.message = text
    ack.data = data
    return ack


def _describe(exc: BaseException) -> str:
    """An exception as one short line without URLs (they may hold a ticket)."""
    text = str(exc)
    if "://" in text:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
