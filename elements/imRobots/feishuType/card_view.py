"""Feishu's messages as the family's playground draws them: card JSON 2.0 entities and text or
post replies read into the family's card model (HTML already sanitised). Pure JSON: no SDK."""
from __future__ import annotations

from typing import Any

from ..Meta.pages.card_model import Card, CardBlock, CardButton, ReplyMessage, render_markdown, render_text
from .cards import callback_value, elements


def _text(value: Any) -> str:
    """A text object ({"tag": "plain_text", "content": ...}) or a bare string."""
    if isinstance(value, dict):
        value = value.get("content", "")
    return value if isinstance(value, str) else ""


def _button(item: dict[str, Any]) -> CardButton:
    value = callback_value(item)
    link = next((b.get("default_url", "") for b in item.get("behaviors") or [] if isinstance(b, dict) and b.get("type") == "open_url"), "")
    safe_link = link if isinstance(link, str) and link.lower().startswith(("https://", "http://")) else ""
    return CardButton(id=str(item.get("element_id", "")), label=_text(item.get("text")) or "Button",
                      action_type="callback" if value is not None else "openLink", url=safe_link,
                      value=value if isinstance(value, dict) else None)


def read_card(card: Any) -> Card:
    """The header title and the blocks of a card JSON 2.0 (buttons anywhere gathered in order)."""
    card = card if isinstance(card, dict) else {}
    header = card.get("header") if isinstance(card.get("header"), dict) else {}
    blocks: list[CardBlock] = []
    buttons: list[CardButton] = []
    for item in elements(card):
        tag = item.get("tag")
        if tag == "markdown":
            blocks.append(CardBlock("markdown", render_markdown(_text(item))))
        elif tag in ("div", "plain_text"):
            blocks.append(CardBlock("text", render_text(_text(item.get("text")) or _text(item))))
        elif tag == "hr":
            blocks.append(CardBlock("divider"))
        elif tag == "button":
            buttons.append(_button(item))
        elif tag not in ("column_set", "column", "form", "collapsible_panel"):
            blocks.append(CardBlock("unsupported", render_text(f"({tag or 'unknown'} element: shown in Feishu, not here)")))
    if buttons:
        blocks.append(CardBlock("actions", buttons=tuple(buttons)))
    return Card(title=_text(header.get("title")), blocks=tuple(blocks))


def read_reply(body: Any) -> ReplyMessage:
    """A text or post reply (as the simulator records it: {msg_type, content}); anything else named."""
    body = body if isinstance(body, dict) else {}
    kind, content = body.get("msg_type", ""), body.get("content") if isinstance(body.get("content"), dict) else {}
    if kind == "text":
        return ReplyMessage("text", "", render_text(_text(content.get("text"))))
    if kind == "post":
        post = next((v for v in content.values() if isinstance(v, dict)), content)
        runs = [run for line in post.get("content") or [] if isinstance(line, list) for run in line if isinstance(run, dict)]
        text = "\n".join(str(run.get("text", "")) for run in runs if run.get("tag") in ("md", "text"))
        return ReplyMessage("markdown", _text(post.get("title")), render_markdown(text))
    return ReplyMessage(kind or "unknown", "", render_text(f"(a {kind or 'malformed'} message: shown in Feishu, not here)"))


def credentials(config: dict[str, Any]) -> tuple[str, str]:
    """The robot's Feishu app: its App ID and App Secret."""
    return str(config.get("appId", "")), str(config.get("appSecret", ""))
