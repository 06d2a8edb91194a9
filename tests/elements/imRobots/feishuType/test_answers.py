"""A Feishu robot answering through the simulator: a CardKit card streamed with increasing
sequence numbers, closed and ended with feedback buttons; presses in the feedback store;
markdown replies; groups only when the robot is @mentioned."""
from __future__ import annotations

from element_studio.elements.imRobots.feishuType.cards import ANSWER, elements
from tests.support.waiting import wait_until

APP = "cli_demo_feishu"
CARDKIT = "/open-apis/cardkit/v1/cards"


def answer_text(card) -> str:
    return next(e["content"] for e in elements(card) if e.get("element_id") == ANSWER)


def final_card(sim, msg_id, timeout=5.0):
    """The question's card once streaming is closed and its final JSON is set."""
    def settled():
        found = sim.cards(msg_id=msg_id)
        return found[0] if found and found[0].versions[-1].kind == "update" else None
    return wait_until(settled, timeout, message=lambda: f"no final card for {msg_id}: {sim.cards(msg_id=msg_id)}")


def buttons(card) -> list[dict]:
    return [e for e in elements(card) if e.get("tag") == "button"]


def test_a_question_gets_a_streamed_card_entity_closed_with_feedback_buttons(feishu_world):
    sim = feishu_world.sim
    agent = feishu_world.agent(chunks=[f"w{i} " for i in range(12)], delaySeconds=0.02)
    bot = feishu_world.robot(agent, maxCardUpdates=4, updateEveryChunks=2, updateIntervalSeconds=60, thinkingText="Let me think…")
    feishu_world.start(bot)
    msg = sim.send_message(APP, "How do I reset my password?")
    card = final_card(sim, msg)
    kinds = [v.kind for v in card.versions]
    assert kinds == ["create", "content", "content", "content", "settings", "update"]  # 3 streamed + the final (4 updates)
    assert answer_text(card.versions[0].card_data) == "Let me think…"
    assert card.versions[0].card_data["config"]["streaming_mode"] is True and not card.streaming
    assert card.sequence == 5  # every operation took the next number
    assert card.latest["header"]["title"]["content"] == "How do I reset my password?"
    assert answer_text(card.latest) == "".join(f"w{i} " for i in range(12))
    assert [b["text"]["content"] for b in buttons(card.latest)] == ["😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful"]
    assert card.reply_to_msg_id == msg and card.message_id
    [row] = wait_until(lambda: feishu_world.rows("SELECT * FROM message_log WHERE robot = ? AND outcome = 'answered'", bot))
    assert row["msg_id"] == msg and row["answer"] == answer_text(card.latest)


def test_a_press_lands_in_the_feedback_store_once_and_gets_a_toast(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["Use the console."]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "Where are settings?", conversation_type="2", sender_staff_id="ou_alice")
    card = final_card(sim, msg)
    event_id = sim.press_button(card.card_biz_id, button_id="fb_helpful")
    sim.redeliver(event_id)  # Feishu pushes the same callback again: stored once
    rows = wait_until(lambda: feishu_world.rows("SELECT * FROM feedback WHERE robot = ?", bot))
    assert [(r["rating"], r["message_id"], r["user_id"], r["question"], r["answer"]) for r in rows] == [
        ("helpful", msg, "ou_alice", "Where are settings?", "Use the console.")]
    assert wait_until(lambda: len(sim.deliveries(APP)[-1].responses) == 2)
    [delivery] = [d for d in sim.deliveries(APP) if d.event_id == event_id]  # read after the responses arrived
    assert delivery.responses[0]["data"] == {"toast": {"type": "success", "content": "Thanks for your feedback"}}


def test_a_press_that_cannot_be_stored_gets_no_response_and_is_stored_when_feishu_sends_it_again(feishu_world):
    from element_studio.elements.imRobots.Meta.feedback_store import feedback

    sim = feishu_world.sim  # redelivers an event without a code-200 response after 0.5 s
    bot = feishu_world.robot(feishu_world.agent(chunks=["42"]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "store me later", sender_staff_id="ou_bob")
    card = final_card(sim, msg)
    feishu_world.execute("ALTER TABLE feedback RENAME TO feedback_away")  # the insert fails: no such table
    event_id = sim.press_button(card.card_biz_id, button_id="fb_helpful")
    assert "not ACKed, so it comes again" in feishu_world.wait_log(bot, "could not store feedback")
    def delivery():
        return next(d for d in sim.deliveries(APP) if d.event_id == event_id)

    assert delivery().responses == []  # stored first: nothing stored, no response
    feishu_world.execute("DROP TABLE feedback_away")
    with feishu_world.storage.connect() as conn:
        feedback.create(conn)
    wait_until(lambda: delivery().answered, timeout=5)  # the simulator sent it again
    assert delivery().tries >= 2 and delivery().responses[-1]["data"] == {"toast": {"type": "success", "content": "Thanks for your feedback"}}
    assert [r["rating"] for r in feishu_world.rows("SELECT rating FROM feedback WHERE message_id = ?", msg)] == ["helpful"]


def test_the_apps_openapi_calls_are_counted_and_shown_on_the_robot(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["one", "two"]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "count me")
    final_card(sim, msg)
    feishu_world.wait_log(bot, f"answered msgId {msg}")
    made = len([c for c in sim.api_calls() if c.client_id == APP and c.path != "/callback/ws/endpoint"])  # token, bot info, cards, reply
    assert made >= 5
    feishu_world.wait_status(bot, lambda s: s.detail["apiCallsThisMonth"] == made)


def test_markdown_mode_replies_with_a_markdown_post(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["**bold** ", "answer"]), replyMode="markdown")
    feishu_world.start(bot)
    msg = sim.send_message(APP, "plain please")
    [reply] = wait_until(lambda: sim.webhook_replies(msg_id=msg))
    assert reply.msg_type == "post" and reply.body["content"]["zh_cn"]["content"] == [[{"tag": "md", "text": "**bold** answer"}]]
    assert sim.cards() == []


