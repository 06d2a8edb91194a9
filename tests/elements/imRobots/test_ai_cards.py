"""replyMode aiCard through the real SDK frames and the simulator: the AI card is created and
delivered with callbackType STREAM, streamed whole under a fresh guid per update, finalized
with the feedback buttons; failures end it in its error state; presses come back over the stream."""
from __future__ import annotations

import json
from pathlib import Path

from dingtalk_stream import AIMarkdownCardInstance

from element_studio.elements.imRobots.dingTalkStreamType import ai_cards
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import card_buttons
from tests.support.waiting import wait_until

PARAMS = "cardParamMap"
SCHEMA = json.loads((Path(ai_cards.__file__).parent / "config.schema.json").read_text())


def ai_final(sim, track_id, status=ai_cards.FINISHED, timeout=5.0):
    """The card's versions once its last one is in `status` after a PUT (the end of an answer)."""
    def ended():
        card = sim.card(track_id)
        return card.versions if card and card.versions[-1].kind == "update" and card.latest[PARAMS]["flowStatus"] == status else None
    return wait_until(ended, timeout, message=lambda: f"the AI card never ended in state {status}: {sim.card(track_id)}")


def test_the_default_template_is_the_one_the_sdks_ai_markdown_card_uses():
    assert ai_cards.DEFAULT_TEMPLATE_ID == AIMarkdownCardInstance(None, None).card_template_id
    schema = SCHEMA["properties"]["aiCard"]["properties"]
    assert schema["templateId"]["default"] == ai_cards.DEFAULT_TEMPLATE_ID


def test_an_ai_card_streams_through_the_card_streaming_api_and_ends_finalized_with_feedback_buttons(world):
    sim = world.sim
    agent = world.agent(chunks=[f"w{i} " for i in range(10)], delaySeconds=0.02)
    bot = world.robot(agent, replyMode="aiCard", maxCardUpdates=5, updateEveryChunks=2, updateIntervalSeconds=60, thinkingText="Thinking…")
    world.start(bot)
    msg = sim.send_message("dingdemo", "How do AI cards stream?", sender_staff_id="alice")
    card = sim.wait_for_card(msg)
    assert card.card_template_id == ai_cards.DEFAULT_TEMPLATE_ID and card.callback_type == "STREAM"
    assert card.conversation_type == "1" and card.receiver_user_id == "alice"
    versions = ai_final(sim, card.card_biz_id)
    answer = "".join(f"w{i} " for i in range(10))
    created, *middle, finalized, finished = versions
    assert (created.kind, created.card_data[PARAMS]) == ("create", {"flowStatus": "1", "msgContent": "Thinking…"})
    assert middle[0].kind == "update" and middle[0].card_data[PARAMS]["flowStatus"] == "2"  # inputting before streaming
    streamed = [v for v in middle if v.kind == "stream"]
    assert len(streamed) == 4  # maxCardUpdates 5: the final one is reserved
    assert all(answer.startswith(v.card_data[PARAMS]["msgContent"]) for v in streamed)
    assert len({v.guid for v in streamed + [finalized]}) == len(streamed) + 1  # a new guid per update
    assert finalized.kind == "finalize" and finalized.card_data[PARAMS]["msgContent"] == answer
    assert finished.card_data[PARAMS]["flowStatus"] == "3" and finished.card_data[PARAMS]["msgContent"] == answer
    assert [b["label"]["text"] for b in card_buttons(finished.card_data)] == ["😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful"]
    streaming_calls = sim.api_calls("/v1.0/card/streaming")
    assert streaming_calls and all(call.status == 200 for call in streaming_calls)
    wait_until(lambda: world.rows("SELECT outcome, answer FROM message_log WHERE msg_id = ?", msg) == [{"outcome": "answered", "answer": answer}])


