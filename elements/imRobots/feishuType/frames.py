"""Feishu's long-connection frames: the SDK's protobuf `pbbp2.Frame`, read and written here once
for the robot's connection and the simulator.

Importing it imports all of `lark_oapi` (seconds of CPU): the robot imports this module off
its event loop (see robot.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lark_oapi.ws.const import (HEADER_BIZ_RT, HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TRACE_ID,
                                HEADER_TYPE)
from lark_oapi.ws.enum import FrameType, MessageType
from lark_oapi.ws.pb.google.protobuf.message import DecodeError
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

CONTROL, DATA = FrameType.CONTROL.value, FrameType.DATA.value
PING, PONG, EVENT, CARD = (MessageType.PING.value, MessageType.PONG.value, MessageType.EVENT.value, MessageType.CARD.value)

__all__ = ["CARD", "CONTROL", "DATA", "EVENT", "PING", "PONG", "DecodeError", "Frame", "FrameParts", "data_frame",
           "header", "parse", "ping_frame", "pong_frame", "response_frame", "response_of"]


def parse(raw: bytes) -> Frame:
    """A received frame (DecodeError when the bytes are not one, e.g. a required field is missing)."""
    frame = Frame()
    frame.ParseFromString(raw)
    return frame


def header(frame: Frame, key: str, default: str = "") -> str:
    """One header's value, or `default`."""
    return next((h.value for h in frame.headers if h.key == key), default)


def _frame(method: int, service: int, headers: dict[str, str], payload: bytes = b"", seq_id: int = 0, log_id: int = 0) -> Frame:
    frame = Frame(SeqID=seq_id, LogID=log_id, service=service, method=method)
    for key, value in headers.items():
        frame.headers.add(key=key, value=value)
    if payload:
        frame.payload = payload
    return frame


def ping_frame(service: int) -> bytes:
    """The client's ping (sent right after connecting and every PingInterval s)."""
    return _frame(CONTROL, service, {HEADER_TYPE: PING}).SerializeToString()


def pong_frame(service: int, client_config: dict[str, Any] | None = None) -> bytes:
    """The server's pong; its payload, when any, is the ClientConfig the client applies."""
    payload = json.dumps(client_config).encode() if client_config else b""
    return _frame(CONTROL, service, {HEADER_TYPE: PONG}, payload).SerializeToString()


def data_frame(service: int, seq_id: int, message_id: str, payload: bytes, *, kind: str = EVENT, total: int = 1, part: int = 0,
               trace_id: str = "") -> bytes:
    """A pushed event (or part `part` of `total` of one), as Feishu sends it."""
    headers = {HEADER_TYPE: kind, HEADER_MESSAGE_ID: message_id, HEADER_SUM: str(total), HEADER_SEQ: str(part),
               HEADER_TRACE_ID: trace_id or message_id}
    return _frame(DATA, service, headers, payload, seq_id=seq_id, log_id=seq_id).SerializeToString()


def response_frame(received: Frame, code: int = 200, data: bytes | None = None, biz_rt_ms: int = 0) -> bytes:
    """The received frame sent back with `biz_rt` and the response payload, as the SDK answers."""
    frame = Frame()
    frame.CopyFrom(received)
    frame.headers.add(key=HEADER_BIZ_RT, value=str(biz_rt_ms))
    body: dict[str, Any] = {"code": code}
    if data is not None:
        body["data"] = data.decode()
    frame.payload = json.dumps(body).encode()
    return frame.SerializeToString()


def response_of(frame: Frame) -> dict[str, Any]:
    """A response frame's payload ({"code": 200, "data": base64}); {} when it is not JSON."""
    try:
        body = json.loads(frame.payload or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass
class FrameParts:
    """The parts of split payloads, by message_id, until each is complete (then forgotten)."""

    max_messages: int = 1000

    def __post_init__(self) -> None:
        self._parts: dict[str, list[bytes | None]] = {}

    def add(self, message_id: str, total: int, part: int, payload: bytes) -> bytes | None:
        """The whole payload once every part arrived, else None."""
        if total <= 1:
            return payload
        if not 0 <= part < total:
            raise ValueError(f"part {part} of {total}")
        parts = self._parts.setdefault(message_id, [None] * total)
        if len(parts) != total:
            parts = self._parts[message_id] = [None] * total
        parts[part] = payload
        if any(p is None for p in parts):
            while len(self._parts) > self.max_messages:
                self._parts.pop(next(iter(self._parts)))
            return None
        del self._parts[message_id]
        return b"".join(p for p in parts if p is not None)
