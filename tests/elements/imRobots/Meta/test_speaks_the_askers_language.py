"""The robot answers in the asker's language: the card chrome and short replies follow the
question (or, without text, the sender's name), unless the instance set its own words."""
from __future__ import annotations

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from element_studio.elements.imRobots.Meta.answer_settings import language_of
from tests.support.waiting import wait_until


def labels(card) -> list[str]:
    return [b["label"]["text"] for b in iter_buttons(card)]


def settled(sim, card_biz_id):
    return wait_until(lambda: (v := sim.card_versions(card_biz_id)) and iter_buttons(v[-1]) and v[-1], 5.0,
                      message="card never got its buttons")


def test_the_language_of_a_question():
    assert language_of("怎么重置密码？") == "zh"
    assert language_of("How do I reset my password?") == "en"
    assert language_of("", "张三") == "zh" and language_of("", "Bob") == "en"


def test_a_chinese_question_gets_chinese_card_chrome_and_an_english_one_english(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["好的。"]))
    world.start(bot)
    chinese = sim.wait_for_card(sim.send_message("dingdemo", "怎么重置密码？"))
    final = settled(sim, chinese.card_biz_id)
    assert sim.card_versions(chinese.card_biz_id)[0]["contents"][0]["text"] == "思考中…"
    assert labels(final) == ["😄 非常有帮助", "😊 有帮助", "🙂 有点帮助", "😅 没有帮助"]
    english = sim.wait_for_card(sim.send_message("dingdemo", "How do I reset my password?"))
    final = settled(sim, english.card_biz_id)
    assert sim.card_versions(english.card_biz_id)[0]["contents"][0]["text"] == "Thinking…"
    assert labels(final) == ["😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful"]


def test_words_the_instance_set_itself_are_said_as_written(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]), thinkingText="Un instant…", feedbackButtons={"helpful": "👍 Merci"})
    world.start(bot)
    card = sim.wait_for_card(sim.send_message("dingdemo", "怎么重置密码？"))
    final = settled(sim, card.card_biz_id)
    assert sim.card_versions(card.card_biz_id)[0]["contents"][0]["text"] == "Un instant…"
    assert "👍 Merci" in labels(final) and "😄 非常有帮助" in labels(final)


def test_a_picture_from_a_chinese_name_gets_the_chinese_text_only_reply(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["unused"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "", msgtype="picture", sender_nick="张三")
    reply = sim.wait_for_reply(msg)
    assert reply.body["text"]["content"].startswith("抱歉，我只能阅读文字消息")
