"""The answer card in Feishu's card JSON 2.0 (CardKit entities need 2.0), built in code.

One markdown element (`ANSWER`) carries the text: it is what streaming updates write. The
final card adds the feedback buttons; each button's callback value names the rating and the
question's message id, which is what the feedback store keys on.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..Meta.replies import FeedbackButton

ANSWER = "answer"  # element_id: a letter, then letters, digits, underscores; at most 20
SUMMARY_LENGTH = 60


def _card(question: str, text: str, streaming: bool, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    title = " ".join(question.split()) or "Answer"
    return {
        "schema": "2.0",
        "config": {"streaming_mode": streaming, "update_multi": True,
                   "summary": {"content": (text if not streaming else title)[:SUMMARY_LENGTH]}},
        "header": {"title": {"tag": "plain_text", "content": title[:100]}, "template": "blue"},
        "body": {"elements": [{"tag": "markdown", "element_id": ANSWER, "content": text}, *(extra or [])]},
    }


def thinking_card(question: str, thinking_text: str) -> dict[str, Any]:
    """The card entity as created: streaming mode on, the thinking text in the answer element."""
    return _card(question, thinking_text, streaming=True)


def final_card(question: str, answer: str, msg_id: str, buttons: tuple[FeedbackButton, ...]) -> dict[str, Any]:
    """The whole answer and one button per rating (streaming closed)."""
    if not buttons:
        return _card(question, answer, streaming=False)
    row = {"tag": "column_set", "element_id": "feedback", "flex_mode": "flow", "horizontal_spacing": "small",
           "columns": [{"tag": "column", "width": "auto", "elements": [_button(b, msg_id)]} for b in buttons]}
    return _card(question, answer, streaming=False, extra=[{"tag": "hr", "element_id": "rule"}, row])


def apology_card(question: str, partial_answer: str, apology: str) -> dict[str, Any]:
    """What arrived, then the apology; no buttons (there is no answer to rate)."""
    text = f"{partial_answer}\n\n---\n\n{apology}" if partial_answer.strip() else apology
    return _card(question, text, streaming=False)


def _button(button: FeedbackButton, msg_id: str) -> dict[str, Any]:
    return {
        "tag": "button",
        "element_id": f"fb_{button.rating}"[:20],
        "text": {"tag": "plain_text", "content": button.label},
        "type": "default",
        "size": "small",
        "behaviors": [{"type": "callback", "value": {"rating": button.rating, "msgId": msg_id}}],
    }


def elements(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every element of a card, depth first (inside column sets, columns and forms too)."""
    body = card.get("body") if isinstance(card.get("body"), dict) else {}
    yield from _walk(body.get("elements"))


def _walk(items: Any) -> Iterator[dict[str, Any]]:
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        yield item
        yield from _walk(item.get("elements"))
        yield from _walk(item.get("columns"))


def callback_value(button: dict[str, Any]) -> dict[str, Any] | str | None:
    """A button's callback value (an object or a string), or None for a link button."""
    for behavior in button.get("behaviors") or []:
        if isinstance(behavior, dict) and behavior.get("type") == "callback":
            return behavior.get("value")
    return None
