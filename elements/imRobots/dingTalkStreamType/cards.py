"""Pure builders of the StandardCard JSON a robot sends: thinking, streaming, final, apology.

Every id inside a card is unique (the tutorial reused one id for several buttons, which
DingTalk's card renderer treats as the same element): ids are `<part>_<cardKey>` and a
button's rating is part of its id.
"""
from __future__ import annotations

import json
from typing import Any

from ..Meta.replies import FeedbackButton, apology_after

TITLE_LIMIT = 120
FEEDBACK_ACTION = "feedback"


def card_key(card_biz_id: str) -> str:
    """The short suffix that makes a card's element ids unique."""
    return card_biz_id[:16]


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


def _card(question: str, contents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "config": {"autoLayout": True, "enableForward": True},
        "header": {"title": {"type": "text", "text": _title(question)}},
        "contents": contents,
    }


def thinking_card(question: str, thinking_text: str, key: str) -> dict[str, Any]:
    """The first card: the question as header and the thinking text."""
    return _card(question, [{"type": "markdown", "text": thinking_text, "id": f"answer_{key}"}])


def streaming_card(question: str, partial_answer: str, key: str) -> dict[str, Any]:
    """An update while the answer streams: what has arrived so far."""
    return _card(question, [{"type": "markdown", "text": partial_answer, "id": f"answer_{key}"}])


def final_card(question: str, answer: str, key: str, msg_id: str, buttons: tuple[FeedbackButton, ...]) -> dict[str, Any]:
    """The last card: the whole answer and, when configured, one button per rating."""
    contents: list[dict[str, Any]] = [{"type": "markdown", "text": answer or "…", "id": f"answer_{key}"}]
    if buttons:
        contents.append({"type": "divider", "id": f"divider_{key}"})
        contents.append({
            "type": "action",
            "id": f"actions_{key}",
            "actions": [_button(button, key, msg_id) for button in buttons],
        })
    return _card(question, contents)


def apology_card(question: str, partial_answer: str, apology: str, key: str) -> dict[str, Any]:
    """The last card of a failed answer: whatever arrived, then the apology (never "thinking")."""
    return _card(question, [{"type": "markdown", "text": apology_after(partial_answer, apology), "id": f"answer_{key}"}])


def _button(button: FeedbackButton, key: str, msg_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "id": f"feedback_{button.rating}_{key}",
        "label": {"type": "text", "text": button.label, "id": f"feedback_label_{button.rating}_{key}"},
        "actionType": "request",
        "status": "normal",
        "size": "small",
        "value": json.dumps({"action": FEEDBACK_ACTION, "rating": button.rating, "msgId": msg_id}, ensure_ascii=False),
    }


def card_ids(card: Any) -> list[str]:
    """Every `id` in a card, in document order (a test helper as much as a check)."""
    found: list[str] = []
    if isinstance(card, dict):
        if isinstance(card.get("id"), str):
            found.append(card["id"])
        for value in card.values():
            found.extend(card_ids(value))
    elif isinstance(card, list):
        for item in card:
            found.extend(card_ids(item))
    return found


def markdown_reply(title: str, text: str, at_staff_ids: list[str]) -> dict[str, Any]:
    """A session-webhook markdown message (the answer in markdown mode, or the card fallback)."""
    body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": _title(title) or "Answer", "text": text}}
    if at_staff_ids:
        body["at"] = {"atUserIds": at_staff_ids}
    return body


def text_reply(text: str, at_staff_ids: list[str]) -> dict[str, Any]:
    """A session-webhook text message (busy, text only)."""
    body: dict[str, Any] = {"msgtype": "text", "text": {"content": text}}
    if at_staff_ids:
        body["at"] = {"atUserIds": at_staff_ids}
    return body
