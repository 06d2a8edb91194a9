"""Agents answering through a real DingTalk robot (the simulator stands in for DingTalk)."""
from __future__ import annotations

import json

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from tests.support.waiting import wait_until

from .conftest import copy_helpdesk, write_llm_agent


@pytest.fixture
def sim_apps():
    return {"dingdemo": "demo-secret"}


def text_of(card: dict) -> str:
    return card["contents"][0]["text"]


def final_version(sim, card_biz_id: str) -> dict:
    """The card's final version (the one with the feedback buttons)."""
    return wait_until(lambda: next((v for v in sim.card_versions(card_biz_id) if iter_buttons(v)), None), 10, message="no final card")


def final_card(sim, msg_id: str) -> dict:
    return final_version(sim, sim.wait_for_card(msg_id).card_biz_id)


def test_the_sample_robot_answers_from_the_shipped_faq_in_chinese_and_english(world, app_dir):
    copy_helpdesk(app_dir)
    faq = {e["id"]: e for e in json.loads((app_dir / "aiagents" / "helpdesk" / "faq.json").read_text())}
    bot = world.robot("aiagents.helpdesk")
    world.start(bot)
    chinese = final_card(world.sim, world.sim.send_message("dingdemo", "没有钉钉账号，能在本地模拟测试机器人吗？"))
    assert text_of(chinese) == f"{faq['simulator.zh']['answer']}\n\n来源：{faq['simulator.zh']['question']}"
    english = final_card(world.sim, world.sim.send_message("dingdemo", "Can I try the bot without a DingTalk account?"))
    assert text_of(english) == f"{faq['simulator.en']['answer']}\n\nSource: {faq['simulator.en']['question']}"


def test_an_llm_answer_streams_into_the_card_and_the_second_question_carries_the_first(world, app_dir, chat_server):
    agent = write_llm_agent(app_dir, chat_server)
    bot = world.robot(agent, updateEveryChunks=1, updateIntervalSeconds=60)
    world.start(bot)
    sim = world.sim
    chat_server.stream("Stream mode ", "needs no ", "public IP.", hold_after=2)
    card = sim.wait_for_card(sim.send_message("dingdemo", "Why Stream mode?", sender_staff_id="alice"))
    partial = wait_until(
        lambda: next((v for v in sim.card_versions(card.card_biz_id) if text_of(v) == "Stream mode needs no "), None), 5,
        message="the card never showed the first chunks while the server held the rest",
    )
    assert not iter_buttons(partial)
    chat_server.release()
    assert text_of(final_version(sim, card.card_biz_id)) == "Stream mode needs no public IP."

    final_card(sim, sim.send_message("dingdemo", "And behind a firewall?", sender_staff_id="alice"))
    assert chat_server.messages()[1:] == [
        {"role": "user", "content": "Why Stream mode?"},
        {"role": "assistant", "content": "Stream mode needs no public IP."},
        {"role": "user", "content": "And behind a firewall?"},
    ]
