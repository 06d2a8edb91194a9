"""Agents answering through a real DingTalk robot (the simulator stands in for DingTalk)."""
from __future__ import annotations

import base64
import json

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from element_studio.elements.imRobots.dingTalkStreamType.simulator.openapi import SAMPLE_PNG
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
        lambda: next((v for v in sim.card_versions(card.card_biz_id) if text_of(v) == "Stream mode needs no "), None), 15,
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


def user_parts(chat_server) -> list[dict]:
    """The content parts of the last request's question."""
    content = chat_server.messages()[-1]["content"]
    assert isinstance(content, list), content
    return content


def test_a_picture_reaches_a_vision_agent_as_an_image_and_the_answer_streams_into_the_card(world, app_dir, chat_server):
    agent = write_llm_agent(app_dir, chat_server, vision=True)
    bot = world.robot(agent)
    world.start(bot)
    sim = world.sim
    chat_server.stream("A colourful ", "gradient.")
    msg = sim.send_message("dingdemo", "", msgtype="picture", sender_staff_id="alice")
    assert text_of(final_card(sim, msg)) == "A colourful gradient."
    [part] = user_parts(chat_server)
    assert part["type"] == "image_url"
    assert part["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(SAMPLE_PNG).decode()
    [download] = sim.api_calls("/v1.0/robot/messageFiles/download")
    assert download.status == 200
    assert "1 picture for agent" in world.wait_log(bot, "picture for agent")


def test_rich_text_brings_its_words_and_its_picture_to_a_vision_agent(world, app_dir, chat_server):
    bot = world.robot(write_llm_agent(app_dir, chat_server, vision=True))
    world.start(bot)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    chat_server.stream("A screenshot of the settings page.")
    msg = world.sim.send_message("dingdemo", "What is on this screenshot?", msgtype="richText", file_bytes=jpeg)
    final_card(world.sim, msg)
    text, image = user_parts(chat_server)
    assert text == {"type": "text", "text": "What is on this screenshot?"}
    assert image["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def test_files_are_declined_naming_pictures_when_the_agent_reads_them(world, app_dir, chat_server):
    bot = world.robot(write_llm_agent(app_dir, chat_server, vision=True))
    world.start(bot)
    reply = world.sim.wait_for_reply(world.sim.send_message("dingdemo", "report.pdf", msgtype="file"))
    assert reply.body["text"]["content"] == "Sorry, I can't open files or videos. I can read text, voice messages and pictures."
    assert chat_server.requests == []


def test_a_picture_for_an_agent_without_vision_gets_the_text_only_reply(world, app_dir, chat_server):
    bot = world.robot(write_llm_agent(app_dir, chat_server))
    world.start(bot)
    reply = world.sim.wait_for_reply(world.sim.send_message("dingdemo", "", msgtype="picture"))
    assert "I can read text and voice messages only" in reply.body["text"]["content"]
    assert chat_server.requests == [] and world.sim.api_calls("/v1.0/robot/messageFiles/download") == []


def test_a_download_that_is_not_a_picture_ends_the_card_with_an_apology(world, app_dir, chat_server):
    bot = world.robot(write_llm_agent(app_dir, chat_server, vision=True))
    world.start(bot)
    sim = world.sim
    msg = sim.send_message("dingdemo", "", msgtype="picture", file_bytes=b"%PDF-1.7 not a picture")
    card = sim.wait_for_card(msg)
    final = wait_until(lambda: next((v for v in sim.card_versions(card.card_biz_id) if "picture" in text_of(v) and len(sim.card_versions(card.card_biz_id)) > 1), None), 5)
    assert "couldn't download your picture" in text_of(final)
    assert chat_server.requests == []
    assert "is not a PNG, JPEG, GIF or WebP image" in world.wait_log(bot, "failed on msgId")
