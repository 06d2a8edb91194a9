"""A robot's messages as the playground shows them: StandardCard JSON and webhook replies -> safe HTML.

Pure (no Flask): the card's header, its markdown and text blocks, dividers and buttons come
out as plain data whose HTML parts are already sanitised, so a template only lays them out.
Markdown goes through markdown-it-py, then nh3 keeps a short list of tags: no script, no
event handler, no style (the CSP would refuse it anyway), links only to absolute http(s) and
mailto URLs, opened in a new tab without a referrer. Images become links: the page loads
nothing from elsewhere.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "font"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "font": {"color"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "breaks": True}).enable(["table", "strikethrough"])

    def image_as_link(renderer, tokens, idx, options, env) -> str:
        token = tokens[idx]
        label = "".join(child.content for child in token.children or []) or "image"
        return f'<a href="{escape(token.attrGet("src") or "")}">🖼 {escape(label)}</a>'

    md.add_render_rule("image", image_as_link)
    return md


_MD = _markdown()


def sanitise(html: str) -> Markup:
    """Untrusted HTML reduced to the tags a card's text may use (the one place that decides)."""
    return Markup(nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}}, url_relative="deny", strip_comments=True,
    ))


def render_markdown(text: str) -> Markup:
    """DingTalk-flavoured markdown (a robot's answer) as safe HTML."""
    return sanitise(_MD.render(text or ""))


def render_text(text: str) -> Markup:
    """Plain text as HTML: escaped, line breaks kept."""
    return Markup("<br>").join(escape(line) for line in str(text).split("\n"))


@dataclass(frozen=True)
class CardButton:
    """A button of a card's action block; `url` only for buttons that open a (safe) link."""

    id: str
    label: str
    action_type: str
    status: str = "normal"
    url: str = ""
    value: dict[str, Any] | None = None

    @property
    def calls_back(self) -> bool:
        """Pressing it sends a card callback to the robot (a link button only opens its page)."""
        return self.action_type != "openLink"


@dataclass(frozen=True)
class CardBlock:
    """One element of a card's contents: markdown, text, divider, actions, or one we do not draw."""

    kind: str
    html: Markup = Markup("")
    buttons: tuple[CardButton, ...] = ()


@dataclass(frozen=True)
class Card:
    """A StandardCard as the playground draws it."""

    title: str
    blocks: tuple[CardBlock, ...]

    @property
    def buttons(self) -> list[CardButton]:
        return [button for block in self.blocks for button in block.buttons]


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
    """The header title and the contents of a StandardCard's cardData."""
    data = card_data if isinstance(card_data, dict) else {}
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    contents = data.get("contents") if isinstance(data.get("contents"), list) else []
    return Card(title=_text_of(header.get("title")), blocks=tuple(_block(item) for item in contents))


@dataclass(frozen=True)
class ReplyMessage:
    """A session-webhook reply (markdown or text) as the playground draws it."""

    kind: str
    title: str
    html: Markup


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
