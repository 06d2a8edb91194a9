"""The pure parts: split payloads, the card JSON and how the playground reads it."""
from __future__ import annotations

import re

from element_studio.elements.imRobots.Meta.replies import FeedbackButton
from element_studio.elements.imRobots.feishuType import card_view, cards
from element_studio.elements.imRobots.feishuType.frames import FrameParts
from element_studio.elements.imRobots.feishuType.settings import base_url


def test_split_payloads_join_in_part_order_whatever_the_arrival_order_and_are_then_forgotten():
    parts = FrameParts()
    assert parts.add("m1", 3, 2, b"c") is None and parts.add("m1", 3, 0, b"a") is None
    assert parts.add("m1", 3, 1, b"b") == b"abc"
    assert parts.add("m1", 2, 0, b"x") is None  # the same message_id later starts afresh
    assert parts.add("solo", 1, 0, b"whole") == b"whole"


def test_the_final_card_is_valid_card_json_2_and_the_playground_reads_its_buttons():
    buttons = tuple(FeedbackButton(r, label) for r, label in (("veryHelpful", "😄 Very helpful"), ("notHelpful", "😅 Not helpful")))
    card = cards.final_card("How?\n  Like this?", "**Like** this.", "om_1", buttons)
    assert card["schema"] == "2.0" and card["config"]["streaming_mode"] is False and card["config"]["update_multi"] is True
    ids = [e["element_id"] for e in cards.elements(card) if "element_id" in e]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,19}", i) for i in ids)
    seen = card_view.read_card(card)
    assert seen.title == "How? Like this?"
    assert "<strong>Like</strong> this." in seen.blocks[0].html
    assert [(b.id, b.label, b.value) for b in seen.buttons] == [
        ("fb_veryHelpful", "😄 Very helpful", {"rating": "veryHelpful", "msgId": "om_1"}),
        ("fb_notHelpful", "😅 Not helpful", {"rating": "notHelpful", "msgId": "om_1"})]


def test_a_markdown_post_is_read_as_safe_markdown():
    reply = card_view.read_reply({"msg_type": "post", "content": {"zh_cn": {"content": [[{"tag": "md", "text": "**ok** <script>x</script>"}]]}}})
    assert reply.kind == "markdown" and "<strong>ok</strong>" in reply.html and "<script>" not in reply.html


def test_the_domain_names_feishu_lark_or_a_base_url_and_offline_wins():
    assert base_url("feishu") == "https://open.feishu.cn" and base_url("lark") == "https://open.larksuite.com"
    assert base_url("http://127.0.0.1:8712/") == "http://127.0.0.1:8712"
    assert base_url("lark", "http://127.0.0.1:9999") == "http://127.0.0.1:9999"
