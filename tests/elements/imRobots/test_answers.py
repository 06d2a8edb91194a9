"""Answering through the real SDK parsers and the simulator: cards, markdown, failures, feedback."""
from __future__ import annotations

import json

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.cards import card_ids
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from tests.support.waiting import wait_until


def final_of(sim, card_biz_id, timeout=5.0):
    """The card's last version once it has buttons or stops changing."""
    return wait_until(lambda: _settled(sim, card_biz_id), timeout, message="card never settled")


def _settled(sim, card_biz_id):
    versions = sim.card_versions(card_biz_id)
    text = versions[-1]["contents"][0]["text"] if versions else ""
    if versions and (iter_buttons(versions[-1]) or "Sorry" in text or "offline" in text):  # one version: a card that went out finished
        return versions[-1]
    return None


def markdown_of(card):
    return card["contents"][0]["text"]


def test_a_question_gets_a_thinking_card_throttled_updates_and_a_final_card_with_feedback_buttons(world):
    sim = world.sim
    agent = world.agent(chunks=[f"w{i} " for i in range(12)], delaySeconds=0.02)
    bot = world.robot(agent, maxCardUpdates=4, updateEveryChunks=2, updateIntervalSeconds=60, thinkingText="Let me think…")
    world.start(bot)
    msg = sim.send_message("dingdemo", "How do I reset my password?")
    card = sim.wait_for_card(msg)
    final = final_of(sim, card.card_biz_id)
    versions = sim.card_versions(card.card_biz_id)
    assert markdown_of(versions[0]) == "Let me think…"
    assert all(v["header"]["title"]["text"] == "How do I reset my password?" for v in versions)
    assert len(versions) - 1 == 4  # maxCardUpdates, the final one included
    assert markdown_of(final) == "".join(f"w{i} " for i in range(12))
    assert [b["label"]["text"] for b in iter_buttons(final)] == ["😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful"]
    for version in versions:
        ids = card_ids(version)
        assert len(ids) == len(set(ids)), ids
    assert card.conversation_type == "1" and card.receiver_user_id == "demo-user"
    [row] = wait_until(lambda: world.rows("SELECT * FROM message_log WHERE robot = ? AND outcome = 'answered'", bot))
    assert (row["msg_id"], row["outcome"], row["answer"]) == (msg, "answered", markdown_of(final))
    assert "4 card updates" in world.wait_log(bot, "answered msgId")


def test_text_that_arrived_while_the_thinking_card_was_on_its_way_shows_as_soon_as_the_card_does(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["First words, ", "then a long pause"], hangAfter=2), answerTimeoutSeconds=30)
    world.start(bot)
    sim.slow_card_sends("dingdemo", 0.5)  # both chunks arrive before the card is out
    try:
        msg = sim.send_message("dingdemo", "slow card")
        card = sim.wait_for_card(msg, versions=2)  # while the agent pauses
    finally:
        sim.slow_card_sends("dingdemo", 0)
    assert [markdown_of(v) for v in sim.card_versions(card.card_biz_id)] == ["Thinking…", "First words, then a long pause"]


def test_updates_follow_the_interval_when_chunks_trickle(world):
    sim = world.sim
    agent = world.agent(chunks=[f"c{i}" for i in range(8)], delaySeconds=0.1)
    bot = world.robot(agent, updateEveryChunks=1000, updateIntervalSeconds=0.25, maxCardUpdates=20)
    world.start(bot)
    msg = sim.send_message("dingdemo", "slow one")
    card = sim.wait_for_card(msg)
    final_of(sim, card.card_biz_id)
    updates = len(sim.card_versions(card.card_biz_id)) - 1
    assert 3 <= updates <= 5  # 0.8 s of chunks / 0.25 s, plus the final card


def test_markdown_mode_answers_through_the_session_webhook(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["**bold** ", "answer"]), replyMode="markdown")
    world.start(bot)
    msg = sim.send_message("dingdemo", "plain please")
    reply = sim.wait_for_reply(msg)
    assert reply.errcode == 0
    assert reply.body["msgtype"] == "markdown" and reply.body["markdown"]["text"] == "**bold** answer"
    assert sim.cards() == []


