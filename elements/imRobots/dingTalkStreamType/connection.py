"""The robot's own stream connection loop (the SDK's `start()` cannot be stopped, swallows a
first cancel, sleeps 10 s between attempts and blocks the loop in `open_connection`).

Per attempt: POST the credentials for a ticket, open the WebSocket, then read frames. Each
frame is parsed with the SDK's frame classes and ACKed on the socket it came in on. A callback
the robot keeps first (`before_ack`: a question is journaled, a feedback press stored) is ACKed
once it is kept, in a task, so reading goes on meanwhile; the robot answers in tasks of its own. A frame over MAX_FRAME_BYTES is refused with an ACK once, so
DingTalk does not send it again on every connect. A socket whose pong does not come within
`heartbeat`/2 seconds of a ping is dead (heartbeat.py): close it and reconnect. Failures back
off from `reconnect_min` to `reconnect_max` seconds, jittered; a connection that delivered a
frame starts the backoff again from the first delay.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote_plus

import aiohttp
from dingtalk_stream import AckMessage, CallbackMessage, EventMessage, SystemMessage
from dingtalk_stream.frames import Headers

from ..Meta.connection_loop import CLOSE_TIMEOUT, Ended, ReconnectingConnection
from ..Meta.network_errors import NETWORK_ERRORS, network_reason
from ..Meta.network_errors import describe as _describe
from .heartbeat import Heartbeat
from .http import ApiError
from .local_ip import local_ip
from .openapi import CredentialsRefused, DingTalkApi
from .settings import RobotSettings
from ..Meta.robot_status import RobotStatus

MAX_FRAME_BYTES = 16 * 1024 * 1024  # larger frames are refused (the SDK's websockets default of 1 MiB drops big frames)
MESSAGE_ID = re.compile(r'"messageId"\s*:\s*"([^"\\]+)"')  # the frame's own header (inside `data` quotes are escaped)
STABLE_AFTER = 30.0  # a connection that lived this long resets the backoff
TOPIC_DISCONNECT = SystemMessage.TOPIC_DISCONNECT

BeforeAck = Callable[[CallbackMessage], Awaitable[bool] | None]


class StreamConnection(ReconnectingConnection):
    """Keeps one WebSocket to DingTalk open until cancelled; `run()` (the family's) never returns on its own."""

    refusals = (CredentialsRefused,)
    api_errors = (ApiError,)
    network_errors = NETWORK_ERRORS
    _network_reason = staticmethod(network_reason)  # the robot's proxy too

    def __init__(
        self,
        api: DingTalkApi,
        settings: RobotSettings,
        topics: list[str],
        before_ack: BeforeAck,
        status: RobotStatus,
        logger: logging.Logger,
        holder: str = "",
        claim_wait: float = 1.0,
        on_connected: Callable[[], None] = lambda: None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        super().__init__(settings.client_id, settings, status, logger, holder, claim_wait, on_connected)
        self.api = api
        self.settings = settings
        self.topics = topics
        self.before_ack = before_ack
        self.max_frame_bytes = max_frame_bytes
        self._acks_after_keeping: set[asyncio.Task[None]] = set()

    def _stopping(self) -> None:
        for task in self._acks_after_keeping:
            task.cancel()

    async def _serve_once(self) -> Ended:
        """One connection from ticket to close; why it ended (at once: DingTalk asked to reconnect)."""
        started = time.monotonic()
        endpoint, ticket = await self.api.open_stream(self.topics, local_ip())
        url = f"{endpoint}{'&' if '?' in endpoint else '?'}ticket={quote_plus(ticket)}"
        async with asyncio.timeout(self.settings.http_timeout):
            ws = await self.api.session.ws_connect(
                url,
                autoping=False,  # pings and pongs are read here: only a pong proves the socket alive
                max_msg_size=0,  # any size is read, so an oversize frame can be refused rather than resent forever
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CLOSE_TIMEOUT),
            )
        self.ws = ws
        connected_at = time.monotonic()
        self.status.connected()
        self.log.info("connected to DingTalk in %.0f ms (connection #%d)", (connected_at - started) * 1000, self.status.connections)
        self.on_connected()
        disconnect_asked = False
        heartbeat = Heartbeat(ws, self.settings.heartbeat)
        beating = asyncio.create_task(self._beat(heartbeat), name=f"{self.holder}: heartbeat")
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    if self.backoff.failures:
                        self.backoff.reset()  # this connection works: a later drop retries after the first delay
                    if await self._on_frame(ws, message.data):
                        disconnect_asked = True
                        break
                elif message.type == aiohttp.WSMsgType.PING:
                    await ws.pong(message.data)
                elif message.type == aiohttp.WSMsgType.PONG:
                    heartbeat.pong()
                elif message.type == aiohttp.WSMsgType.BINARY:
                    self.log.warning("ignored a binary frame (%d bytes)", len(message.data))
        finally:
            beating.cancel()
            await self.close()
        lived = time.monotonic() - connected_at
        if lived >= STABLE_AFTER:
            self.backoff.reset()
        if disconnect_asked:
            self.backoff.reset()
            return Ended("DingTalk asked this connection to reconnect", at_once=True)
        error = ws.exception()
        if heartbeat.dead:
            reason = f"connection dead: no pong within {heartbeat.pong_timeout:g} s of a ping"
        elif error is not None:
            reason = f"connection lost: {_describe(error)}"
        else:
            reason = f"connection closed by DingTalk (code {ws.close_code})"
        self.log.warning("disconnected after %.1f s: %s", lived, reason)
        return Ended(reason)

    async def _beat(self, heartbeat: Heartbeat) -> None:
        """Ping until the socket is found dead, then close it (the reading loop ends)."""
        await heartbeat.run()
        if heartbeat.dead:
            await self.close()

    async def _on_frame(self, ws: aiohttp.ClientWebSocketResponse, raw: str) -> bool:
        """ACK one frame on the socket it came in on, then hand it on; True for `disconnect`."""
        self.status.frame()
        if len(raw) > self.max_frame_bytes:
            await self._refuse_oversize(ws, raw)
            return False
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
        keeping = self.before_ack(message) if known else None
        if keeping is not None:
            task = asyncio.create_task(self._ack_once_kept(ws, message, keeping), name=f"{self.holder}: keep {message.headers.message_id}")
            self._acks_after_keeping.add(task)
            task.add_done_callback(self._acks_after_keeping.discard)
            return False
        code = AckMessage.STATUS_OK if known else AckMessage.STATUS_NOT_IMPLEMENT
        await self._send_ack(ws, _ack(message, code, "", {"response": {}}))
        if not known:
            self.log.warning("ACKed a callback of an unsubscribed topic %s", message.headers.topic)
        return False

    async def _ack_once_kept(self, ws: aiohttp.ClientWebSocketResponse, message: CallbackMessage, keeping: Awaitable[bool]) -> None:
        """ACK a callback the robot keeps first; not kept: no ACK, so DingTalk sends it again."""
        if await keeping:
            await self._send_ack(ws, _ack(message, AckMessage.STATUS_OK, "", {"response": {}}))

    async def _refuse_oversize(self, ws: aiohttp.ClientWebSocketResponse, raw: str) -> None:
        """Refuse a frame over the size limit with an ACK (code 400), unread: without any answer
        DingTalk would send it again on every connect, and nothing after it would get through."""
        found = MESSAGE_ID.search(raw)
        self.log.warning("refused a frame of %d characters (over the %d limit)%s", len(raw), self.max_frame_bytes,
                         f": messageId {found.group(1)}" if found else " without a messageId")
        if found:
            await self._send_ack(ws, _refusal(found.group(1), "frame too large"))

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
            await self._send_ack(ws, _refusal(json.loads(raw)["headers"]["messageId"], "unparsable frame"))


def _ack(message: Any, code: int, text: str, data: Any) -> AckMessage:
    """An ACK built with the SDK's AckMessage, as its handlers build them."""
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message.headers.message_id
    ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
    ack.message = text
    ack.data = data
    return ack


def _refusal(message_id: str, text: str) -> AckMessage:
    """An ACK with code 400: the frame is answered (DingTalk stops resending it) but not taken."""
    ack = AckMessage()
    ack.code = AckMessage.STATUS_BAD_REQUEST
    ack.headers.message_id = message_id
    ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
    ack.message = text
    return ack
