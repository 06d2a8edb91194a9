"""The stream gateway: ``POST /v1.0/gateway/connections/open`` and the WebSocket behind it.

How the SDK connects (dingtalk_stream/stream.py): it POSTs its credentials and
subscriptions, gets ``{endpoint, ticket}``, then opens ``{endpoint}?ticket=...``. The server
pushes frames; the client answers each with a response frame (its ACK).

The simulator adds the failure modes a robot must survive, per connection:

* **drop**: the TCP connection is aborted with no close frame (the client sees 1006);
* **freeze**: the server stops sending frames, ignores the client's frames, and stops
  answering WebSocket pings and close frames, like a dead route; the client has to notice
  on its own (ping timeout) and reconnect;
* **disconnect**: a SYSTEM ``disconnect`` frame, optionally followed by a server close;
* **ignore pings**: frames still go out but WebSocket pings get no pong (a half-dead route).

Tickets are single-use and expire after ``ticket_ttl`` seconds. Only connections that are
open, not frozen, and subscribed to a frame's type and topic receive it. Like DingTalk, an app
with several such connections (several replicas of one robot) gets each frame on one of them,
taken in turn; see :mod:`simulator.delivery` for ACK tracking and redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import frames
from .app_registry import AppRegistry
from .jsonhttp import INVALID_AUTHENTICATION, INVALID_PARAMETER, openapi_error, read_json_object
from .recorder import AckRecord, ApiCall, ConnectionRecord, FrameRecord, Recorder

log = logging.getLogger(__name__)

OPEN_PATH = "/v1.0/gateway/connections/open"
CONNECT_PATH = "/connect"


@dataclass
class _Ticket:
    client_id: str
    subscriptions: list[dict[str, str]]
    ua: str
    local_ip: str
    expires_at: float


@dataclass
class StreamConnection:
    """A live WebSocket of one app, with the switches the test API flips on it."""

    connection_id: str
    client_id: str
    ws: web.WebSocketResponse
    request: web.Request
    subscriptions: list[dict[str, str]]
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    frozen: bool = False
    deaf_to_pings: bool = False  # frames still go out, WebSocket pings get no pong
    dropped: bool = False
    server_closing: bool = False
    close_done: asyncio.Event = field(default_factory=asyncio.Event)

    def subscribed(self, frame_type: str, topic: str) -> bool:
        """True when this connection asked for frames of this type and topic."""
        if frame_type == frames.TYPE_SYSTEM:
            return True
        return any(s.get("type") == frame_type and s.get("topic") in (topic, "*")
                   for s in self.subscriptions)


AckListener = Callable[[str, str], None]  # (client_id, message_id)


class Gateway:
    """Opens stream connections, pushes frames on them, and reports ACKs."""

    def __init__(self, apps: AppRegistry, recorder: Recorder, *,
                 ws_base_url: Callable[[], str], ticket_ttl: float = 60.0) -> None:
        self._apps = apps
        self._recorder = recorder
        self._ws_base_url = ws_base_url
        self._ticket_ttl = ticket_ttl
        self._tickets: dict[str, _Ticket] = {}
        self._connections: dict[str, StreamConnection] = {}
        self._of_app: dict[str, dict[str, StreamConnection]] = {}  # clientId -> its open connections, oldest first
        self._ack_listeners: list[AckListener] = []
        self._close_tasks: set[asyncio.Task[None]] = set()
        self._turns: dict[str, int] = {}  # per app: how many frames went out, to take its connections in turn

    def add_routes(self, app: web.Application) -> None:
        """Mount the open-connection endpoint and the WebSocket endpoint."""
        app.router.add_post(OPEN_PATH, self._handle_open)
        app.router.add_get(CONNECT_PATH, self._handle_connect)

    def on_ack(self, listener: AckListener) -> None:
        """Call ``listener(client_id, message_id)`` for every response frame received."""
        self._ack_listeners.append(listener)

    # -- HTTP: open a connection ----------------------------------------------------------

    async def _handle_open(self, request: web.Request) -> web.Response:
        """Check credentials and hand out a single-use ticket for the WebSocket."""
        body = await read_json_object(request)
        if body is None:
            return self._refuse(400, INVALID_PARAMETER, "request body must be a JSON object", "")
        client_id = body.get("clientId")
        app = self._apps.authenticate(client_id, body.get("clientSecret"))
        if app is None:
            return self._refuse(401, INVALID_AUTHENTICATION,
                                "clientId or clientSecret is invalid", str(client_id or ""))
        subscriptions = body.get("subscriptions") or []
        if not isinstance(subscriptions, list) or not all(
                isinstance(s, dict) and s.get("type") in (frames.TYPE_EVENT, frames.TYPE_CALLBACK)
                and isinstance(s.get("topic"), str) for s in subscriptions):
            return self._refuse(400, INVALID_PARAMETER,
                                "subscriptions must be [{type: EVENT|CALLBACK, topic}]", app.client_id)
        now = time.monotonic()
        for stale in [t for t, v in self._tickets.items() if v.expires_at < now]:
            del self._tickets[stale]
        ticket = uuid.uuid4().hex
        self._tickets[ticket] = _Ticket(
            client_id=app.client_id, subscriptions=subscriptions, ua=str(body.get("ua", "")),
            local_ip=str(body.get("localIp", "")), expires_at=now + self._ticket_ttl)
        self._recorder.add_api_call(ApiCall("POST", OPEN_PATH, 200, app.client_id, time.time()))
        return web.json_response({"endpoint": self._ws_base_url() + CONNECT_PATH, "ticket": ticket})

    def _refuse(self, status: int, code: str, message: str, client_id: str) -> web.Response:
        """Record and build an error answer of the open endpoint."""
        self._recorder.add_api_call(ApiCall("POST", OPEN_PATH, status, client_id, time.time(), code))
        return openapi_error(status, code, message)

    # -- WebSocket ------------------------------------------------------------------------

    async def _handle_connect(self, request: web.Request) -> web.StreamResponse:
        """Upgrade a ticket holder to a stream connection and serve it until it closes."""
        ticket = self._tickets.pop(request.query.get("ticket", ""), None)
        if ticket is None or ticket.expires_at < time.monotonic():
            return openapi_error(401, INVALID_AUTHENTICATION, "ticket is invalid or already used")
        # autoping/autoclose off: a frozen connection must be able to ignore both.
        ws = web.WebSocketResponse(autoping=False, autoclose=False, timeout=2.0)
        await ws.prepare(request)
        conn = StreamConnection(connection_id=uuid.uuid4().hex, client_id=ticket.client_id,
                                ws=ws, request=request, subscriptions=ticket.subscriptions)
        self._connections[conn.connection_id] = conn
        self._of_app.setdefault(conn.client_id, {})[conn.connection_id] = conn
        self._recorder.add_connection(ConnectionRecord(
            connection_id=conn.connection_id, client_id=conn.client_id, opened_at=time.time(),
            subscriptions=ticket.subscriptions, ua=ticket.ua, local_ip=ticket.local_ip))
        try:
            await self._serve(conn)
        finally:
            self._connections.pop(conn.connection_id, None)
            self._of_app.get(conn.client_id, {}).pop(conn.connection_id, None)
            closed_by = "drop" if conn.dropped else "server" if conn.server_closing else "client"
            code = 1006 if conn.dropped else ws.close_code
            code = int(code) if code is not None else None
            self._recorder.close_connection(conn.connection_id, code, closed_by)
        return ws

    async def _serve(self, conn: StreamConnection) -> None:
        """Read the client's frames: ACKs, pings and the close handshake."""
        ws = conn.ws
        while True:
            msg = await ws.receive()
            if msg.type == WSMsgType.TEXT:
                if not conn.frozen:
                    self._record_ack(conn, msg.data)
            elif msg.type == WSMsgType.PING:
                if not conn.frozen and not conn.deaf_to_pings:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.pong(msg.data)
            elif msg.type == WSMsgType.CLOSE:
                if conn.frozen:
                    await self._wait_transport_gone(conn)
                else:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.close()
                return
            elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                if conn.server_closing:  # let our close() finish its handshake first
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(conn.close_done.wait(), 3.0)
                return

    @staticmethod
    async def _wait_transport_gone(conn: StreamConnection) -> None:
        """A frozen server never answers a close frame: wait for the client to hang up."""
        while conn.frozen:
            transport = conn.request.transport
            if transport is None or transport.is_closing():
                return
            await asyncio.sleep(0.05)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.ws.close()

    def _record_ack(self, conn: StreamConnection, raw: str) -> None:
        """Record a client response frame and tell the listeners."""
        try:
            frame = frames.parse_client_frame(raw)
        except frames.ClientFrameError as exc:
            log.warning("ignoring a malformed client frame on %s: %s", conn.connection_id, exc)
            return
        message_id = frame["headers"]["messageId"]
        code = frame.get("code")
        self._recorder.add_ack(AckRecord(
            connection_id=conn.connection_id, client_id=conn.client_id, message_id=message_id,
            code=code if isinstance(code, int) else None, message=str(frame.get("message", "")),
            data=frames.decode_ack_data(frame.get("data")), raw=frame, at=time.time()))
        for listener in self._ack_listeners:
            listener(conn.client_id, message_id)

    # -- pushing frames -------------------------------------------------------------------

    def live(self, client_id: str) -> list[StreamConnection]:
        """Open connections of an app, newest first (frozen ones included); looked up by app, not
        among every app's (a burst to 1,000 apps scanned a million connections)."""
        return list(reversed(self._of_app.get(client_id, {}).values()))

    def target(self, client_id: str, frame_type: str, topic: str) -> StreamConnection | None:
        """The connection the next frame goes to: one of the app's open, not frozen, subscribed
        connections, each in turn (DingTalk spreads an app's events over its connections)."""
        usable = [conn for conn in self.live(client_id) if not conn.frozen and not conn.ws.closed and conn.subscribed(frame_type, topic)]
        if not usable:
            return None
        turn = self._turns.get(client_id, 0)
        self._turns[client_id] = turn + 1
        return usable[turn % len(usable)]

    async def send(self, conn: StreamConnection, frame: dict[str, Any], *,
                   redelivery: bool = False) -> bool:
        """Send a frame (stamped for this connection); False when the socket refused it."""
        if conn.frozen or conn.ws.closed:
            return False
        stamped = frames.readdressed(frame, conn.connection_id)
        async with conn.send_lock:
            try:
                await conn.ws.send_str(json.dumps(stamped, ensure_ascii=False))
            except (ConnectionError, RuntimeError) as exc:
                log.info("send on %s failed: %s", conn.connection_id, exc)
                return False
        self._recorder.add_frame(FrameRecord(conn.connection_id, conn.client_id, stamped,
                                             time.time(), redelivery))
        return True

    async def send_system(self, client_id: str, topic: str, data: dict[str, Any]) -> list[str]:
        """Send a SYSTEM frame to every usable connection of an app; returns messageIds."""
        sent = []
        for conn in self.live(client_id):
            frame = frames.stream_frame(frames.TYPE_SYSTEM, topic, data, app_id=client_id,
                                        connection_id=conn.connection_id)
            if await self.send(conn, frame):
                sent.append(frame["headers"]["messageId"])
        return sent

    # -- failure modes --------------------------------------------------------------------

    def drop(self, client_id: str) -> int:
        """Abort every connection of an app without a close frame; returns how many."""
        conns = self.live(client_id)
        for conn in conns:
            conn.dropped = True
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        return len(conns)

    def freeze(self, client_id: str, frozen: bool = True) -> int:
        """Freeze (or thaw) the app's current connections; new connections start thawed."""
        conns = self.live(client_id)
        for conn in conns:
            conn.frozen = frozen
            self._recorder.set_frozen(conn.connection_id, frozen)
        return len(conns)

    def ignore_pings(self, client_id: str, ignoring: bool = True) -> int:
        """Stop (or resume) answering the app's current connections' pings; frames still flow."""
        conns = self.live(client_id)
        for conn in conns:
            conn.deaf_to_pings = ignoring
        return len(conns)

    def close_later(self, client_id: str, delay: float, code: int = 1000) -> None:
        """Close the app's current connections cleanly after ``delay`` seconds if still open."""
        conns = self.live(client_id)

        async def close_them() -> None:
            await asyncio.sleep(delay)
            for conn in conns:
                await self._close(conn, code)

        task = asyncio.get_running_loop().create_task(close_them())
        self._close_tasks.add(task)
        task.add_done_callback(self._close_tasks.discard)

    async def _close(self, conn: StreamConnection, code: int) -> None:
        """Close one connection from the server side (a frozen one is aborted)."""
        if conn.ws.closed:
            return
        conn.server_closing = True
        if conn.frozen:
            conn.dropped = True
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            return
        try:
            with contextlib.suppress(ConnectionError, RuntimeError, asyncio.TimeoutError):
                await conn.ws.close(code=code, message=b"server closing")
        finally:
            conn.close_done.set()

    async def close_all(self) -> None:
        """Close every connection (going away), for shutdown."""
        for task in list(self._close_tasks):
            task.cancel()
        await asyncio.gather(*(self._close(c, 1001) for c in list(self._connections.values())),
                             return_exceptions=True)