def test_without_card_permission_the_answer_falls_back_to_markdown_and_the_log_says_why(world):
    sim = world.sim
    sim.set_card_permission("dingdemo", False)
    bot = world.robot(world.agent(chunks=["fallback answer"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "cards?")
    reply = sim.wait_for_reply(msg)
    assert reply.body["markdown"]["text"] == "fallback answer"
    line = world.wait_log(bot, "cannot send the card")
    assert "HTTP 403" in line and "markdown" in line


def test_an_agent_that_raises_ends_the_card_with_its_apology_and_logs_the_detail(world):
    sim = world.sim
    agent = world.agent(chunks=["partial ", "never"], raiseAfter=1, userMessage="The helpdesk is offline.")
    bot = world.robot(agent)
    world.start(bot)
    msg = sim.send_message("dingdemo", "will fail")
    card = sim.wait_for_card(msg)
    final = final_of(sim, card.card_biz_id)
    assert "partial" in markdown_of(final) and "The helpdesk is offline." in markdown_of(final)
    assert not iter_buttons(final)
    assert "scripted failure after 1 chunks" in world.wait_log(bot, "failed on msgId")
    wait_until(lambda: world.rows("SELECT outcome FROM message_log WHERE msg_id = ?", msg) == [{"outcome": "failed"}])
    assert "scripted failure" in world.status(bot).detail["lastError"]


def test_an_agent_past_the_timeout_ends_the_card_with_the_apology(world):
    sim = world.sim
    bot = world.robot(world.agent(hang=True), answerTimeoutSeconds=0.3, apologyText="Sorry, that took too long.")
    world.start(bot)
    msg = sim.send_message("dingdemo", "hang")
    card = sim.wait_for_card(msg)
    final = final_of(sim, card.card_biz_id)
    assert markdown_of(final) == "Sorry, that took too long."
    assert "took longer than 0.3 s" in world.wait_log(bot, "took longer")
    wait_until(lambda: world.rows("SELECT outcome FROM message_log WHERE msg_id = ?", msg) == [{"outcome": "timeout"}])


def test_past_the_concurrency_bound_the_user_is_told_to_try_again(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["slow"], delaySeconds=1.0), maxConcurrentAnswers=2, busyText="Busy, try again soon.")
    world.start(bot)
    first, second = sim.send_message("dingdemo", "one"), sim.send_message("dingdemo", "two")
    world.wait_status(bot, lambda s: s.detail["answersInFlight"] == 2)
    third = sim.send_message("dingdemo", "three")
    reply = sim.wait_for_reply(third)
    assert reply.body == {"msgtype": "text", "text": {"content": "Busy, try again soon."}}
    for msg in (first, second):
        final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert len(sim.cards()) == 2
    world.wait_status(bot, lambda s: s.detail["answersInFlight"] == 0)


def test_a_redelivered_message_is_acked_again_but_answered_once(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["once"], delaySeconds=0.3))
    world.start(bot)
    msg = sim.send_message("dingdemo", "only once")
    sim.wait_for_ack(msg)
    assert sim.redeliver(msg)  # while the answer is still running
    card = sim.wait_for_card(msg)
    final_of(sim, card.card_biz_id)
    assert sim.redeliver(msg)  # and after it finished
    wait_until(lambda: len(sim.acks(message_id=sim.deliveries_of(msg)[0].message_id)) == 3)
    wait_until(lambda: sum("delivered again" in line for line in world.logs(bot)) == 2)
    assert len(sim.cards()) == 1 and sim.webhook_replies() == []
    assert world.status(bot).detail["messagesHandled"] == 1


def test_group_messages_mention_the_sender_and_single_chats_go_to_the_sender(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["echo: {question}"]))
    world.start(bot)
    in_group = sim.send_message("dingdemo", "hello group", conversation_type="2", sender_staff_id="alice", sender_nick="Alice")
    group_card = sim.wait_for_card(in_group)
    final = final_of(sim, group_card.card_biz_id)
    assert markdown_of(final) == "echo: hello group"  # the @mention's leading space is gone
    assert group_card.conversation_type == "2"
    assert json.loads(group_card.send_options["atUserListJson"]) == [{"nickName": "Alice", "userId": "alice"}]
    single = sim.send_message("dingdemo", "hello me", sender_staff_id="bob", sender_nick="Bob")
    single_card = sim.wait_for_card(single)
    final_of(sim, single_card.card_biz_id)
    assert single_card.conversation_type == "1" and single_card.receiver_user_id == "bob"
    assert "atUserListJson" not in single_card.send_options


