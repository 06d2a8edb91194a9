"""The long connection as Feishu runs it: endpoint discovery, the WebSocket of protobuf frames,
ping/pong carrying the ClientConfig, events pushed to one random live connection of the app
(split into parts when asked), responses matched to their push, and redelivery of events
nobody answered with code 200.
"""
from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .. import frames
from .apps import AppRegistry
from .records import ApiCall, ConnectionRecord, Delivery, Recorder

MAX_CONNECTIONS = 50  # per app, as Feishu allows
EXCEED_CONN_LIMIT = 1000040350
REDELIVERY_DELAYS = (15.0, 300.0, 3600.0, 21600.0)  # Feishu's 4 retries; the simulator scales them


@dataclass
class _Live:
    record: ConnectionRecord
    ws: web.WebSocketResponse
    frozen: bool = False


@dataclass
class Gateway:
    """Connections and deliveries of every app; runs on the simulator's loop."""

    apps: AppRegistry
    recorder: Recorder
    base_url: str = ""
    client_config: dict[str, int] = field(default_factory=lambda: {
        "ReconnectCount": -1, "ReconnectInterval": 5, "ReconnectNonce": 1, "PingInterval": 120})
    redeliver_after: float | None = None  # the first retry's delay; None: Feishu's 15 s scale
    max_connections: int = MAX_CONNECTIONS
    busy: bool = False  # the endpoint answers "system busy" (code 1)

    def __post_init__(self) -> None:
        self._tickets: dict[str, tuple[str, str, int]] = {}
        self._live: dict[str, _Live] = {}
        self._waiting: list[Delivery] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._seq = 0

    # -- endpoint and socket ------------------------------------------------------------------
    async def endpoint(self, request: web.Request) -> web.Response:
        """POST /callback/ws/endpoint {AppID, AppSecret} -> the socket URL and the ClientConfig."""
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            body = {}
        code, msg = (1, "system busy") if self.busy else self.apps.check(str(body.get("AppID", "")), str(body.get("AppSecret", "")))
        self.recorder.write("api_calls_", ApiCall(request.method, request.path, 200, code, str(body.get("AppID", "")), time.time()))
        if code:
            return web.json_response({"code": code, "msg": msg})
        ticket, device_id = secrets.token_urlsafe(16), uuid.uuid4().hex[:16]
        service_id = random.randint(10_000, 99_999)
        self._tickets[ticket] = (body["AppID"], device_id, service_id)
        ws_base = self.base_url.replace("http://", "ws://", 1)
        url = f"{ws_base}/ws?device_id={device_id}&service_id={service_id}&access_key={secrets.token_hex(8)}&ticket={ticket}"
        return web.json_response({"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": dict(self.client_config)}})

    async def socket(self, request: web.Request) -> web.StreamResponse:
        """GET /ws?ticket=...: the long connection (a ticket is good for one upgrade)."""
        found = self._tickets.pop(request.query.get("ticket", ""), None)
        if found is None:
            return _handshake_refusal(403, "invalid ticket")
        app_id, device_id, service_id = found
        if sum(1 for live in self._live.values() if live.record.client_id == app_id) >= self.max_connections:
            return _handshake_refusal(514, "exceed connection limit", EXCEED_CONN_LIMIT)
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        record = ConnectionRecord(device_id, app_id, service_id, time.time())
        self.recorder.write("connections_", record)
        self._live[device_id] = _Live(record, ws)
        for delivery in [d for d in self._waiting if d.client_id == app_id]:
            self._waiting.remove(delivery)
            self._spawn(self._deliver(delivery))
        try:
            async for message in ws:
                if message.type == WSMsgType.BINARY:
                    await self._on_frame(self._live.get(device_id), message.data)
        finally:
            self._live.pop(device_id, None)
            with self.recorder.locked():
                if record.closed_at is None:
                    record.closed_at, record.closed_by = time.time(), "client"
        return ws

    async def _on_frame(self, live: _Live | None, raw: bytes) -> None:
        if live is None or live.frozen:
            return
        try:
            frame = frames.parse(raw)
        except frames.DecodeError:
            return
        kind = frames.header(frame, "type")
        if frame.method == frames.CONTROL and kind == frames.PING:
            with self.recorder.locked():
                live.record.pings += 1
            await live.ws.send_bytes(frames.pong_frame(live.record.service_id, self.client_config))
        elif frame.method == frames.DATA:
            self._on_response(live, frame)

    def _on_response(self, live: _Live, frame: frames.Frame) -> None:
        frame_id = frames.header(frame, "message_id")
        body = frames.response_of(frame)
        data = body.get("data")
        try:
            decoded = json.loads(base64.b64decode(data)) if isinstance(data, str) else None
        except ValueError:
            decoded = None
        with self.recorder.locked():
            delivery = next((d for d in self.recorder.deliveries_.values() if frame_id in d.frame_ids), None)
            if delivery is not None:
                delivery.responses.append({"code": body.get("code"), "data": decoded, "at": time.time(), "frame_id": frame_id,
                                           "connection_id": live.record.connection_id, "biz_rt": frames.header(frame, "biz_rt")})

    # -- pushing ------------------------------------------------------------------------------
    def push(self, client_id: str, envelope: dict[str, Any], kind: str, parts: int = 1) -> Delivery:
        """Push an event envelope to one live connection of the app (queued until there is one)."""
        event_id = envelope["header"]["event_id"]
        delivery = Delivery(event_id, client_id, json.dumps(envelope, ensure_ascii=False).encode(), kind)
        with self.recorder.locked():
            self.recorder.deliveries_[event_id] = delivery
        self._spawn(self._deliver(delivery, parts))
        return delivery

    async def redeliver(self, event_id: str) -> bool:
        """Push an event again now, as Feishu does when it got no code 200 in time."""
        delivery = self.recorder.deliveries_.get(event_id)
        if delivery is None:
            return False
        await self._deliver(delivery, schedule=False)
        return True

    async def _deliver(self, delivery: Delivery, parts: int = 1, schedule: bool = True) -> None:
        candidates = [live for live in self._live.values() if live.record.client_id == delivery.client_id]
        if not candidates:
            self._waiting.append(delivery)
            return
        live = random.choice(candidates)
        frame_id = uuid.uuid4().hex
        with self.recorder.locked():
            delivery.tries += 1
            delivery.frame_ids.append(frame_id)
        payload, parts = delivery.payload, max(1, parts)
        size = -(-len(payload) // parts)
        for part in range(parts):
            self._seq += 1
            chunk = payload[part * size:(part + 1) * size]
            raw = frames.data_frame(live.record.service_id, self._seq, frame_id, chunk, total=parts, part=part)
            if not live.frozen:
                try:
                    await live.ws.send_bytes(raw)
                except ConnectionError:
                    break
        with self.recorder.locked():
            delivery.sent_at.append(time.time())
        if schedule:
            self._spawn(self._redeliver_later(delivery, delivery.tries))

    async def _redeliver_later(self, delivery: Delivery, tries: int) -> None:
        if tries > len(REDELIVERY_DELAYS):
            return
        scale = (self.redeliver_after or REDELIVERY_DELAYS[0]) / REDELIVERY_DELAYS[0]
        await asyncio.sleep(REDELIVERY_DELAYS[tries - 1] * scale)
        if not delivery.answered and delivery.tries == tries:
            await self._deliver(delivery)

    # -- control ------------------------------------------------------------------------------
    def live_connections(self, client_id: str) -> list[ConnectionRecord]:
        return [live.record for live in self._live.values() if live.record.client_id == client_id]

    async def drop(self, client_id: str) -> int:
        """Cut the app's connections abruptly (no close frame), as a network failure does."""
        dropped = [live for live in list(self._live.values()) if live.record.client_id == client_id]
        for live in dropped:
            with self.recorder.locked():
                live.record.closed_at, live.record.closed_by = time.time(), "drop"
            transport = live.ws._req.transport if live.ws._req is not None else None  # noqa: SLF001 - an abrupt cut
            if transport is not None:
                transport.abort()
        return len(dropped)

    def freeze(self, client_id: str, frozen: bool = True) -> int:
        """Stop answering pings and pushing on the app's connections (a dead link that stays open)."""
        found = [live for live in self._live.values() if live.record.client_id == client_id]
        for live in found:
            live.frozen = frozen
        return len(found)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for live in list(self._live.values()):
            await live.ws.close()


def _handshake_refusal(status: int, message: str, auth_code: int | None = None) -> web.Response:
    """A refused upgrade with Feishu's handshake headers (the SDK reads them)."""
    headers = {"handshake-status": str(status), "handshake-msg": message}
    if auth_code is not None:
        headers["handshake-autherrcode"] = str(auth_code)
    return web.Response(status=403 if status == 403 else 400, headers=headers, text=message)
