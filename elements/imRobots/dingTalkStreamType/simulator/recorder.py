"""What the simulator saw and did, kept so tests and the playground can look back at it.

Every record is a small frozen-ish dataclass; the :class:`Recorder` holds them behind one
``threading.Lock`` because the simulator's loop writes while a test thread (through
``SimulatorThread``) or the control API reads. Readers always get copies, never the live
lists, so a caller can iterate at leisure.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConnectionRecord:
    """One WebSocket stream connection of an app, from upgrade to close."""

    connection_id: str
    client_id: str
    opened_at: float
    subscriptions: list[dict[str, str]] = field(default_factory=list)
    ua: str = ""
    local_ip: str = ""
    closed_at: float | None = None
    close_code: int | None = None
    closed_by: str = ""  # "client", "server", "drop" (abrupt, no close frame)
    frozen: bool = False

    @property
    def live(self) -> bool:
        """True while the socket is open (a frozen socket still counts: the client holds it)."""
        return self.closed_at is None


@dataclass
class FrameRecord:
    """A frame the server pushed on a stream connection."""

    connection_id: str
    client_id: str
    frame: dict[str, Any]
    at: float
    redelivery: bool = False

    @property
    def message_id(self) -> str:
        """The frame's headers.messageId, which the client's ACK must echo."""
        return self.frame["headers"]["messageId"]

    @property
    def topic(self) -> str:
        """The frame's headers.topic."""
        return self.frame["headers"]["topic"]


@dataclass
class AckRecord:
    """A response frame from a client: ``{code, headers{messageId}, message, data}``."""

    connection_id: str
    client_id: str
    message_id: str
    code: int | None
    message: str
    data: Any  # parsed from the JSON string when possible, else the raw value
    raw: dict[str, Any]
    at: float


@dataclass
class MessageRecord:
    """A robot message the simulator pushed (one per msgId, whatever the redeliveries)."""

    msg_id: str
    message_id: str  # the stream frame's messageId
    client_id: str
    conversation_id: str
    conversation_type: str
    sender_staff_id: str
    sender_nick: str
    text: str
    data: dict[str, Any]
    at: float


@dataclass
class CardVersion:
    """One state of an interactive card: the parsed cardData and when it arrived."""

    card_data: dict[str, Any]  # a StandardCard's cardData, or an instance's {"cardParamMap": {...}}
    at: float
    kind: str  # "send" or "update"; card instances: "create", "update", "stream", "finalize", "error"
    guid: str = ""  # the streaming update's guid


@dataclass
class CardRecord:
    """An interactive card sent by a robot, with every version it went through."""

    card_biz_id: str
    client_id: str
    card_template_id: str
    conversation_id: str
    conversation_type: str  # "1" single chat, "2" group
    receiver_user_id: str  # single chat only
    reply_to_msg_id: str  # best guess, see openapi.py
    send_options: dict[str, Any]
    versions: list[CardVersion] = field(default_factory=list)
    callback_type: str | None = None  # card instances only: "STREAM" or "HTTP"

    @property
    def latest(self) -> dict[str, Any]:
        """The newest cardData, the one a user would see."""
        return self.versions[-1].card_data


@dataclass
class WebhookReply:
    """A POST to a message's sessionWebhook, whether it was accepted or not."""

    session: str
    msg_id: str
    client_id: str
    conversation_id: str
    body: Any
    errcode: int
    at: float

    @property
    def msgtype(self) -> str:
        """The reply's msgtype (``text``, ``markdown``, ...), or "" for a malformed body."""
        return self.body.get("msgtype", "") if isinstance(self.body, dict) else ""

    @property
    def text(self) -> str:
        """The human-readable text of a text or markdown reply."""
        if not isinstance(self.body, dict):
            return ""
        part = self.body.get(self.msgtype)
        if not isinstance(part, dict):
            return ""
        return str(part.get("content") or part.get("text") or "")


@dataclass
class ButtonPress:
    """A simulated click on a card button and the callback frame it produced."""

    card_biz_id: str
    button_id: str
    user_id: str
    params: dict[str, Any]
    message_id: str
    at: float


@dataclass
class ApiCall:
    """One OpenAPI request (token, card send/update, ...) and the status it got."""

    method: str
    path: str
    status: int
    client_id: str
    at: float
    error_code: str = ""


