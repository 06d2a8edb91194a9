"""Feishu's pushed events read into the family's terms: a chat message (the SDK's
`P2ImMessageReceiveV1` model) into an Incoming, a card button press into a Feedback.

A press is read from the JSON itself: the SDK's card-action model types `action.value` as an
object and raises on the string values Feishu also sends.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from lark_oapi.api.im.v1 import P2ImMessageReceiveV1

from ..Meta.feedback_store import Feedback
from ..Meta.incoming import EMPTY, NOT_TEXT, TEXT, Incoming
from ..Meta.ratings import RATINGS

MESSAGE_RECEIVED = "im.message.receive_v1"
CARD_ACTION = "card.action.trigger"
MENTION_KEY = re.compile(r"@_user_\d+")


@dataclass(frozen=True)
class FeishuAddress:
    """Where an answer goes: a reply to the question's message."""

    message_id: str


@dataclass(frozen=True)
class ChatMessage:
    """A received message: the family's Incoming and whom it @mentions (open_ids)."""

    incoming: Incoming
    mentioned: frozenset[str]


def envelope_of(payload: bytes) -> dict[str, Any]:
    """A schema-2.0 event envelope; ValueError when the payload is not one."""
    envelope = json.loads(payload)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("header"), dict) or not isinstance(envelope.get("event"), dict):
        raise ValueError("not a schema 2.0 event")
    return envelope


def parse_message(payload: bytes) -> ChatMessage:
    """An im.message.receive_v1 event; ValueError when it has no message id."""
    event = P2ImMessageReceiveV1(json.loads(payload)).event
    message = event.message if event else None
    if message is None or not message.message_id:
        raise ValueError("message event without message_id")
    sender = event.sender.sender_id if event.sender and event.sender.sender_id else None
    open_id = (sender.open_id or sender.user_id or sender.union_id or "") if sender else ""
    mentions = message.mentions or []
    kind, question = _question_of(message.message_type or "", message.content or "")
    incoming = Incoming(
        msg_id=message.message_id,
        kind=kind,
        question=question,
        msgtype=message.message_type or "",
        conversation_id=message.chat_id or "",
        in_group=message.chat_type != "p2p",
        sender=open_id,
        sender_name="",  # Feishu's event carries no name
        reply_to=FeishuAddress(message.message_id),
    )
    return ChatMessage(incoming, frozenset(m.id.open_id for m in mentions if m.id and m.id.open_id))


def _question_of(message_type: str, content: str) -> tuple[str, str]:
    """(kind, text): text messages and the text of rich-text posts; everything else is not text."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if message_type == "text":
        text = str(body.get("text") or "")
    elif message_type == "post":
        runs = [run for line in body.get("content") or [] if isinstance(line, list) for run in line if isinstance(run, dict)]
        text = " ".join(str(run.get("text", "")).strip() for run in runs if run.get("tag") in ("text", "md", "a"))
        text = " ".join(p for p in (str(body.get("title") or "").strip(), text.strip()) if p)
        if not text:
            return NOT_TEXT, ""
    else:
        return NOT_TEXT, ""
    text = " ".join(MENTION_KEY.sub(" ", text).split())
    return (TEXT, text) if text else (EMPTY, "")


def parse_press(robot: str, envelope: dict[str, Any]) -> Feedback | None:
    """A press of one of our feedback buttons, or None for any other card action."""
    event = envelope["event"]
    action = event.get("action") if isinstance(event.get("action"), dict) else {}
    value = action.get("value")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict) or value.get("rating") not in RATINGS or not value.get("msgId"):
        return None
    operator = event.get("operator") if isinstance(event.get("operator"), dict) else {}
    context = event.get("context") if isinstance(event.get("context"), dict) else {}
    user = operator.get("open_id") or operator.get("user_id") or operator.get("union_id") or ""
    return Feedback(robot=robot, msg_id=str(value["msgId"]), user_id=str(user), rating=value["rating"],
                    conversation_id=str(context.get("open_chat_id") or ""))
