"""What a robot message asks: the SDK's ChatbotMessage read into the family's Incoming."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dingtalk_stream import ChatbotMessage

from ..Meta.incoming import EMPTY, NOT_TEXT, PICTURES, TEXT, Incoming

GROUP = "2"
SINGLE = "1"


@dataclass(frozen=True)
class DingTalkAddress:
    """Where a DingTalk answer goes: the message's session webhook, the sender's staff id."""

    session_webhook: str
    staff_id: str

    def at(self, incoming: Incoming) -> list[str]:
        """Whom a group reply @-mentions (no one in a single chat)."""
        return [self.staff_id] if incoming.in_group and self.staff_id else []


def parse_incoming(data: dict[str, Any]) -> Incoming:
    """An Incoming from a robot message's data; raises ValueError when it is not one."""
    if not isinstance(data, dict) or not data.get("msgId"):
        raise ValueError("robot message without msgId")
    if data.get("msgtype") == "text" and not isinstance(data.get("text"), dict):
        data = {**data, "text": {"content": ""}}  # the SDK raises KeyError on a text message without text
    if data.get("msgtype") in ("picture", "richText", "audio") and not isinstance(data.get("content"), dict):
        data = {**data, "content": {}}
    message = ChatbotMessage.from_dict(data)
    kind, question = _question_of(message)
    pictures = tuple(code for code in message.get_image_list() or [] if isinstance(code, str) and code) if kind in (TEXT, PICTURES) else ()
    staff_id = str(message.sender_staff_id or "")
    return Incoming(
        msg_id=str(message.message_id),
        kind=kind,
        question=question,
        msgtype=str(message.message_type or ""),
        conversation_id=str(message.conversation_id or ""),
        in_group=str(message.conversation_type or SINGLE) == GROUP,
        sender=staff_id or str(message.sender_id or ""),
        sender_name=str(message.sender_nick or ""),
        reply_to=DingTalkAddress(str(message.session_webhook or ""), staff_id),
        pictures=pictures,
    )


def _question_of(message: ChatbotMessage) -> tuple[str, str]:
    """(kind, text): text messages, the text parts of rich text and DingTalk's transcript of a
    voice message; pictures (alone or in rich text without text); everything else is not text."""
    if message.message_type == "text":
        text = (message.text.content or "") if message.text else ""
    elif message.message_type == "audio":
        content = message.extensions.get("content")
        text = content.get("recognition") if isinstance(content, dict) else ""
        if not isinstance(text, str) or not text.strip():
            return NOT_TEXT, ""
    elif message.message_type == "picture":
        return (PICTURES, "") if message.image_content and message.image_content.download_code else (NOT_TEXT, "")
    elif message.message_type == "richText":
        parts = message.get_text_list() or []
        text = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if not text:
            return (PICTURES, "") if message.get_image_list() else (NOT_TEXT, "")
    else:
        return NOT_TEXT, ""
    text = text.strip()  # group messages keep the space left by the stripped @mention
    return (TEXT, text) if text else (EMPTY, "")
