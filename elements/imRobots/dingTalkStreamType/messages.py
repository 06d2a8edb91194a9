"""What a robot message asks: the SDK's ChatbotMessage reduced to what answering needs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dingtalk_stream import ChatbotMessage

TEXT = "text"
NOT_TEXT = "not_text"
EMPTY = "empty"
GROUP = "2"
SINGLE = "1"


@dataclass(frozen=True)
class Incoming:
    """One robot message: who asked what, where, and where to reply."""

    msg_id: str
    kind: str  # TEXT, NOT_TEXT or EMPTY
    question: str
    msgtype: str
    conversation_id: str
    conversation_type: str  # SINGLE or GROUP
    sender_id: str
    sender_staff_id: str
    sender_nick: str
    session_webhook: str
    robot_code: str

    @property
    def in_group(self) -> bool:
        return self.conversation_type == GROUP

    @property
    def chat_id(self) -> str:
        """The agent's memory key: one per person per conversation."""
        return f"{self.conversation_id}/{self.sender_staff_id or self.sender_id}"

    @property
    def sender(self) -> str:
        """The sender as stored and logged: staff id when known, else DingTalk's opaque id."""
        return self.sender_staff_id or self.sender_id


def parse_incoming(data: dict[str, Any]) -> Incoming:
    """An Incoming from a robot message's data; raises ValueError when it is not one."""
    if not isinstance(data, dict) or not data.get("msgId"):
        raise ValueError("robot message without msgId")
    if data.get("msgtype") == "text" and not isinstance(data.get("text"), dict):
        data = {**data, "text": {"content": ""}}  # the SDK raises KeyError on a text message without text
    if data.get("msgtype") in ("picture", "richText") and not isinstance(data.get("content"), dict):
        data = {**data, "content": {}}
    message = ChatbotMessage.from_dict(data)
    kind, question = _question_of(message)
    return Incoming(
        msg_id=str(message.message_id),
        kind=kind,
        question=question,
        msgtype=str(message.message_type or ""),
        conversation_id=str(message.conversation_id or ""),
        conversation_type=str(message.conversation_type or SINGLE),
        sender_id=str(message.sender_id or ""),
        sender_staff_id=str(message.sender_staff_id or ""),
        sender_nick=str(message.sender_nick or ""),
        session_webhook=str(message.session_webhook or ""),
        robot_code=str(message.robot_code or ""),
    )


def _question_of(message: ChatbotMessage) -> tuple[str, str]:
    """(kind, text): text messages and the text parts of rich text; everything else is not text."""
    if message.message_type == "text":
        text = (message.text.content or "") if message.text else ""
    elif message.message_type == "richText":
        parts = message.get_text_list() or []
        text = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if not text:
            return NOT_TEXT, ""
    else:
        return NOT_TEXT, ""
    text = text.strip()  # group messages keep the space left by the stripped @mention
    return (TEXT, text) if text else (EMPTY, "")
