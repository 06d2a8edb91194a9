"""DingTalk's messages as the family's playground draws them: StandardCard JSON, AI card
parameters and session webhook replies read into the family's card model (HTML already sanitised)."""
from __future__ import annotations

import json
from typing import Any

from ..Meta.pages.card_model import Card, CardBlock, CardButton, ReplyMessage, render_markdown, render_text
from . import ai_cards

AI_CARD_STATES = {ai_cards.PROCESSING: "processing", ai_cards.INPUTTING: "inputting", ai_cards.FINISHED: "finished",
                  ai_cards.FAILED: "failed"}
AI_CARD_HIDDEN = {"flowStatus", ai_cards.SYSTEM_FIELD, "msgTitle", "logo"}


def _text_of(value: Any) -> str:
    """A card text node ({"type": "text", "text": ...}) or a bare string."""
    if isinstance(value, dict):
        value = value.get("text", "")
    return value if isinstance(value, str) else ""


def _safe_url(value: Any) -> str:
    """An openLink button's URL when it is http(s), else ""."""
    if isinstance(value, dict):
        value = value.get("all") or value.get("pc") or value.get("url") or ""
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return ""


def _button(item: dict[str, Any]) -> CardButton:
    value: dict[str, Any] | None = None
    raw = item.get("value")
    if isinstance(raw, str):
        try:
            decoded = json.loads(raw)
            value = decoded if isinstance(decoded, dict) else None
        except ValueError:
            value = None
    elif isinstance(raw, dict):
        value = raw
    action = str(item.get("actionType") or "request")
    return CardButton(id=str(item.get("id", "")), label=_text_of(item.get("label")) or "Button", action_type=action,
                      status=str(item.get("status") or "normal"), url=_safe_url(item.get("url")) if action == "openLink" else "",
                      value=value)


def _block(item: Any) -> CardBlock:
    if not isinstance(item, dict):
        return CardBlock("unsupported", render_text("?"))
    kind = item.get("type")
    if kind == "markdown":
        return CardBlock("markdown", render_markdown(_text_of(item)))
    if kind == "text":
        return CardBlock("text", render_text(_text_of(item)))
    if kind == "divider":
        return CardBlock("divider")
    if kind == "action":
        actions = item.get("actions") if isinstance(item.get("actions"), list) else []
        return CardBlock("actions", buttons=tuple(_button(a) for a in actions if isinstance(a, dict)))
    return CardBlock("unsupported", render_text(f"({kind or 'unknown'} element: shown in DingTalk, not here)"))


def read_card(card_data: Any) -> Card:
    """The header title and the contents of a StandardCard's cardData, or an AI card's parameters."""
    data = card_data if isinstance(card_data, dict) else {}
    if isinstance(data.get("cardParamMap"), dict):
        return _ai_card(data["cardParamMap"])
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    contents = data.get("contents") if isinstance(data.get("contents"), list) else []
    return Card(title=_text_of(header.get("title")), blocks=tuple(_block(item) for item in contents))


def _ai_card(params: dict[str, Any]) -> Card:
    """An AI card: its markdown fields (msgContent first), its state when it failed, its msgButtons."""
    fields = sorted((k for k, v in params.items() if k not in AI_CARD_HIDDEN and isinstance(v, str) and v.strip()),
                    key=lambda k: k != "msgContent")
    blocks = [CardBlock("markdown", render_markdown(params[k])) for k in fields]
    if params.get("flowStatus") == ai_cards.FAILED:
        blocks.append(CardBlock("text", render_text("(the AI card ended in its failed state)")))
    buttons = tuple(_ai_button(b) for b in ai_cards.buttons_of(params))
    if buttons:
        blocks.append(CardBlock("actions", buttons=buttons))
    return Card(title=_text_of(params.get("msgTitle")), blocks=tuple(blocks))


def _ai_button(item: dict[str, Any]) -> CardButton:
    rating = ai_cards.rating_of(item.get("id"))
    request = item.get("request") is True
    return CardButton(id=str(item.get("id", "")), label=str(item.get("text") or "Button"), action_type="request" if request else "openLink",
                      url="" if request else _safe_url(item.get("url")), value={"rating": rating} if rating else None)


def read_reply(body: Any) -> ReplyMessage:
    """A webhook reply's body: markdown rendered safely, text escaped, anything else named."""
    body = body if isinstance(body, dict) else {}
    kind = body.get("msgtype") if isinstance(body.get("msgtype"), str) else ""
    part = body.get(kind) if isinstance(body.get(kind), dict) else {}
    if kind == "markdown":
        return ReplyMessage("markdown", _text_of(part.get("title")), render_markdown(_text_of(part.get("text"))))
    if kind == "text":
        return ReplyMessage("text", "", render_text(_text_of(part.get("content"))))
    return ReplyMessage(kind or "unknown", "", render_text(f"(a {kind or 'malformed'} message: shown in DingTalk, not here)"))


def credentials(config: dict[str, Any]) -> tuple[str, str]:
    """The robot's DingTalk app: its clientId and clientSecret."""
    return str(config.get("clientId", "")), str(config.get("clientSecret", ""))
