"""The pure parts: schema contract, settings, throttle, backoff, dedup, cards, message kinds."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from element_studio.elements.imRobots.dingTalkStreamType import cards
from element_studio.elements.imRobots.Meta.backoff import Backoff
from element_studio.elements.imRobots.Meta.incoming import EMPTY, NOT_TEXT, PICTURES, TEXT
from element_studio.elements.imRobots.Meta.replies import FeedbackButton
from element_studio.elements.imRobots.dingTalkStreamType.messages import parse_incoming
from element_studio.elements.imRobots.dingTalkStreamType.settings import RobotSettings
from element_studio.runtime.schema import apply_defaults, is_secret, validate_config
from element_studio.runtime.errors import ConfigInvalidError

TYPE_DIR = Path(__file__).resolve().parents[3] / "elements" / "imRobots" / "dingTalkStreamType"
SCHEMA = json.loads((TYPE_DIR / "config.schema.json").read_text())
MINIMAL = {"agent": "aiagents.helpdesk", "clientId": "dingdemo", "clientSecret": "demo-secret"}


def _properties(node):
    for key, prop in node.get("properties", {}).items():
        yield key, prop
        yield from _properties(prop)


def test_every_field_has_a_title_and_a_description_and_the_contract_marks():
    for key, prop in _properties(SCHEMA):
        assert prop.get("title") and prop.get("description"), key
    props = SCHEMA["properties"]
    assert SCHEMA["required"] == ["agent", "clientId", "clientSecret"]
    assert props["agent"]["x-element-ref"] == "aiagents.Meta"
    assert is_secret(props["clientSecret"]) and not is_secret(props["clientId"])
    assert props["replyMode"]["enum"] == ["card", "aiCard", "markdown"]
    assert set(SCHEMA["x-order"]) == set(props)
    e_json = json.loads((TYPE_DIR / "e.json").read_text())
    assert e_json["type"] == "imRobots.Meta" and e_json["service"] is True and e_json["backendBundleEntry"] == "."


def test_defaults_give_the_seed_budget_and_feedback_buttons():
    config = apply_defaults(SCHEMA, dict(MINIMAL))
    validate_config(SCHEMA, config, "imRobots.x")
    settings = RobotSettings.from_config(config)
    answers = settings.answers
    assert (answers.max_card_updates, answers.update_interval, answers.update_every_chunks) == (20, 2.0, 5)
    assert answers.reply_mode == "card" and settings.proxy == ""
    assert [b.rating for b in answers.feedback_buttons] == ["veryHelpful", "helpful", "somewhatHelpful", "notHelpful"]
    assert answers.dedup_seconds >= 600 and settings.reconnect_min == 1 and settings.reconnect_max == 60


def test_feedback_labels_are_configurable_and_empty_ones_hidden():
    config = apply_defaults(SCHEMA, {**MINIMAL, "feedbackButtons": {"helpful": "👍", "notHelpful": "👎", "veryHelpful": "", "somewhatHelpful": ""}})
    assert RobotSettings.from_config(config).answers.feedback_buttons == (FeedbackButton("helpful", "👍"), FeedbackButton("notHelpful", "👎"))
    off = apply_defaults(SCHEMA, {**MINIMAL, "feedbackButtons": {"enabled": False}})
    assert RobotSettings.from_config(off).answers.feedback_buttons == ()


@pytest.mark.parametrize("bad", [{"replyMode": "voice"}, {"proxy": "ftp://x:1"}, {"maxCardUpdates": 0}, {"advanced": {"dedupMinutes": 5}}, {"colour": "red"}])
def test_bad_values_are_refused_with_the_field_named(bad):
    config = apply_defaults(SCHEMA, {**MINIMAL, **bad})
    with pytest.raises(ConfigInvalidError) as error:
        validate_config(SCHEMA, config, "imRobots.x")
    assert "config.json" in str(error.value)


def test_proxy_accepts_socks5_and_http_urls():
    for proxy in ("socks5://127.0.0.1:1080", "http://user:pw@proxy.local:3128", ""):
        validate_config(SCHEMA, apply_defaults(SCHEMA, {**MINIMAL, "proxy": proxy}), "imRobots.x")


def test_backoff_grows_from_about_one_second_to_the_ceiling_with_jitter():
    backoff = Backoff(1, 60, rng=random.Random(7))
    delays = [backoff.next() for _ in range(10)]
    assert 0.8 <= delays[0] <= 1.2 and 1.6 <= delays[1] <= 2.4
    assert all(d <= 60 for d in delays) and delays[-1] >= 48
    assert len({round(d, 6) for d in delays[-3:]}) > 1  # jittered, not lock-step
    backoff.reset()
    assert backoff.next() <= 1.2


def test_every_id_in_a_final_card_is_unique():
    buttons = tuple(FeedbackButton(r, r.upper()) for r in ("veryHelpful", "helpful", "somewhatHelpful", "notHelpful"))
    card = cards.final_card("q?", "the answer", "k1", "msg1", buttons)
    ids = cards.card_ids(card)
    assert len(ids) == len(set(ids)) == 3 + 2 * len(buttons)
    values = [json.loads(b["value"]) for b in card["contents"][2]["actions"]]
    assert values[1] == {"action": "feedback", "rating": "helpful", "msgId": "msg1"}
    assert cards.thinking_card("x" * 500, "…", "k")["header"]["title"]["text"].endswith("…")


def _message(**extra):
    data = {"msgId": "m1", "conversationId": "c1", "conversationType": "1", "senderStaffId": "s1", "senderId": "$x", "senderNick": "Sam",
            "sessionWebhook": "http://127.0.0.1/hook", "robotCode": "dingdemo"}
    data.update(extra)
    return parse_incoming(data)


def test_message_kinds_text_group_rich_text_and_others():
    group = _message(msgtype="text", text={"content": "  what is up "}, conversationType="2")
    assert (group.kind, group.question, group.in_group) == (TEXT, "what is up", True)
    rich = _message(msgtype="richText", content={"richText": [{"text": "part one "}, {"downloadCode": "x"}, {"text": "part two"}]})
    assert (rich.kind, rich.question, rich.pictures) == (TEXT, "part one part two", ("x",))
    picture = _message(msgtype="picture", content={"downloadCode": "d"})
    assert (picture.kind, picture.question, picture.pictures) == (PICTURES, "", ("d",))
    assert _message(msgtype="richText", content={"richText": [{"downloadCode": "x"}]}).pictures == ("x",)
    voice = _message(msgtype="audio", content={"downloadCode": "d", "recognition": " 几点开会 "})
    assert (voice.kind, voice.question, voice.pictures) == (TEXT, "几点开会", ())
    for msgtype, content in (("file", {"downloadCode": "d", "fileName": "a.txt"}), ("video", {"downloadCode": "d"}),
                             ("audio", {"downloadCode": "d"}), ("picture", {}), ("richText", {"richText": []})):
        assert (_message(msgtype=msgtype, content=content).kind, _message(msgtype=msgtype, content=content).pictures) == (NOT_TEXT, ())
    assert _message(msgtype="text", text={"content": "   "}).kind == EMPTY
    assert _message(msgtype="text").kind == EMPTY  # no text key: the SDK would raise KeyError
    assert _message(msgtype="text", text={"content": "hi"}, conversationType="1").chat_id == "c1/s1"
