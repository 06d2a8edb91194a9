"""The family's card model as the playground and the feedback page draw it, and the one place
that turns a robot's untrusted markdown into safe HTML.

Pure (no Flask): each IM Type reads its platform's card JSON into these (its `chat_platform`
hook), so a template only lays them out.
Markdown goes through markdown-it-py, then nh3 keeps a short list of tags: no script, no
event handler, no style (the CSP would refuse it anyway), links only to absolute http(s) and
mailto URLs, opened in a new tab without a referrer. Images become links: the page loads
nothing from elsewhere.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import nh3
from markupsafe import Markup, escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "font"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "font": {"color"}}
URL_SCHEMES = {"http", "https", "mailto"}


@functools.cache
def _markdown() -> MarkdownIt:
    """Built on the first card drawn: every IM Type imports this module, and a process that only
    runs robots (which never draw a card) would pay for markdown-it (about 15 ms) at its start."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "breaks": True}).enable(["table", "strikethrough"])

    def image_as_link(renderer, tokens, idx, options, env) -> str:
        token = tokens[idx]
        label = "".join(child.content for child in token.children or []) or "image"
        return f'<a href="{escape(token.attrGet("src") or "")}">🖼 {escape(label)}</a>'

    md.add_render_rule("image", image_as_link)
    return md


def sanitise(html: str) -> Markup:
    """Untrusted HTML reduced to the tags a card's text may use (the one place that decides)."""
    return Markup(nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}}, url_relative="deny", strip_comments=True,
    ))


def render_markdown(text: str) -> Markup:
    """A robot's markdown answer as safe HTML."""
    return sanitise(_markdown().render(text or ""))


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
    """A card as the playground draws it: a title and its blocks."""

    title: str
    blocks: tuple[CardBlock, ...]

    @property
    def buttons(self) -> list[CardButton]:
        return [button for block in self.blocks for button in block.buttons]


@dataclass(frozen=True)
class ReplyMessage:
    """A plain reply (markdown or text, not a card) as the playground draws it."""

    kind: str
    title: str
    html: Markup
