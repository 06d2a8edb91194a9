"""What the Feishu simulator saw and did, for tests, the playground and the control API.

One lock guards every list: the simulator's loop writes while a test thread or the editor
reads. Readers get copies, never the live records.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConnectionRecord:
    """One long connection of an app, from upgrade to close."""

    connection_id: str
    client_id: str
    service_id: int
    opened_at: float
    closed_at: float | None = None
    closed_by: str = ""  # client | server | drop
    pings: int = 0

    @property
    def live(self) -> bool:
        return self.closed_at is None


@dataclass
class MessageRecord:
    """A chat message the simulator pushed to an app (im.message.receive_v1), once per message_id."""

    msg_id: str  # Feishu's message_id (om_...)
    event_id: str
    client_id: str
    conversation_id: str  # chat_id
    conversation_type: str  # "2" group, "1" single chat (the family's playground reads these)
    sender_staff_id: str  # the sender's open_id
    sender_nick: str
    text: str
    envelope: dict[str, Any]
    at: float


@dataclass
class Delivery:
    """One pushed event (a message or a card callback) and every try to deliver it."""

    event_id: str
    client_id: str
    payload: bytes
    kind: str  # "message" | "card"
    frame_ids: list[str] = field(default_factory=list)  # the frame message_id of each try
    sent_at: list[float] = field(default_factory=list)  # when each try's last frame went out
    responses: list[dict[str, Any]] = field(default_factory=list)  # {code, data, at, frame_id, connection_id}
    tries: int = 0
    created_at: float = field(default_factory=time.time)

    @property
    def answered(self) -> bool:
        return any(r.get("code") == 200 for r in self.responses)

    @property
    def response_latency(self) -> float | None:
        """Seconds from the first try's last frame to its response (None before one came)."""
        first = next((r for r in self.responses if self.frame_ids and r.get("frame_id") == self.frame_ids[0]), None)
        return first["at"] - self.sent_at[0] if first and self.sent_at else None


@dataclass
class CardVersion:
    """One state of a card entity: its whole card JSON after an operation."""

    card_data: dict[str, Any]
    at: float
    kind: str  # create | content | settings | update


@dataclass
class CardRecord:
    """A CardKit card entity and every state it went through."""

    card_biz_id: str  # the card_id (the family's playground calls it card_biz_id)
    client_id: str
    versions: list[CardVersion] = field(default_factory=list)
    sequence: int = 0
    reply_to_msg_id: str = ""  # the question it was sent in reply to
    message_id: str = ""  # the interactive message that carries it
    conversation_id: str = ""
    op_times: list[float] = field(default_factory=list)  # for the per-card rate limit

    @property
    def latest(self) -> dict[str, Any]:
        return self.versions[-1].card_data

    @property
    def streaming(self) -> bool:
        return bool(self.latest.get("config", {}).get("streaming_mode"))


@dataclass
class PlainReply:
    """A text, post or interactive (non-entity) message the robot sent in a chat."""

    msg_id: str  # the question it replies to ("" for a message sent without reply)
    message_id: str
    client_id: str
    conversation_id: str
    msg_type: str
    body: dict[str, Any]  # {"msg_type": ..., "content": <parsed content>}
    at: float


@dataclass
class ButtonPress:
    """A simulated press on a card button and the callback it produced."""

    card_biz_id: str
    button_id: str
    user_id: str
    params: dict[str, Any]  # the button's callback value
    event_id: str
    at: float


@dataclass
class ApiCall:
    """One OpenAPI request and how it ended."""

    method: str
    path: str
    status: int
    code: int
    client_id: str
    at: float


class Recorder:
    """Thread-safe store of everything the simulator observed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.connections_: list[ConnectionRecord] = []
        self.messages_: list[MessageRecord] = []
        self.deliveries_: dict[str, Delivery] = {}
        self.cards_: dict[str, CardRecord] = {}
        self.replies_: list[PlainReply] = []
        self.presses_: list[ButtonPress] = []
        self.api_calls_: list[ApiCall] = []

    def write(self, kind: str, record: Any) -> None:
        """Append a record to one of the lists (`connections_`, `messages_`, ...)."""
        with self._lock:
            getattr(self, kind).append(record)

    def locked(self) -> threading.Lock:
        """The lock, for a change of a live record (a card's new version, a connection closing)."""
        return self._lock

    def read(self, kind: str, **where: Any) -> list[Any]:
        """Copies of the records of one kind whose fields equal every given value (None: any)."""
        with self._lock:
            items = getattr(self, kind)
            items = items.values() if isinstance(items, dict) else items
            return [copy.deepcopy(r) for r in items
                    if all(value is None or getattr(r, key) == value for key, value in where.items())]