def test_without_cardkit_permission_the_answer_falls_back_to_markdown(feishu_world):
    sim = feishu_world.sim
    sim.set_card_permission(APP, False)
    bot = feishu_world.robot(feishu_world.agent(chunks=["fallback answer"]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "cards?")
    [reply] = wait_until(lambda: sim.webhook_replies(msg_id=msg))
    assert reply.body["content"]["zh_cn"]["content"][0][0]["text"] == "fallback answer"
    assert "99991672" in feishu_world.wait_log(bot, "cannot send the card")


def test_in_groups_only_messages_that_mention_the_robot_are_answered(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["hi"]))
    feishu_world.start(bot)
    ignored = sim.send_message(APP, "talking among ourselves", conversation_type="2", at_robot=False)
    asked = sim.send_message(APP, "robot, help", conversation_type="2")
    final_card(sim, asked)
    feishu_world.wait_log(bot, f"message {ignored} in a group does not @mention the robot")
    assert sim.cards(msg_id=ignored) == [] and sim.delivery_of(ignored).answered


def test_pictures_get_the_text_only_reply_and_a_full_robot_says_busy(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["slow"], delaySeconds=1.0), maxConcurrentAnswers=1)
    feishu_world.start(bot)
    picture = sim.send_message(APP, "", message_type="image", content={"image_key": "img_v2_x"})
    first = sim.send_message(APP, "first")
    wait_until(lambda: sim.cards(msg_id=first))
    second = sim.send_message(APP, "second")
    texts = {m: wait_until(lambda m=m: sim.webhook_replies(msg_id=m))[0].body["content"]["text"] for m in (picture, second)}
    assert texts[picture].startswith("Sorry, I can only read text")
    assert texts[second].startswith("I'm answering other questions")
    final_card(sim, first)


def test_an_answer_left_in_the_journal_ends_on_its_card_after_a_restart(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(hang=True), apologyText="Sorry, I restarted.")
    feishu_world.start(bot)
    msg = sim.send_message(APP, "Will you survive a crash?")
    wait_until(lambda: sim.cards(msg_id=msg))
    [row] = wait_until(lambda: feishu_world.rows("SELECT * FROM answer_journal WHERE robot = ? AND card_id != ''", bot))
    feishu_world.supervisor.stop(bot)
    row["attempts"] = 2  # what a crash leaves when this message had crashed the robot once already
    feishu_world.execute(f"INSERT INTO answer_journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", *row.values())
    versions = len(sim.cards(msg_id=msg)[0].versions)

    feishu_world.start(bot)
    card = wait_until(lambda: next((c for c in sim.cards(msg_id=msg) if c.versions[-1].kind == "update" and len(c.versions) >= versions + 2), None))
    assert answer_text(card.latest) == "Sorry, I restarted."
    assert card.sequence > 1_000_000_000  # continued above the earlier run's numbers
    assert "(begun 2 times)" in feishu_world.wait_log(bot, "ending it with the apology")


def test_a_question_is_answered_to_feishu_only_once_it_is_journaled(feishu_world):
    """What Feishu has a response for survives a crash: while the database cannot be written, the
    question's frame gets no response, nor does Feishu's second try of it; once the journal row is
    written, both are answered, and the question once."""
    import sqlite3

    sim = feishu_world.sim  # sends an event again without a code-200 response after 0.5 s
    bot = feishu_world.robot(feishu_world.agent(chunks=["kept first"]))
    feishu_world.start(bot)
    blocker = sqlite3.connect(feishu_world.storage.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
    try:
        msg = sim.send_message(APP, "keep me first", sender_staff_id="ou_carol")
        delivery = wait_until(lambda: next((d for d in sim.deliveries(APP) if d.kind == "message" and d.tries >= 2), None))
        assert delivery.responses == []
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    wait_until(lambda: len(next(d for d in sim.deliveries(APP) if d.event_id == delivery.event_id).responses) >= 2)
    assert feishu_world.rows("SELECT msg_id FROM message_log WHERE robot = ?", bot) == [{"msg_id": msg}]
    assert answer_text(final_card(sim, msg).latest) == "kept first"
    assert len(sim.cards(msg_id=msg)) == 1
