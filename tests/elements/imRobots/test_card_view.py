"""Cards and replies a robot sends, drawn safely: markdown rendered, anything executable gone."""
from __future__ import annotations

from html.parser import HTMLParser

from element_studio.elements.imRobots.Meta.pages.card_model import render_markdown, render_text
from element_studio.elements.imRobots.dingTalkStreamType.card_view import read_card, read_reply
from element_studio.elements.imRobots.dingTalkStreamType import cards
from element_studio.elements.imRobots.Meta.replies import FeedbackButton

HOSTILE = """Answer with **bold**, `code` and a [guide](https://example.com/guide).

<script>alert('card')</script>

<img src=x onerror="alert('img')">

<a href="javascript:alert('link')" onclick="alert('click')">click me</a> [also bad](javascript:alert('md'))

<p style="position:fixed" onmouseover="alert('p')">styled</p>

<iframe src="https://evil.example"></iframe> <font color="#d00" onclick="x()">red</font>

![diagram](https://example.com/d.png)
"""


class Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.found}


def test_markdown_is_rendered():
    html = render_markdown("# Title\n\n- **one**\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ `x = 1`")
    assert "<h1>Title</h1>" in html and "<strong>one</strong>" in html and "<li>two</li>" in html
    assert "<table>" in html and "<td>1</td>" in html and "<s>old</s>" in html and "<code>x = 1</code>" in html


def test_scripts_event_handlers_styles_and_script_links_are_removed():
    html = render_markdown(HOSTILE)
    elements = Elements(html)
    assert not elements.tags() & {"script", "img", "iframe", "style"}
    assert "alert('card')" not in html
    for tag, attrs in elements.found:
        assert not [name for name in attrs if name.startswith("on") or name == "style"], (tag, attrs)
        assert not attrs.get("href", "").lower().startswith("javascript:"), (tag, attrs)
    assert "<strong>bold</strong>" in html and "styled" in html and '<font color="#d00">red</font>' in html


def test_links_open_safely_in_a_new_tab_and_images_become_links():
    links = [attrs for tag, attrs in Elements(render_markdown(HOSTILE + "\n[rel](/instances/x)")).found if tag == "a"]
    hrefs = [a.get("href") for a in links]
    assert "https://example.com/guide" in hrefs and "https://example.com/d.png" in hrefs
    assert "/instances/x" not in hrefs  # a relative link would open the editor itself
    assert all(a["target"] == "_blank" and "noopener" in a["rel"] and "noreferrer" in a["rel"] for a in links)


def test_text_is_escaped_with_its_line_breaks():
    assert render_text("a <b>\nc") == "a &lt;b&gt;<br>c"


def test_the_robots_final_card_reads_as_header_answer_and_feedback_buttons():
    buttons = (FeedbackButton("veryHelpful", "😄 Very helpful"), FeedbackButton("notHelpful", "😅 Not helpful"))
    card = read_card(cards.final_card("How do I add a robot?", "Press **New**.", "k1", "msg-1", buttons))
    assert card.title == "How do I add a robot?"
    assert [block.kind for block in card.blocks] == ["markdown", "divider", "actions"]
    assert "<strong>New</strong>" in card.blocks[0].html
    assert [(b.id, b.label) for b in card.buttons] == [("feedback_veryHelpful_k1", "😄 Very helpful"), ("feedback_notHelpful_k1", "😅 Not helpful")]
    assert card.buttons[0].calls_back and card.buttons[0].value == {"action": "feedback", "rating": "veryHelpful", "msgId": "msg-1"}


def test_a_hostile_card_header_and_unknown_elements_stay_harmless():
    card = read_card({"header": {"title": {"type": "text", "text": "<script>x()</script>"}}, "contents": [
        {"type": "markdown", "text": "<img src=x onerror=alert(1)>ok"},
        {"type": "image", "url": "https://example.com/i.png"},
        {"type": "action", "actions": [{"type": "button", "id": "b", "label": {"text": "Docs"}, "actionType": "openLink",
                                        "url": {"all": "javascript:alert(1)"}}]},
        "junk",
    ]})
    assert card.title == "<script>x()</script>"  # plain text: the template escapes it
    assert card.blocks[0].html.strip() == "<p>ok</p>"
    assert card.blocks[1].kind == "unsupported" and "image" in card.blocks[1].html
    assert card.buttons[0].url == "" and not card.buttons[0].calls_back
    assert read_card(None).blocks == ()


def test_webhook_replies_render_markdown_and_text():
    markdown = read_reply(cards.markdown_reply("Q?", "**Answer** <script>x()</script>", []))
    assert markdown.kind == "markdown" and markdown.title == "Q?" and "<strong>Answer</strong>" in markdown.html
    assert "<script" not in markdown.html
    busy = read_reply(cards.text_reply("I'm <busy>", ["staff1"]))
    assert busy.kind == "text" and busy.html == "I&#39;m &lt;busy&gt;"
    assert read_reply({"msgtype": "link"}).kind == "link"