def test_an_ai_card_whose_turn_comes_after_its_answer_ended_is_created_finished(world):
    sim = world.sim
    sim.register_app("dingonepersec", "one-secret")
    bot = world.robot(world.agent(chunks=["done"]), client_id="dingonepersec", secret="one-secret", replyMode="aiCard", apiCallsPerSecond=1)
    world.start(bot)
    first, second = (sim.send_message("dingonepersec", f"question {i}", sender_staff_id=f"asker{i}") for i in range(2))
    world.wait_log(bot, f"answered msgId {second}", timeout=10)
    [waited] = sim.cards(msg_id=second)
    [created] = waited.versions  # one call: no thinking state, no stream, no second update
    assert created.kind == "create" and created.card_data[PARAMS]["flowStatus"] == ai_cards.FINISHED
    assert created.card_data[PARAMS]["msgContent"] == "done" and card_buttons(created.card_data)
    assert [v.kind for v in ai_final(sim, sim.cards(msg_id=first)[0].card_biz_id)] == ["create", "update"]  # its turn came at once


def test_a_press_on_the_finished_ai_card_comes_back_over_the_stream_and_is_stored(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["42"]), replyMode="aiCard")
    world.start(bot)
    msg = sim.send_message("dingdemo", "meaning of life?", conversation_type="2", sender_staff_id="dave")
    card = sim.wait_for_card(msg)
    ai_final(sim, card.card_biz_id)
    sim.wait_for_ack(sim.press_button(card.card_biz_id, label="😊 Helpful"))
    rows = wait_until(lambda: world.rows("SELECT message_id, user_id, rating, answer FROM feedback"))
    assert rows == [{"message_id": msg, "user_id": "dave", "rating": "helpful", "answer": "42"}]
    assert card.conversation_type == "2"
    assert card.send_options["imGroupOpenDeliverModel"] == {"robotCode": "dingdemo", "atUserIds": {"dave": "Demo User"}}


def test_an_agent_failure_ends_the_ai_card_in_its_error_state_with_the_apology(world):
    sim = world.sim
    agent = world.agent(chunks=["partial ", "more ", "never"], raiseAfter=2, userMessage="The helpdesk is offline.", delaySeconds=0.02)
    bot = world.robot(agent, replyMode="aiCard", updateEveryChunks=1)
    world.start(bot)
    msg = sim.send_message("dingdemo", "will fail")
    versions = ai_final(sim, sim.wait_for_card(msg).card_biz_id, status=ai_cards.FAILED)
    error = [v for v in versions if v.kind == "error"]
    assert len(error) == 1 and error[0].card_data[PARAMS]["msgContent"] == "partial more \n\n---\n\nThe helpdesk is offline."
    assert versions[-1].card_data[PARAMS]["msgContent"].endswith("The helpdesk is offline.")
    assert not card_buttons(versions[-1].card_data)


def test_a_template_of_your_own_gets_its_own_field_names_and_no_buttons(world):
    sim = world.sim
    own = {"templateId": "11111111-2222-3333-4444-555555555555.schema", "contentField": "answer", "statusField": "state", "feedbackButtons": False}
    bot = world.robot(world.agent(chunks=["one ", "two"], delaySeconds=0.02), replyMode="aiCard", aiCard=own, updateEveryChunks=1)
    world.start(bot)
    card = sim.wait_for_card(sim.send_message("dingdemo", "own template"))
    versions = ai_final_by(sim, card.card_biz_id, "state")
    assert card.card_template_id == own["templateId"]
    assert versions[-1].card_data[PARAMS] == {"state": "3", "answer": "one two"}
    assert all(call.status == 200 for call in sim.api_calls("/v1.0/card/streaming"))


def ai_final_by(sim, track_id, status_field):
    def ended():
        card = sim.card(track_id)
        return card.versions if card and card.latest[PARAMS].get(status_field) == "3" else None
    return wait_until(ended, 5, message="the card never finished")


def test_without_card_permission_an_ai_card_answer_falls_back_to_markdown(world):
    sim = world.sim
    sim.set_card_permission("dingdemo", False)
    bot = world.robot(world.agent(chunks=["fallback answer"]), replyMode="aiCard")
    world.start(bot)
    reply = sim.wait_for_reply(sim.send_message("dingdemo", "cards?"))
    assert reply.body["markdown"]["text"] == "fallback answer"
    assert "create and deliver card: HTTP 403" in world.wait_log(bot, "cannot send the card")