class Recorder:
    """Thread-safe store of everything the simulator observed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[ConnectionRecord] = []
        self._frames: list[FrameRecord] = []
        self._acks: list[AckRecord] = []
        self._messages: list[MessageRecord] = []
        self._cards: dict[str, CardRecord] = {}
        self._replies: list[WebhookReply] = []
        self._presses: list[ButtonPress] = []
        self._api_calls: list[ApiCall] = []

    # -- writers (called on the simulator's loop) -----------------------------------------

    def add_connection(self, record: ConnectionRecord) -> None:
        """Remember a newly opened stream connection."""
        with self._lock:
            self._connections.append(record)

    def close_connection(self, connection_id: str, code: int | None, closed_by: str) -> None:
        """Stamp a connection closed; the first close wins (a drop is not overwritten)."""
        with self._lock:
            for rec in self._connections:
                if rec.connection_id == connection_id and rec.closed_at is None:
                    rec.closed_at = time.time()
                    rec.close_code = code
                    rec.closed_by = closed_by

    def set_frozen(self, connection_id: str, frozen: bool) -> None:
        """Mark a connection frozen (or thawed) so readers can see it."""
        with self._lock:
            for rec in self._connections:
                if rec.connection_id == connection_id:
                    rec.frozen = frozen

    def add_frame(self, record: FrameRecord) -> None:
        """Remember a frame pushed to a client."""
        with self._lock:
            self._frames.append(record)

    def add_ack(self, record: AckRecord) -> None:
        """Remember a client's response frame."""
        with self._lock:
            self._acks.append(record)

    def add_message(self, record: MessageRecord) -> None:
        """Remember a robot message pushed to an app."""
        with self._lock:
            self._messages.append(record)

    def add_card(self, record: CardRecord) -> None:
        """Remember a newly sent card (its first version is already in ``versions``)."""
        with self._lock:
            self._cards[record.card_biz_id] = record

    def add_card_version(self, card_biz_id: str, version: CardVersion) -> bool:
        """Append a version to a known card; False when the card is unknown."""
        with self._lock:
            card = self._cards.get(card_biz_id)
            if card is None:
                return False
            card.versions.append(version)
            return True

    def add_reply(self, record: WebhookReply) -> None:
        """Remember a session-webhook POST."""
        with self._lock:
            self._replies.append(record)

    def add_press(self, record: ButtonPress) -> None:
        """Remember a simulated button press."""
        with self._lock:
            self._presses.append(record)

    def add_api_call(self, record: ApiCall) -> None:
        """Remember an OpenAPI call and its outcome."""
        with self._lock:
            self._api_calls.append(record)

    # -- readers (any thread) -------------------------------------------------------------

    def connections(self, client_id: str | None = None) -> list[ConnectionRecord]:
        """Connection records, oldest first, optionally for one app."""
        with self._lock:
            return [copy.copy(r) for r in self._connections
                    if client_id is None or r.client_id == client_id]

    def live_connection_count(self, client_id: str) -> int:
        """How many stream connections of this app are open right now."""
        with self._lock:
            return sum(1 for r in self._connections if r.client_id == client_id and r.live)

    def max_live_connections(self, client_id: str) -> int:
        """The most connections this app ever held open at the same moment."""
        with self._lock:
            events: list[tuple[float, int]] = []
            for r in self._connections:
                if r.client_id != client_id:
                    continue
                events.append((r.opened_at, 1))
                if r.closed_at is not None:
                    events.append((r.closed_at, -1))
        best = current = 0
        for _, delta in sorted(events, key=lambda e: (e[0], e[1])):  # closes first on ties
            current += delta
            best = max(best, current)
        return best

    def frames(self, client_id: str | None = None, topic: str | None = None) -> list[FrameRecord]:
        """Frames pushed, oldest first, optionally filtered by app and topic."""
        with self._lock:
            return [copy.copy(r) for r in self._frames
                    if (client_id is None or r.client_id == client_id)
                    and (topic is None or r.topic == topic)]

    def acks(self, client_id: str | None = None, message_id: str | None = None) -> list[AckRecord]:
        """Client response frames, oldest first, optionally filtered."""
        with self._lock:
            return [copy.copy(r) for r in self._acks
                    if (client_id is None or r.client_id == client_id)
                    and (message_id is None or r.message_id == message_id)]

    def messages(self, client_id: str | None = None,
                 conversation_id: str | None = None) -> list[MessageRecord]:
        """Robot messages pushed, oldest first, optionally filtered."""
        with self._lock:
            return [copy.copy(r) for r in self._messages
                    if (client_id is None or r.client_id == client_id)
                    and (conversation_id is None or r.conversation_id == conversation_id)]

    def message(self, msg_id: str) -> MessageRecord | None:
        """The robot message with this msgId, if the simulator sent it."""
        with self._lock:
            for r in self._messages:
                if r.msg_id == msg_id:
                    return copy.copy(r)
        return None

    def cards(self, client_id: str | None = None, conversation_id: str | None = None,
              msg_id: str | None = None) -> list[CardRecord]:
        """Cards (deep copies, with their versions), in the order they were first sent."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._cards.values()
                    if (client_id is None or c.client_id == client_id)
                    and (conversation_id is None or c.conversation_id == conversation_id)
                    and (msg_id is None or c.reply_to_msg_id == msg_id)]

    def card(self, card_biz_id: str) -> CardRecord | None:
        """One card by its cardBizId (a deep copy), or None."""
        with self._lock:
            card = self._cards.get(card_biz_id)
            return copy.deepcopy(card) if card else None

    def replies(self, client_id: str | None = None, conversation_id: str | None = None,
                msg_id: str | None = None) -> list[WebhookReply]:
        """Session-webhook POSTs, oldest first, optionally filtered."""
        with self._lock:
            return [copy.copy(r) for r in self._replies
                    if (client_id is None or r.client_id == client_id)
                    and (conversation_id is None or r.conversation_id == conversation_id)
                    and (msg_id is None or r.msg_id == msg_id)]

    def presses(self) -> list[ButtonPress]:
        """Simulated button presses, oldest first."""
        with self._lock:
            return [copy.copy(r) for r in self._presses]

    def api_calls(self, path: str | None = None) -> list[ApiCall]:
        """OpenAPI calls, oldest first, optionally for one path."""
        with self._lock:
            return [copy.copy(r) for r in self._api_calls if path is None or r.path == path]

    def answered_msg_ids(self) -> set[str]:
        """msgIds that already got a card or an accepted webhook reply (see openapi.py)."""
        with self._lock:
            done = {c.reply_to_msg_id for c in self._cards.values()}
            done.update(r.msg_id for r in self._replies if r.errcode == 0)
            return done
