"""A question as the family answers it: each IM Type reads its platform's message into one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT = "text"
PICTURES = "pictures"  # pictures without text
NOT_TEXT = "not_text"
EMPTY = "empty"


@dataclass(frozen=True)
class Incoming:
    """One chat message: who asked what, where; `reply_to` is the Type's own reply address,
    opaque to the family and handed back to the Type's replies."""

    msg_id: str
    kind: str  # TEXT, PICTURES, NOT_TEXT or EMPTY
    question: str
    msgtype: str  # the platform's message type, for the log
    conversation_id: str
    in_group: bool
    sender: str  # the sender's stable id on the platform, as stored and logged
    sender_name: str
    reply_to: Any = None
    pictures: tuple[Any, ...] = ()  # the Type's references to the message's pictures, for its ChatPictures

    @property
    def chat_id(self) -> str:
        """The agent's memory key: one per person per conversation."""
        return f"{self.conversation_id}/{self.sender}"