def test_rich_text_is_answered_from_its_text_parts(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["echo: {question}"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "rich question", msgtype="richText", file_bytes=b"png")
    final = final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert markdown_of(final) == "echo: rich question"


@pytest.mark.parametrize("msgtype", ["picture", "file", "video", "audio"])
def test_what_a_text_agent_cannot_read_gets_a_polite_reply_naming_what_the_robot_reads(world, msgtype):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["unused"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "", msgtype=msgtype, conversation_type="2", sender_staff_id="carol")  # audio: no transcript
    reply = sim.wait_for_reply(msg)
    assert reply.body["msgtype"] == "text" and "I can read text and voice messages only" in reply.body["text"]["content"]
    assert reply.body["at"] == {"atUserIds": ["carol"]}
    assert sim.cards() == []
    wait_until(lambda: world.rows("SELECT outcome FROM message_log WHERE msg_id = ?", msg) == [{"outcome": "not_text"}])
    assert not [call for call in sim.api_calls("/v1.0/robot/messageFiles/download")]  # nothing downloaded for nothing


def test_a_voice_message_is_answered_from_dingtalks_transcript(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["you said: {question}"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "明天的会议几点开始", msgtype="audio")
    final = final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert markdown_of(final) == "you said: 明天的会议几点开始"
    wait_until(lambda: world.rows("SELECT question, outcome FROM message_log WHERE msg_id = ?", msg) == [{"question": "明天的会议几点开始", "outcome": "answered"}])


def test_one_persons_rating_of_an_answer_is_one_rating_a_later_press_replacing_it(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["42"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "meaning of life?", sender_staff_id="dave")
    card = sim.wait_for_card(msg)
    final_of(sim, card.card_biz_id)
    key = card.card_biz_id[:16]
    presses = [  # one at a time, as people press: each handled before the next
        lambda: sim.press_button(card.card_biz_id, button_id=f"feedback_helpful_{key}"),
        lambda: sim.press_button(card.card_biz_id, button_id=f"feedback_helpful_{key}"),
        lambda: sim.press_button(card.card_biz_id, label="😅 Not helpful"),
        lambda: sim.press_button(card.card_biz_id, button_id=f"feedback_helpful_{key}", user_id="erin"),
    ]
    for handled, press in enumerate(presses, start=1):
        sim.wait_for_ack(press())
        wait_until(lambda: sum("feedback" in line for line in world.logs(bot)) >= handled)
    rows = world.rows("SELECT robot, conversation_id, user_id, message_id, question, answer, rating FROM feedback ORDER BY user_id, rating")
    conversation = card.conversation_id
    assert rows == [
        {"robot": bot, "conversation_id": conversation, "user_id": "dave", "message_id": msg, "question": "meaning of life?", "answer": "42", "rating": "notHelpful"},
        {"robot": bot, "conversation_id": conversation, "user_id": "erin", "message_id": msg, "question": "meaning of life?", "answer": "42", "rating": "helpful"},
    ]
    assert any("(already counted)" in line for line in world.logs(bot))


def test_a_press_that_cannot_be_stored_is_not_acked_and_is_stored_when_dingtalk_sends_it_again(world):
    from element_studio.elements.imRobots.Meta.feedback_store import feedback

    sim = world.sim
    bot = world.robot(world.agent(chunks=["42"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "store me later")
    card = sim.wait_for_card(msg)
    final_of(sim, card.card_biz_id)
    world.execute("ALTER TABLE feedback RENAME TO feedback_away")  # the insert fails: no such table
    press = sim.press_button(card.card_biz_id, label="😊 Helpful")
    assert "not ACKed, so it comes again" in world.wait_log(bot, "could not store feedback")
    assert sim.acks(message_id=press) == []
    world.execute("DROP TABLE feedback_away")
    with world.storage.connect() as conn:
        feedback.create(conn)
    sim.wait_for_ack(press, timeout=5)  # the simulator sent it again after 0.5 s
    assert [r["rating"] for r in world.rows("SELECT rating FROM feedback WHERE message_id = ?", msg)] == ["helpful"]


def test_questions_whose_thinking_cards_wait_for_the_rate_limit_are_answered_whole_on_their_cards(world):
    """DingTalk takes 20 cards a second per app: the agent answers meanwhile, and a card that went
    out late shows either the thinking text and then the whole answer, or (its answer ended by
    its turn) the whole answer at once; never an update before it."""
    sim = world.sim
    chunks = [f"part{i} " for i in range(6)]
    bot = world.robot(world.agent(chunks=chunks, delaySeconds=0.2), maxConcurrentAnswers=40, updateEveryChunks=1, updateIntervalSeconds=0.1)
    world.start(bot)
    sent = [sim.send_message("dingdemo", f"question {n}", sender_staff_id=f"user{n}") for n in range(25)]
    finals = [final_of(sim, sim.wait_for_card(msg, timeout=10).card_biz_id, timeout=10) for msg in sent]
    assert all(markdown_of(final) == "".join(chunks) and iter_buttons(final) for final in finals)
    shapes = []
    for msg in sent:
        versions = sim.card_versions(sim.wait_for_card(msg).card_biz_id)
        assert markdown_of(versions[0]) in ("Thinking…", "".join(chunks))
        shapes.append(len(versions) == 1)
    assert shapes[:20] == [False] * 20  # the 20 of the first second went out thinking (the last 5: finished, unless slowed past the hold)
    assert not [e.message for e in world.supervisor.logs(bot, limit=500) if "failed" in e.message]  # no update went out before its card
